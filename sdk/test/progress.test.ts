import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BatchItem } from '../dist/index.js';
import { TestServer, newClient, sleep, twoNovels, until } from './support.js';

describe('progress queue', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.dispose());

  test('rapid page turns go out as one batch with the newest position per novel', async () => {
    const { client, transport, storage } = newClient(server, 'iris', { progressDelayMs: 1000 });
    await client.login();
    const [a, b] = await twoNovels(client);
    for (let offset = 0; offset < 10; offset++) {
      client.saveProgress(a.id, { chapter_id: a.chapters[1], offset, percent: 40 });
      await sleep(5);
    }
    client.saveProgress(b.id, { chapter_id: b.chapters[0], offset: 7, percent: 5 });
    // Recorded at once, in storage before anything is sent.
    assert.equal(client.pendingProgress.length, 2);
    const stored = JSON.parse(storage.get('lit.progress')!) as { items: BatchItem[] };
    assert.deepEqual(stored.items.map((i) => [i.novel_id, i.offset]), [
      [a.id, 9],
      [b.id, 7],
    ]);
    assert.equal(transport.count('POST', '/api/v1/progress/batch'), 0);

    await until(() => client.pendingProgress.length === 0, 5000, 'the timed flush');
    assert.equal(transport.count('POST', '/api/v1/progress/batch'), 1);
    assert.equal(storage.get('lit.progress'), null);
    const pa = await client.getProgress(a.id);
    assert.equal(pa.chapter_id, a.chapters[1]);
    assert.equal(pa.offset, 9);
    assert.equal((await client.getProgress(b.id)).offset, 7);
  });

  test('per-item errors are surfaced, the other items applied', async () => {
    const { client } = newClient(server, 'jade');
    await client.login();
    const [a, b] = await twoNovels(client);
    const events: string[] = [];
    client.on('progressRejected', (e) => events.push(`${e.item.novel_id}:${e.error.code}`));

    client.saveProgress(a.id, { chapter_id: b.chapters[0], offset: 1, percent: 1 }); // another novel's chapter
    client.saveProgress(b.id, { chapter_id: b.chapters[2], offset: 3, percent: 90 });
    client.saveProgress(a.id + 1_000_000, { chapter_id: a.chapters[0], offset: 0, percent: 0 }); // no such novel
    const res = await client.flushProgress();

    assert.deepEqual(res.applied.map((p) => [p.novel_id, p.chapter_id]), [[b.id, b.chapters[2]]]);
    assert.deepEqual(
      res.rejected.map((r) => r.item.novel_id),
      [a.id, a.id + 1_000_000],
    );
    assert.deepEqual(
      res.rejected.map((r) => r.error.code),
      ['validation_failed', 'not_found'],
    );
    assert.ok((res.rejected[0].error.details as Record<string, string[]>).chapter_id.length > 0);
    assert.deepEqual(events, res.rejected.map((r) => `${r.item.novel_id}:${r.error.code}`));
    assert.equal(client.pendingProgress.length, 0, 'refused items are not retried forever');
    assert.equal((await client.getProgress(b.id)).chapter_id, b.chapters[2]);
  });

  test('writes made before login go out with the login', async () => {
    const { client, transport } = newClient(server, 'kate', { progressDelayMs: 60_000 });
    const [a] = await twoNovels(client);
    client.saveProgress(a.id, { chapter_id: a.chapters[2], offset: 11, percent: 80 });
    await client.flushProgress(); // nothing to send it with yet
    assert.equal(transport.count('POST', '/api/v1/progress/batch'), 0);
    assert.equal(client.pendingProgress.length, 1);
    await client.login();
    await until(() => client.pendingProgress.length === 0, 5000, 'the flush after login');
    assert.equal((await client.getProgress(a.id)).offset, 11);
    client.close();
  });
});
