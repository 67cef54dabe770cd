// Access tokens that live 1 s (plus the server's 5 s JWT leeway), and no grace for a spent
// refresh token: a second refresh with the same token would be reuse and end the login, so
// "exactly one refresh" is checked by the server as well as by the count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../dist/index.js';
import { TestServer, newClient, sleep } from './support.js';

const EXPIRED_AFTER_MS = 7_500; // 1 s life + 5 s leeway + a margin for whole-second claims

describe('expired access tokens', () => {
  let server: TestServer;
  let carol: ReturnType<typeof newClient>;
  let dave: ReturnType<typeof newClient>;
  let thiefRefresh = '';

  before(async () => {
    server = await TestServer.start({ ACCESS_TOKEN_TTL_SECS: '1', REFRESH_GRACE_SECS: '0' });
    carol = newClient(server, 'carol');
    dave = newClient(server, 'dave');
    await Promise.all([carol.client.login(), dave.client.login()]);
    // Somebody copies dave's refresh token and uses it first.
    const { r } = JSON.parse(dave.storage.get('lit.auth')!) as { r: string };
    const stolen = await fetch(`${server.baseUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: r }),
    });
    assert.equal(stolen.status, 200);
    thiefRefresh = ((await stolen.json()) as { refresh_token: string }).refresh_token;
    await sleep(EXPIRED_AFTER_MS);
  });
  after(() => server.dispose());

  test('20 concurrent calls with an expired token → one refresh, each call retried once', async () => {
    const events: string[] = [];
    carol.client.on('loggedOut', (e) => events.push(e.reason));
    const before = carol.transport.log.length;

    const shelves = await Promise.all(Array.from({ length: 20 }, () => carol.client.shelf()));

    assert.ok(shelves.every((s) => s.items.length === 5));
    const log = carol.transport.log.slice(before);
    assert.equal(log.filter((e) => e.path === '/api/v1/auth/refresh').length, 1);
    const shelfCalls = log.filter((e) => e.path === '/api/v1/bookshelf').map((e) => e.status);
    assert.equal(shelfCalls.filter((s) => s === 401).length, 20, 'all 20 met the expired token');
    assert.equal(shelfCalls.filter((s) => s === 200).length, 20, 'each was retried once');
    assert.equal(shelfCalls.length, 40);
    assert.deepEqual(events, []);
    assert.equal(carol.client.loggedIn, true);
  });

  test('a refresh token used by somebody else → refresh_token_reused → loggedOut', async () => {
    const events: string[] = [];
    dave.client.on('loggedOut', (e) => events.push(e.reason));

    await assert.rejects(dave.client.shelf(), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 401);
      assert.equal(e.code, 'refresh_token_reused');
      return true;
    });
    assert.deepEqual(events, ['refresh_token_reused']);
    assert.equal(dave.client.loggedIn, false);
    assert.equal(dave.storage.get('lit.auth'), null);

    // The server ended the whole login: the thief's token is dead too.
    const thief = await fetch(`${server.baseUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: thiefRefresh }),
    });
    assert.equal(thief.status, 401);

    // The app logs in again on the event; everything works again.
    await dave.client.login();
    assert.equal((await dave.client.shelf()).items.length, 5);
  });
});
