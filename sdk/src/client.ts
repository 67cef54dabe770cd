import { ChapterCache, type ChapterCacheOptions } from './chapters.js';
import { ApiError, type ErrorCode, NetworkError, apiError } from './errors.js';
import { memoryStorage, type Storage } from './storage.js';
import type { HttpMethod, Transport, TransportResponse } from './transport.js';
import type {
  BatchItem,
  BatchResult,
  CallOptions,
  ChapterContent,
  ErrorBody,
  LoginResponse,
  Method,
  Operation,
  PathsFor,
  Progress,
  ProgressRequest,
  Query,
  Success,
} from './types.js';

export interface ClientOptions {
  /** Origin of the server, e.g. `https://api.example.com` (the paths carry `/api/v1`). */
  baseUrl: string;
  /** `wxTransport()` in the mini-program, `fetchTransport()` in Node. */
  transport: Transport;
  /** Where tokens, the progress queue and cached chapters live. Default: in memory. */
  storage?: Storage;
  /** Returns a fresh login code: `wxLoginCode()` (`wx.login`) in the mini-program. */
  codeProvider?: () => Promise<string>;
  /** Prefix of every storage key. Default `lit.`. */
  keyPrefix?: string;
  /** How long progress writes are collected before they are sent. Default 2000 ms. */
  progressDelayMs?: number;
  /** First retry after a failed progress flush; doubles up to 5 minutes. Default 5000 ms. */
  retryDelayMs?: number;
  /** Bounds of the chapter cache, or `false` for none. */
  chapterCache?: ChapterCacheOptions | false;
}

export interface ClientEvents {
  /**
   * The login is over: the server refused the tokens (`invalid_token`, `refresh_token_invalid`,
   * `refresh_token_reused`). The tokens and the cached chapters are gone; queued progress is
   * kept and sent after the same reader logs in again.
   */
  loggedOut: { reason: ErrorCode | (string & {}); error: ApiError };
  /** A queued progress write the server refused. It is dropped; the rest were applied. */
  progressRejected: { item: BatchItem; error: ErrorBody };
}

export interface FlushResult {
  applied: Progress[];
  rejected: { item: BatchItem; error: ErrorBody }[];
}

/** The reading position `saveProgress` takes: the PUT body without `client_time`. */
export type Position = Omit<ProgressRequest, 'client_time'>;

interface Auth {
  a: string; // access token
  r: string; // refresh token
  u: number; // user id
}

interface Queue {
  u: number; // whose writes these are
  items: BatchItem[]; // at most one per novel: the newest
}

type Listeners = { [K in keyof ClientEvents]?: ((e: ClientEvents[K]) => void)[] };

// Answers that end a login (`satisfies` checks them against the spec's codes when it lists them).
const LOGGED_OUT: string[] = ['invalid_token', 'refresh_token_invalid', 'refresh_token_reused'] satisfies ErrorCode[];
const EXPIRED = 'token_expired' satisfies ErrorCode;
const BATCH = 100;
const MAX_RETRY_MS = 300_000;

/** A client of the Literature API. One per app; it keeps one login. */
export class LiteratureClient {
  private readonly storage: Storage;
  private readonly key: string;
  private readonly cache?: ChapterCache;
  private auth: Auth | null;
  private queue: Queue;
  private listeners: Listeners = {};
  private refreshing?: Promise<void>;
  private loggingIn?: Promise<LoginResponse>;
  private flushing?: Promise<FlushResult>;
  private timer?: ReturnType<typeof setTimeout>;
  private retryMs = 0;

  constructor(private readonly o: ClientOptions) {
    this.storage = o.storage ?? memoryStorage();
    this.key = o.keyPrefix ?? 'lit.';
    this.auth = this.load<Auth>('auth');
    this.queue = this.load<Queue>('progress') ?? { u: 0, items: [] };
    if (o.chapterCache !== false) this.cache = new ChapterCache(this.storage, this.key + 'ch:', o.chapterCache || {});
    // Writes left from the last run go out soon after start.
    if (this.queue.items.length) this.schedule(o.progressDelayMs ?? 2000);
  }

