/// <reference types="miniprogram-api-typings" preserve="true" />
// The mini-program side: `wx.request`, `wx.*StorageSync`, `wx.login`. Each takes the `wx` object
// as an optional argument (tests, or a wrapped `wx`); by default the global one.
import type { Storage } from './storage.js';
import type { Transport } from './transport.js';

type Wx = WechatMiniprogram.Wx;

/**
 * `wx.request` transport. WeChat's quirks handled here:
 * - the body is taken as text (`dataType: 'text'`) and parsed by the client, because with the
 *   default `json` a 304's empty body fails to parse;
 * - header names arrive as the server or platform spelt them (`ETag` on one, `etag` on another):
 *   lower-cased;
 * - `enableCache` stays off, and a conditional request (`If-None-Match`) answered with 200 and an
 *   empty body — the platform's own cache swallowing our 304 — is reported as the 304 it was;
 * - `wx.request` has no PATCH method: such a request is refused before it is sent.
 */
export function wxTransport(options: { wx?: Pick<Wx, 'request'>; timeoutMs?: number } = {}): Transport {
  return {
    request: (r) =>
      new Promise((resolve, reject) => {
        if (r.method === 'PATCH') return reject(new TypeError('wx.request cannot send PATCH'));
        (options.wx ?? wx).request({
          url: r.url,
          method: r.method,
          header: r.headers,
          data: r.body,
          dataType: 'text',
          responseType: 'text',
          enableCache: false,
          timeout: options.timeoutMs ?? 15000,
          success(res) {
            const headers: Record<string, string> = {};
            for (const k in res.header) headers[k.toLowerCase()] = String(res.header[k]);
            const body = typeof res.data === 'string' ? res.data : res.data == null ? '' : JSON.stringify(res.data);
            const swallowed304 = res.statusCode === 200 && !body && 'if-none-match' in r.headers;
            resolve({ status: swallowed304 ? 304 : res.statusCode, headers, body });
          },
          fail: (e) => reject(new Error(e.errMsg)),
        });
      }),
  };
}

/** `wx.setStorageSync` storage (10 MB per mini-program, 1 MB per key). */
export function wxStorage(
  api?: Pick<Wx, 'getStorageSync' | 'setStorageSync' | 'removeStorageSync'>,
): Storage {
  const w = () => api ?? wx;
  return {
    get(k) {
      const v: unknown = w().getStorageSync(k);
      // A missing key reads as ''.
      return typeof v === 'string' && v !== '' ? v : null;
    },
    set: (k, v) => w().setStorageSync(k, v),
    remove: (k) => w().removeStorageSync(k),
  };
}

/** The login-code provider for the mini-program: `wx.login()`. */
export function wxLoginCode(api?: Pick<Wx, 'login'>): () => Promise<string> {
  return () =>
    new Promise((resolve, reject) =>
      (api ?? wx).login({ success: (r) => resolve(r.code), fail: (e) => reject(new Error(e.errMsg)) }),
    );
}
