// A stand-in for the mini-program's `wx` object in Node, backed by real HTTP to the real server:
// `request` behaves like the platform's (parses JSON only for dataType 'json' and keeps the text
// when that fails, reports every HTTP status through `success`, network failures through `fail`
// with an `errMsg`, has no PATCH), `*StorageSync` reads a missing key as '', `login` hands out
// emulator codes. `swallow304` models a platform whose own cache answers our conditional request:
// the server's 304 arrives as a 200 with an empty body.
import { request as httpRequest } from 'node:http';

const METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'];

interface RequestOption {
  url: string;
  method?: string;
  header?: Record<string, string>;
  data?: unknown;
  dataType?: string;
  timeout?: number;
  success?(res: { statusCode: number; header: Record<string, string>; data: unknown; errMsg: string }): void;
  fail?(err: { errMsg: string; errno: number }): void;
}

let codes = 0;

export function fakeWx(reader: string, options: { swallow304?: boolean } = {}) {
  const store = new Map<string, unknown>();
  const api = {
    requests: 0,
    request(o: RequestOption) {
      api.requests++;
      const method = o.method ?? 'GET';
      const fail = (errMsg: string) => setImmediate(() => o.fail?.({ errMsg: `request:fail ${errMsg}`, errno: 600001 }));
      if (!METHODS.includes(method)) return fail('invalid method');
      const req = httpRequest(o.url, { method, headers: o.header, timeout: o.timeout ?? 60000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let data: unknown = text;
          if ((o.dataType ?? 'json') === 'json') {
            try {
              data = JSON.parse(text);
            } catch {
              // the platform hands over the text it could not parse
            }
          }
          // Header names as they came on the wire, in the platform's capitalisation.
          const header: Record<string, string> = {};
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            header[res.rawHeaders[i].replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())] = res.rawHeaders[i + 1];
          }
          let statusCode = res.statusCode ?? 0;
          if (options.swallow304 && statusCode === 304) statusCode = 200;
          o.success?.({ statusCode, header, data, errMsg: 'request:ok' });
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => fail(e.message));
      if (typeof o.data === 'string') req.write(o.data);
      req.end();
    },
    getStorageSync: (k: string) => (store.has(k) ? store.get(k) : ''),
    setStorageSync: (k: string, v: unknown) => void store.set(k, v),
    removeStorageSync: (k: string) => void store.delete(k),
    login(o: { success?(r: { code: string; errMsg: string }): void }) {
      setImmediate(() => o.success?.({ code: `${reader}.wx-${process.pid}-${++codes}`, errMsg: 'login:ok' }));
    },
    store,
  };
  return api;
}
