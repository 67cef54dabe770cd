// Test support: the real `literature` binary on a temporary SQLite file with the built-in
// WeChat emulator, and SDK clients over a transport that records every exchange.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ClientOptions,
  LiteratureClient,
  type Transport,
  fetchTransport,
  memoryStorage,
} from '../dist/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = process.env.LITERATURE_BIN ?? join(REPO, 'target', 'debug', 'literature');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free local port (the server is restarted on the same one in the offline test). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class TestServer {
  private proc?: ChildProcess;
  private output = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'literature-sdk-'));
  baseUrl = '';

  private constructor(
    private readonly env: Record<string, string>,
    private port = 0,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TestServer> {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`cargo build -p api\` first`);
    const s = new TestServer(env, await freePort());
    await s.launch();
    return s;
  }

  /** Starts the binary (again) on the same database and port. */
  async launch(): Promise<void> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: `sqlite://${join(this.dir, 'test.db')}?mode=rwc`,
      BIND_ADDR: `127.0.0.1:${this.port}`,
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      RUST_LOG: process.env.TEST_LOG ? 'info' : 'warn',
      ...this.env,
    };
    // The built-in emulator: no WeChat credentials, not production.
    for (const k of ['WECHAT_APP_ID', 'WECHAT_APP_SECRET', 'APP_ENV', 'JWT_SECRET']) delete env[k];
    const proc = spawn(BIN, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    // Never leave a server behind, even when a test file dies half-way.
    process.once('exit', () => proc.kill('SIGKILL'));
    const collect = (b: Buffer) => {
      this.output += b.toString();
      if (process.env.TEST_LOG) process.stderr.write(b);
    };
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${this.output}`);
      try {
        if ((await fetch(`${this.baseUrl}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`server did not start within 30 s:\n${this.output}`);
  }

  /** SIGTERM (graceful shutdown) and wait for the process to end. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Exchange {
  method: string;
  path: string;
  /** 0: no answer (network error). */
  status: number;
  ifNoneMatch?: string;
}

/** Wraps a transport and records every exchange (to count refreshes, see 304s). */
export function recording(inner: Transport): Transport & { log: Exchange[]; count(method: string, path: string): number } {
  const log: Exchange[] = [];
  return {
    log,
    count: (method, path) => log.filter((e) => e.method === method && e.path === path).length,
    async request(r) {
      const e: Exchange = { method: r.method, path: new URL(r.url).pathname, status: 0, ifNoneMatch: r.headers['if-none-match'] };
      try {
        const res = await inner.request(r);
        e.status = res.status;
        return res;
      } finally {
        log.push(e);
      }
    },
  };
}

let codes = 0;

/** A client for emulator reader `reader` (login codes `reader.<unique>`), with its storage and log. */
export function newClient(server: TestServer, reader: string, options: Partial<ClientOptions> = {}) {
  const transport = recording(fetchTransport());
  const storage = memoryStorage();
  const client = new LiteratureClient({
    baseUrl: server.baseUrl,
    transport,
    storage,
    codeProvider: async () => `${reader}.${process.pid}-${++codes}-${Date.now()}`,
    ...options,
  });
  return { client, transport, storage };
}

/** Waits until `cond()` holds, polling every 50 ms, failing after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Two novels of the demo catalog with their chapter ids. */
export async function twoNovels(client: LiteratureClient) {
  const page = await client.novels({ per_page: 2, sort: 'hot' });
  return Promise.all(
    page.items.map(async (n) => ({ id: n.id, chapters: (await client.chapters(n.id)).items.map((c) => c.id) })),
  );
}
