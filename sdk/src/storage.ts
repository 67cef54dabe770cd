/**
 * Synchronous key-value storage for tokens, the progress queue and the chapter cache. Values are
 * strings. `wxStorage()` (in `wx.ts`) for the mini-program, `memoryStorage()` elsewhere.
 */
export interface Storage {
  get(key: string): string | null;
  /** May throw when the storage is full; the SDK treats its cache writes as best effort. */
  set(key: string, value: string): void;
  remove(key: string): void;
}

/** A Map-backed storage; pass the same object to a new client to model an app restart. */
export function memoryStorage(): Storage & { keys(): string[] } {
  const m = new Map<string, string>();
  return {
    get: (k) => m.get(k) ?? null,
    set: (k, v) => void m.set(k, v),
    remove: (k) => void m.delete(k),
    keys: () => [...m.keys()],
  };
}
