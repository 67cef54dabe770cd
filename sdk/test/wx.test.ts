// The mini-program side (wxTransport, wxStorage, wxLoginCode) over the `wx` stand-in, against
// the real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LiteratureClient, NetworkError, wxLoginCode, wxStorage, wxTransport } from '../dist/index.js';
import { TestServer, recording, twoNovels } from './support.js';
import { fakeWx } from './wx-shim.js';

function wxClient(server: TestServer, reader: string, options: { swallow304?: boolean } = {}) {
  const wx = fakeWx(reader, options);
  const api = wx as unknown as WechatMiniprogram.Wx;
  const transport = recording(wxTransport({ wx: api }));
  const client = new LiteratureClient({
    baseUrl: server.baseUrl,
    transport,
    storage: wxStorage(api),
    codeProvider: wxLoginCode(api),
  });
  return { wx, client, transport };
}

describe('mini-program transport and storage', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.dispose());

  test('wx.login → login, tokens in wx storage, the shelf opens', async () => {
    const { wx, client } = wxClient(server, 'nina');
    const res = await client.login();
    assert.equal(typeof wx.store.get('lit.auth'), 'string');
    assert.equal((await client.shelf()).items.length, 5);
    assert.equal((await client.me()).id, res.user.id);
    // lastRead's 204 (nothing read yet) has no body: undefined, not a parse error.
    assert.equal(await client.lastRead(), undefined);
  });

  test('a 304 from wx.request answers from the cache', async () => {
    const { client, transport } = wxClient(server, 'olga');
    await client.login();
    const [novel] = await twoNovels(client);
    const a = await client.chapter(novel.id, novel.chapters[0]);
    const b = await client.chapter(novel.id, novel.chapters[0]);
    assert.deepEqual(b, a);
    assert.ok(a.content.length > 0);
    assert.deepEqual(
      transport.log.filter((e) => e.path.includes('/chapters/')).map((e) => e.status),
      [200, 304],
    );
  });

  test('a 304 the platform turned into an empty 200 is still a 304', async () => {
    const { client, transport } = wxClient(server, 'petra', { swallow304: true });
    await client.login();
    const [novel] = await twoNovels(client);
    const a = await client.chapter(novel.id, novel.chapters[1]);
    const b = await client.chapter(novel.id, novel.chapters[1]);
    assert.deepEqual(b, a);
    assert.deepEqual(
      transport.log.filter((e) => e.path.includes('/chapters/')).map((e) => e.status),
      [200, 304],
    );
  });

  test('no answer → NetworkError; PATCH is refused before it is sent', async () => {
    const { wx, client } = wxClient(server, 'rita');
    await client.login();
    const before = wx.requests;
    await assert.rejects(
      client.call('patch', '/api/v1/me/reader-settings', { body: { font_size: 20 } }),
      (e: unknown) => e instanceof NetworkError && /PATCH/.test(e.message),
    );
    assert.equal(wx.requests, before);

    const down = new LiteratureClient({
      baseUrl: 'http://127.0.0.1:9',
      transport: wxTransport({ wx: fakeWx('x') as unknown as WechatMiniprogram.Wx }),
    });
    await assert.rejects(down.categories(), (e: unknown) => e instanceof NetworkError && /request:fail/.test(e.message));
  });
});