  // ---- events ----------------------------------------------------------------------------

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ClientEvents>(event: K, fn: (e: ClientEvents[K]) => void): () => void {
    const list = (this.listeners[event] ??= []) as ((e: ClientEvents[K]) => void)[];
    list.push(fn);
    return () => void list.splice(list.indexOf(fn) >>> 0, 1);
  }

  private emit<K extends keyof ClientEvents>(event: K, e: ClientEvents[K]): void {
    for (const fn of [...(this.listeners[event] ?? [])]) {
      try {
        fn(e);
      } catch {
        // a listener's bug is not the caller's error
      }
    }
  }

  // ---- login -----------------------------------------------------------------------------

  get loggedIn(): boolean {
    return this.auth != null;
  }

  /** The logged-in reader's id, or null. */
  get userId(): number | null {
    return this.auth?.u ?? null;
  }

  /**
   * Logs in with a code from the code provider (`wx.login`). Concurrent calls share one login
   * (a code works once). Queued progress of this reader is sent afterwards; a queue left by a
   * different reader is dropped, since it cannot be written to this account.
   */
  login(): Promise<LoginResponse> {
    return (this.loggingIn ??= (async () => {
      try {
        if (!this.o.codeProvider) throw new TypeError('login() needs the codeProvider option');
        const code = await this.o.codeProvider();
        const res = await this.call('post', '/api/v1/auth/login', { body: { code } }, false);
        this.setAuth({ a: res.access_token, r: res.refresh_token, u: res.user.id });
        // Writes of another reader cannot go to this account; anonymous ones (u = 0) can.
        if (this.queue.u && this.queue.u !== res.user.id) this.setQueue([]);
        if (this.queue.items.length) this.flushProgress().catch(() => {});
        return res;
      } finally {
        this.loggingIn = undefined;
      }
    })());
  }

  /**
   * Ends the login on the server (`allDevices`: every login of the reader) and forgets the
   * tokens and cached chapters here, even when the server cannot be reached (the error is still
   * thrown). Queued progress is sent first if possible; what is left waits for the same reader's
   * next login.
   */
  async logout(allDevices = false): Promise<void> {
    const auth = this.auth;
    if (!auth) return;
    await this.flushProgress().catch(() => {});
    try {
      await this.call('post', '/api/v1/auth/logout', { body: { refresh_token: auth.r, all_devices: allDevices } });
    } finally {
      this.forget();
    }
  }

  private setAuth(a: Auth | null): void {
    this.auth = a;
    this.save('auth', a);
  }

  private forget(): void {
    this.setAuth(null);
    // Cached chapters carry the reader's progress.
    this.cache?.clear();
  }

  private loggedOut(error: ApiError): void {
    this.forget();
    this.emit('loggedOut', { reason: error.code, error });
  }

