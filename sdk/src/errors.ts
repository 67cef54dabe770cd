import type { components } from './schema.js';

/**
 * The error codes the spec names. When `docs/openapi.json` lists them (an enum), this is their
 * union; otherwise plain `string`.
 */
export type ErrorCode = components['schemas']['ErrorBody']['code'];

/** An error answer of the server: `{code, message, details?}` with its HTTP status. */
export class ApiError extends Error {
  override name = 'ApiError';
  /** The spec's code, or any other string (a newer server, or `http_<status>` for a body that was not ours). */
  readonly code: ErrorCode | (string & {});
  readonly status: number;
  /** Per-field messages, e.g. `{per_page: ['must be <= 100']}`. */
  readonly details?: Record<string, string[]>;

  constructor(status: number, code: string, message: string, details?: Record<string, string[]>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** No HTTP answer at all: offline, DNS, TLS, timeout, server down. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  readonly cause?: unknown;

  constructor(message: string, cause?: unknown) {
    super(message);
    this.cause = cause;
  }
}

/** Builds the ApiError for a non-2xx answer, whatever its body. */
export function apiError(status: number, body: string): ApiError {
  try {
    const b = JSON.parse(body) as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof b.code === 'string') {
      return new ApiError(status, b.code, String(b.message ?? b.code), (b.details ?? undefined) as ApiError['details']);
    }
  } catch {
    // not JSON: a proxy's page, an empty body
  }
  return new ApiError(status, `http_${status}`, `HTTP ${status}`);
}
