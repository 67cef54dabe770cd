export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** JSON text. */
  body?: string;
}

export interface TransportResponse {
  /** The real status: a 304 is reported as 304, never turned into a 200. */
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The raw body text; `''` when there is none (204, 304). */
  body: string;
}

/**
 * Sends one HTTP request. Resolves with any HTTP answer (4xx and 5xx included); rejects only
 * when no answer arrived (offline, timeout, connection refused).
 */
export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
}

/** The part of `fetch` the transport uses (Node ≥ 18, browsers, undici). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: unknown },
) => Promise<{
  status: number;
  headers: { forEach(cb: (value: string, key: string) => void): void };
  text(): Promise<string>;
}>;

/**
 * `fetch` transport (Node, tests). A 304 comes back from fetch with `ok === false` and an empty
 * body; it is passed on as status 304 for the chapter cache to answer from its copy.
 */
export function fetchTransport(options: { fetch?: FetchLike; timeoutMs?: number } = {}): Transport {
  const f = options.fetch ?? (globalThis as unknown as { fetch: FetchLike }).fetch;
  const timeout = options.timeoutMs ?? 15000;
  return {
    async request(r) {
      const res = await f(r.url, {
        method: r.method,
        headers: r.headers,
        body: r.body,
        // AbortSignal.timeout: Node ≥ 17.3 and current browsers.
        signal: (globalThis as { AbortSignal?: { timeout?(ms: number): unknown } }).AbortSignal?.timeout?.(timeout),
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
      return { status: res.status, headers, body: await res.text() };
    },
  };
}