  /**
   * One refresh for every call that met `token_expired` with the access token `stale`: the first
   * starts it, the others wait for it, a late one finds the token already replaced.
   */
  private refresh(stale: string, expired: ApiError): Promise<void> {
    const auth = this.auth;
    if (!auth) return Promise.reject(expired);
    if (auth.a !== stale) return Promise.resolve();
    return (this.refreshing ??= (async () => {
      try {
        const res = await this.send('POST', '/api/v1/auth/refresh', undefined, { refresh_token: auth.r }, false);
        const t = JSON.parse(res.body) as { access_token: string; refresh_token: string };
        // A login in the meantime wins.
        if (this.auth === auth) this.setAuth({ a: t.access_token, r: t.refresh_token, u: auth.u });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401 && this.auth === auth) this.loggedOut(e);
        throw e;
      } finally {
        this.refreshing = undefined;
      }
    })());
  }

  // ---- requests --------------------------------------------------------------------------

  /**
   * Any operation of the spec, typed by its path and method:
   * `client.call('get', '/api/v1/novels/{id}', { path: { id: 7 } })`.
   * The access token is sent when there is one; `token_expired` → one shared refresh → the call
   * is retried once. Rejects with `ApiError` (an error answer) or `NetworkError` (no answer).
   */
  async call<M extends Method, P extends PathsFor<M>>(
    method: M,
    path: P,
    options: CallOptions<Operation<P, M>> = {},
    auth = true,
  ): Promise<Success<Operation<P, M>>> {
    let url: string = path;
    for (const [k, v] of Object.entries((options.path ?? {}) as Record<string, unknown>)) {
      url = url.replace(`{${k}}`, encodeURIComponent(String(v)));
    }
    const res = await this.send(method.toUpperCase() as HttpMethod, url, options.query, options.body, auth);
    return (res.body ? JSON.parse(res.body) : undefined) as Success<Operation<P, M>>;
  }

  /** Sends with the token and the refresh-and-retry-once rule; any status < 400 resolves. */
  private async send(
    method: HttpMethod,
    path: string,
    query?: object,
    body?: unknown,
    auth = true,
    extra: Record<string, string> = {},
  ): Promise<TransportResponse> {
    let qs = '';
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v != null) qs += `${qs ? '&' : '?'}${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`;
    }
    for (let retried = false; ; retried = true) {
      const token = auth ? this.auth?.a : undefined;
      const headers: Record<string, string> = { accept: 'application/json', ...extra };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token) headers.authorization = `Bearer ${token}`;
      let res: TransportResponse;
      try {
        res = await this.o.transport.request({
          method,
          url: this.o.baseUrl.replace(/\/$/, '') + path + qs,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw new NetworkError(`${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, e);
      }
      // The network is back: writes waiting for it need not wait for their retry timer.
      if (this.retryMs && this.auth && res.status < 500 && !this.flushing) this.schedule(0, true);
      if (res.status < 400) return res;
      const err = apiError(res.status, res.body);
      if (token && err.status === 401) {
        if (err.code === EXPIRED && !retried) {
          await this.refresh(token, err);
          continue;
        }
        if (LOGGED_OUT.includes(err.code) && this.auth?.a === token) this.loggedOut(err);
      }
      throw err;
    }
  }

  // ---- the reader's calls ----------------------------------------------------------------

  /** The reader, with preferences and reader settings. */
  me() {
    return this.call('get', '/api/v1/me');
  }

  /** The bookshelf, most recently read first. */
  shelf(query?: Query<'shelf'>) {
    return this.call('get', '/api/v1/bookshelf', { query });
  }

  addToShelf(novelId: number) {
    return this.call('put', '/api/v1/bookshelf/{novel_id}', { path: { novel_id: novelId } });
  }

  removeFromShelf(novelId: number) {
    return this.call('delete', '/api/v1/bookshelf/{novel_id}', { path: { novel_id: novelId } });
  }

  /** The novel and place the reader was last in; `undefined` when nothing was read yet. */
  lastRead() {
    return this.call('get', '/api/v1/bookshelf/last-read');
  }

  categories(query?: Query<'categories'>) {
    return this.call('get', '/api/v1/categories', { query });
  }

  novels(query?: Query<'novels'>) {
    return this.call('get', '/api/v1/novels', { query });
  }

  novel(id: number) {
    return this.call('get', '/api/v1/novels/{id}', { path: { id } });
  }

  chapters(novelId: number, query?: Query<'chapters'>) {
    return this.call('get', '/api/v1/novels/{id}/chapters', { path: { id: novelId }, query });
  }

  search(query: Query<'search'>) {
    return this.call('get', '/api/v1/search', { query });
  }

  getProgress(novelId: number) {
    return this.call('get', '/api/v1/progress/{novel_id}', { path: { novel_id: novelId } });
  }

  /**
   * A chapter's text. A cached copy is revalidated with `If-None-Match`; on 304 the copy is
   * returned without the text crossing the network again.
   */
  async chapter(novelId: number, chapterId: number): Promise<ChapterContent> {
    const key = `${novelId}/${chapterId}`;
    const path = `/api/v1/novels/${novelId}/chapters/${chapterId}`;
    const hit = this.cache?.get(key);
    let res = await this.send('GET', path, undefined, undefined, true, hit ? { 'if-none-match': hit.etag } : {});
    if (res.status === 304) {
      if (hit) {
        this.cache!.touch(key);
        return JSON.parse(hit.body) as ChapterContent;
      }
      res = await this.send('GET', path);
    }
    if (res.headers.etag) this.cache?.put(key, res.headers.etag, res.body);
    return JSON.parse(res.body) as ChapterContent;
  }

  // ---- progress sync ---------------------------------------------------------------------

  /**
   * Records the reading position now (its `client_time` is this moment) and returns at once.
   * Writes are kept in storage, one per novel (the newest: the server keeps the newest anyway),
   * and sent together through `POST /progress/batch` after `progressDelayMs`. When the network or
   * the server fails they stay in storage and go out later: on a retry timer (doubling from
   * `retryDelayMs` to 5 minutes), with the next answer from the server, or at the next start.
   */
  saveProgress(novelId: number, position: Position): void {
    const item: BatchItem = { ...position, novel_id: novelId, client_time: new Date().toISOString() };
    if (this.auth && this.queue.u && this.queue.u !== this.auth.u) this.queue = { u: this.auth.u, items: [] };
    this.setQueue(this.queue.items.filter((i) => i.novel_id !== novelId).concat(item));
    this.schedule(this.o.progressDelayMs ?? 2000);
  }

  /** Progress writes not yet accepted by the server. */
  get pendingProgress(): readonly BatchItem[] {
    return this.queue.items;
  }

  /**
   * Sends the queued progress now. Resolves with what the server stored and what it refused
   * (refused items are dropped and also reported as `progressRejected`); rejects when the
   * batch could not be delivered (the queue is kept and retried).
   */
  flushProgress(): Promise<FlushResult> {
    this.close();
    return (this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
      if (this.queue.items.length && this.auth && !this.timer) this.schedule(this.o.progressDelayMs ?? 2000);
    }));
  }

  private async flush(): Promise<FlushResult> {
    const out: FlushResult = { applied: [], rejected: [] };
    // Without a login the queue waits for one.
    while (this.auth && this.queue.items.length) {
      const batch = this.queue.items.slice(0, BATCH);
      let results: BatchResult[];
      try {
        results = await this.call('post', '/api/v1/progress/batch', { body: { items: batch } });
        this.retryMs = 0;
      } catch (e) {
        const retry = !(e instanceof ApiError) || e.status >= 500 || e.status === 429 || e.status === 401;
        if (retry) {
          this.retryMs = Math.min(this.retryMs * 2 || this.o.retryDelayMs || 5000, MAX_RETRY_MS);
          if (this.auth) this.schedule(this.retryMs, true);
          throw e;
        }
        // The server refused the batch as such: it would refuse it again, so drop it.
        const error = { code: e.code, message: e.message } as ErrorBody;
        results = batch.map((item, index) => ({ index, novel_id: item.novel_id, error }));
      }
      batch.forEach((item, i) => {
        const r = results[i];
        if (r && 'error' in r) {
          out.rejected.push({ item, error: r.error });
          this.emit('progressRejected', { item, error: r.error });
        } else if (r) out.applied.push(r);
      });
      // A newer write for the same novel made while the batch was on its way stays queued.
      this.setQueue(this.queue.items.filter((i) => !batch.includes(i)));
    }
    return out;
  }

  private schedule(ms: number, replace = false): void {
    if (this.timer !== undefined && !replace) return;
    this.close();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushProgress().catch(() => {});
    }, ms);
    // Node: a pending flush does not keep the process alive.
    (this.timer as { unref?(): void }).unref?.();
  }

  private setQueue(items: BatchItem[]): void {
    this.queue = { u: this.auth?.u ?? this.queue.u, items };
    this.save('progress', items.length ? this.queue : null);
  }

  /** Stops the timers (tests, or a client being replaced). Nothing queued is lost. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // ---- storage ---------------------------------------------------------------------------

  private load<T>(name: string): T | null {
    try {
      return JSON.parse(this.storage.get(this.key + name) ?? 'null') as T | null;
    } catch {
      return null;
    }
  }

  private save(name: string, value: unknown): void {
    if (value == null) this.storage.remove(this.key + name);
    else this.storage.set(this.key + name, JSON.stringify(value));
  }
}
