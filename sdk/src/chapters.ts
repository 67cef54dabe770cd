import type { Storage } from './storage.js';

export interface ChapterCacheOptions {
  /** Most chapters kept (least recently read dropped first). Default 50. */
  maxEntries?: number;
  /** Most characters of chapter JSON kept in all. Default 1,000,000 (about 3 MB of Chinese). */
  maxChars?: number;
}

interface Entry {
  k: string; // "novel/chapter"
  n: number; // characters
}

/**
 * Chapters as the server sent them (JSON text) with their ETag, in storage so that they survive
 * a restart of the mini-program. Bounded by count and total size, least recently read out first.
 * A write the storage refuses (quota) just leaves the chapter uncached.
 */
export class ChapterCache {
  private readonly max: number;
  private readonly maxChars: number;

  constructor(
    private readonly storage: Storage,
    private readonly prefix: string,
    options: ChapterCacheOptions = {},
  ) {
    this.max = options.maxEntries ?? 50;
    this.maxChars = options.maxChars ?? 1_000_000;
  }

  private index(): Entry[] {
    try {
      return JSON.parse(this.storage.get(this.prefix) ?? '[]') as Entry[];
    } catch {
      return [];
    }
  }

  get(key: string): { etag: string; body: string } | null {
    const raw = this.storage.get(this.prefix + key);
    if (!raw) return null;
    try {
      const [etag, body] = JSON.parse(raw) as [string, string];
      return { etag, body };
    } catch {
      return null;
    }
  }

  /** Marks `key` most recently read. */
  touch(key: string): void {
    const idx = this.index();
    const i = idx.findIndex((e) => e.k === key);
    if (i >= 0) this.save(idx.concat(idx.splice(i, 1)));
  }

  put(key: string, etag: string, body: string): void {
    const idx = this.index().filter((e) => e.k !== key);
    const drop = [key];
    if (body.length <= this.maxChars) {
      try {
        this.storage.set(this.prefix + key, JSON.stringify([etag, body]));
        idx.push({ k: key, n: body.length });
        drop.pop();
      } catch {
        // storage full: the chapter stays uncached
      }
    }
    this.save(idx, ...drop);
  }

  clear(): void {
    this.save([], ...this.index().map((e) => e.k));
  }

  /** Drops the oldest entries until within bounds (and any keys in `drop`), then writes the index. */
  private save(idx: Entry[], ...drop: string[]): void {
    let total = idx.reduce((t, e) => t + e.n, 0);
    while (idx.length > this.max || total > this.maxChars) {
      const e = idx.shift()!;
      total -= e.n;
      drop.push(e.k);
    }
    for (const k of drop) this.storage.remove(this.prefix + k);
    try {
      this.storage.set(this.prefix, JSON.stringify(idx));
    } catch {
      // the index is rebuilt as chapters are read again
    }
  }
}
