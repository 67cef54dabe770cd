import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError, LiteratureClient, NetworkError, fetchTransport } from '../dist/index.js';
import { TestServer, newClient } from './support.js';

describe('login, shelf, errors', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
  });
  after(() => server.dispose());

  test('login stores the tokens and the shelf opens', async () => {
    const { client, storage } = newClient(server, 'alice');
    const res = await client.login();
    assert.equal(res.is_new_user, true);
    assert.equal(client.loggedIn, true);
    assert.equal(client.userId, res.user.id);
    assert.ok(storage.get('lit.auth'), 'tokens are in storage');

    const shelf = await client.shelf();
    // A new reader's shelf holds the featured novels (FEATURED_SHELF_SIZE = 5).
    assert.equal(shelf.items.length, 5);
    assert.ok(shelf.items.every((i) => i.novel.title.length > 0));
    assert.equal((await client.me()).id, res.user.id);

    // A client made later on the same storage (the app started again) is still logged in.
    const again = new LiteratureClient({ baseUrl: server.baseUrl, transport: fetchTransport(), storage });
    assert.equal((await again.me()).id, res.user.id);
  });

  test('concurrent login() calls share one login code', async () => {
    const { client, transport } = newClient(server, 'bella');
    const [a, b] = await Promise.all([client.login(), client.login()]);
    assert.equal(a.user.id, b.user.id);
    assert.equal(transport.count('POST', '/api/v1/auth/login'), 1);
  });

  test('errors carry code, status and details', async () => {
    const { client } = newClient(server, 'carla');
    await client.login();
    await assert.rejects(client.novel(987654321), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 404);
      assert.equal(e.code, 'not_found');
      return true;
    });
    await assert.rejects(client.shelf({ per_page: 1000 }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 422);
      assert.equal(e.code, 'validation_failed');
      assert.ok(Array.isArray(e.details?.per_page), JSON.stringify(e.details));
      return true;
    });
    const anonymous = newClient(server, 'nobody').client;
    await assert.rejects(anonymous.shelf(), (e: unknown) => e instanceof ApiError && e.code === 'missing_token');

    const closed = new LiteratureClient({ baseUrl: 'http://127.0.0.1:9', transport: fetchTransport() });
    await assert.rejects(closed.categories(), (e: unknown) => e instanceof NetworkError);
  });

  test('invalid_token (the login was ended elsewhere) → loggedOut, tokens forgotten', async () => {
    const phone = newClient(server, 'dora');
    const tablet = newClient(server, 'dora');
    await phone.client.login();
    await tablet.client.login();
    const events: string[] = [];
    phone.client.on('loggedOut', (e) => events.push(e.reason));

    await tablet.client.logout(true); // every login of dora
    assert.equal(tablet.client.loggedIn, false);

    await assert.rejects(phone.client.shelf(), (e: unknown) => e instanceof ApiError && e.code === 'invalid_token');
    assert.deepEqual(events, ['invalid_token']);
    assert.equal(phone.client.loggedIn, false);
    assert.equal(phone.storage.get('lit.auth'), null);
    // No refresh was tried for an invalid token.
    assert.equal(phone.transport.count('POST', '/api/v1/auth/refresh'), 0);

    // Logging in again is the way back.
    await phone.client.login();
    assert.equal((await phone.client.shelf()).items.length, 5);
  });
});
