import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestServer, newClient, twoNovels } from './support.js';

describe('chapter cache', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.dispose());

  test('a chapter read again is revalidated: 304 and the stored text', async () => {
    const { client, transport } = newClient(server, 'emma');
    await client.login();
    const [novel] = await twoNovels(client);
    const path = `/api/v1/novels/${novel.id}/chapters/${novel.chapters[0]}`;

    const first = await client.chapter(novel.id, novel.chapters[0]);
    const second = await client.chapter(novel.id, novel.chapters[0]);

    const reads = transport.log.filter((e) => e.path === path);
    assert.deepEqual(
      reads.map((e) => [e.status, !!e.ifNoneMatch]),
      [
        [200, false],
        [304, true],
      ],
    );
    assert.ok(first.content.length > 0);
    assert.deepEqual(second, first);
    assert.equal(second.progress?.chapter_id, novel.chapters[0]);
  });

  test('anonymous readers get 304s too', async () => {
    const { client, transport } = newClient(server, 'anon');
    const [novel] = await twoNovels(client);
    const a = await client.chapter(novel.id, novel.chapters[1]);
    const b = await client.chapter(novel.id, novel.chapters[1]);
    assert.deepEqual(b, a);
    assert.deepEqual(
      transport.log.filter((e) => e.path.includes('/chapters/')).map((e) => e.status),
      [200, 304],
    );
  });

  test('a newer progress changes the ETag: the fresh answer, not the stale copy', async () => {
    const { client, transport } = newClient(server, 'fiona');
    await client.login();
    const [novel] = await twoNovels(client);
    const c = novel.chapters[0];
    await client.chapter(novel.id, c);
    client.saveProgress(novel.id, { chapter_id: c, offset: 42, percent: 10 });
    await client.flushProgress();
    const again = await client.chapter(novel.id, c);
    assert.equal(again.progress?.offset, 42);
    assert.deepEqual(
      transport.log.filter((e) => e.path.includes('/chapters/')).map((e) => e.status),
      [200, 200],
    );
  });

  test('the cache is bounded: the least recently read chapter is dropped', async () => {
    const { client, transport, storage } = newClient(server, 'gina', { chapterCache: { maxEntries: 2 } });
    const [novel] = await twoNovels(client);
    const [c1, c2, c3] = novel.chapters;
    await client.chapter(novel.id, c1);
    await client.chapter(novel.id, c2);
    await client.chapter(novel.id, c3); // c1 dropped
    await client.chapter(novel.id, c1); // fetched whole again; c2 dropped
    await client.chapter(novel.id, c3); // still cached
    const statuses = transport.log.filter((e) => e.path.includes('/chapters/')).map((e) => e.status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 304]);
    const cached = storage.keys().filter((k) => k.startsWith('lit.ch:') && k !== 'lit.ch:');
    assert.deepEqual(cached.sort(), [`lit.ch:${novel.id}/${c1}`, `lit.ch:${novel.id}/${c3}`].sort());
  });

  test('logging out forgets the cached chapters (they carry the reader progress)', async () => {
    const { client, storage } = newClient(server, 'hana');
    await client.login();
    const [novel] = await twoNovels(client);
    await client.chapter(novel.id, novel.chapters[0]);
    assert.ok(storage.keys().some((k) => k.startsWith('lit.ch:') && k.length > 'lit.ch:'.length));
    await client.logout();
    assert.deepEqual(
      storage.keys().filter((k) => k.startsWith('lit.ch:') && k !== 'lit.ch:'),
      [],
    );
  });
});
