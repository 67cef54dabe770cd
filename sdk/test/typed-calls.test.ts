// The typed escape hatch `call()`: paths, methods and parameters are checked against the spec at
// compile time (the @ts-expect-error lines fail the build if they ever compile), and it works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../dist/index.js';
import { TestServer, newClient } from './support.js';

describe('typed calls', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.dispose());

  test('any operation of the spec, typed by path and method', async () => {
    const { client } = newClient(server, 'sara');
    await client.login();
    const hot = await client.call('get', '/api/v1/rankings/{kind}', { path: { kind: 'hot' }, query: { limit: 3 } });
    assert.equal(hot.length, 3);
    const detail = await client.call('get', '/api/v1/novels/{id}', { path: { id: hot[0].id } });
    assert.equal(detail.title, hot[0].title);
    assert.equal(detail.on_shelf, true); // the featured shelf holds the hottest novels

    // Nothing read yet: 204 → undefined.
    assert.equal(await client.lastRead(), undefined);
    await assert.rejects(
      client.call('get', '/api/v1/rankings/{kind}', { path: { kind: 'nope' as never } }),
      (e: unknown) => e instanceof ApiError && e.status === 422,
    );

    if (Math.random() < 0) {
      // Compile-time checks only.
      // @ts-expect-error unknown path parameter
      await client.call('get', '/api/v1/novels/{id}', { path: { nope: 1 } });
      // @ts-expect-error no such path
      await client.call('get', '/api/v1/nothing');
      // @ts-expect-error no POST on this path
      await client.call('post', '/api/v1/novels/{id}', { path: { id: 1 } });
      // @ts-expect-error the body of a progress write needs numbers
      await client.call('put', '/api/v1/progress/{novel_id}', { path: { novel_id: 1 }, body: { chapter_id: 'x' } });
    }
  });
});
