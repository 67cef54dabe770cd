// The network cut for real: the server process is stopped, then started again on the same
// SQLite file and port.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type BatchItem, LiteratureClient, NetworkError, type Progress } from '../dist/index.js';
import { TestServer, newClient, twoNovels, until } from './support.js';

describe('offline progress', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.dispose());

  test('the queue survives a stopped server and an app restart; newest wins once it is back', async () => {
    const phone = newClient(server, 'lena', { progressDelayMs: 60_000 });
    await phone.client.login();
    const [x, y] = await twoNovels(phone.client);
    phone.client.saveProgress(x.id, { chapter_id: x.chapters[0], offset: 10, percent: 5 });
    await phone.client.flushProgress();

    await server.stop();
    // In the tunnel: newer than what the server has for x; y was never synced.
    phone.client.saveProgress(x.id, { chapter_id: x.chapters[1], offset: 20, percent: 50 });
    phone.client.saveProgress(y.id, { chapter_id: y.chapters[0], offset: 5, percent: 2 });
    await assert.rejects(phone.client.flushProgress(), (e: unknown) => e instanceof NetworkError);
    const queued = JSON.parse(phone.storage.get('lit.progress')!) as { items: BatchItem[] };
    assert.deepEqual(queued.items.map((i) => [i.novel_id, i.chapter_id, i.offset]), [
      [x.id, x.chapters[1], 20],
      [y.id, y.chapters[0], 5],
    ]);
    phone.client.close(); // the app is killed

    await server.launch();
    // Meanwhile the reader went on in y on another device: newer than the phone's queued y.
    const tablet = newClient(server, 'lena');
    await tablet.client.login();
    tablet.client.saveProgress(y.id, { chapter_id: y.chapters[2], offset: 30, percent: 95 });
    await tablet.client.flushProgress();

    // The app starts again on the same storage: still logged in, the queue is still there.
    const restarted = new LiteratureClient({ baseUrl: server.baseUrl, transport: phone.transport, storage: phone.storage });
    assert.equal(restarted.loggedIn, true);
    assert.equal(restarted.pendingProgress.length, 2);
    const res = await restarted.flushProgress();
    restarted.close();

    assert.deepEqual(res.rejected, []);
    const byNovel = new Map(res.applied.map((p: Progress) => [p.novel_id, p]));
    assert.equal(byNovel.get(x.id)?.chapter_id, x.chapters[1], 'the offline write was newer: it won');
    assert.equal(byNovel.get(y.id)?.chapter_id, y.chapters[2], "the tablet's later write was kept");
    assert.equal(phone.storage.get('lit.progress'), null);
    assert.equal((await tablet.client.getProgress(x.id)).offset, 20);
    assert.equal((await tablet.client.getProgress(y.id)).offset, 30);
  });

  test('a failed flush is retried by itself once the server is back', async () => {
    const { client, transport } = newClient(server, 'mona', { progressDelayMs: 100, retryDelayMs: 200 });
    await client.login();
    const [x] = await twoNovels(client);

    await server.stop();
    client.saveProgress(x.id, { chapter_id: x.chapters[2], offset: 33, percent: 99 });
    await until(
      () => transport.log.some((e) => e.path === '/api/v1/progress/batch' && e.status === 0),
      5000,
      'a failed attempt',
    );
    assert.equal(client.pendingProgress.length, 1);

    await server.launch();
    await until(() => client.pendingProgress.length === 0, 15_000, 'the retry');
    assert.equal((await client.getProgress(x.id)).offset, 33);
    client.close();
  });
});
