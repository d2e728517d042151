// A private PostgreSQL per test run (or per fault test that restarts it): initdb and pg_ctl in
// a temp folder, listening on a unix socket in that folder only (no TCP port), so tests never
// touch whatever PostgreSQL the machine happens to run. initdb refuses to run as root, so as
// root the cluster belongs to the `postgres` user (runuser); the tests connect as the cluster's
// superuser `postgres` over the socket (trust, local only). Each suite takes a database of its own.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface TestPostgres {
  /** The folder holding the socket (a `host=` for libpq and `pg`). */
  socketDir: string;
  dataDir: string;
  /** postgres:// URL of database `db` on this server. */
  urlFor(db: string): string;
  /** A fresh empty database; `drop` removes it (closing anything still connected). */
  createDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }>;
  /** Stops the server like a crash (`pg_ctl stop -m immediate`: recovery on the next start). */
  kill(): void;
  start(): void;
  /** Kills, waits `downMs`, starts again on the same data and socket. */
  restart(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** The folder holding initdb and pg_ctl: ACCESSBOT_PG_BIN, Debian's newest /usr/lib/postgresql/N/bin, or PATH. */
export function postgresBinDir(): string {
  if (process.env.ACCESSBOT_PG_BIN) return process.env.ACCESSBOT_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found.slice(0, found.lastIndexOf('/'));
  throw new Error('PostgreSQL is not installed (no initdb): run scripts/ensure-system.sh --tests');
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL tool as the cluster's owner (`postgres` when we are root). */
function runAsOwner(tool: string, args: string[]): void {
  const bin = join(postgresBinDir(), tool);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`${tool} failed: ${e.stderr?.toString() || e.stdout?.toString() || e.message}`);
  }
}

export interface TestPostgresOptions {
  /** Also listen on 127.0.0.1:<port> with TLS (PEM certificate and key): for the TLS settings' tests. */
  tls?: { port: number; certPem: string; keyPem: string };
}

export async function startTestPostgres(opts: TestPostgresOptions = {}): Promise<TestPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'accessbot-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = root;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    let uid: number;
    let gid: number;
    try {
      uid = Number(
        execFileSync('id', ['-u', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim(),
      );
      gid = Number(
        execFileSync('id', ['-g', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim(),
      );
    } catch {
      throw new Error(
        'as root, the test PostgreSQL runs as the `postgres` user (initdb refuses root), and there is none: run scripts/ensure-system.sh --tests',
      );
    }
    chownSync(root, uid, gid);
    chmodSync(root, 0o755);
    owner = { uid, gid };
  }
  runAsOwner('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const tcp: string[] = [];
  if (opts.tls) {
    // The server reads its key only when the key belongs to it and no one else can read it.
    const cert = join(root, 'server.crt');
    const key = join(root, 'server.key');
    writeFileSync(cert, opts.tls.certPem);
    writeFileSync(key, opts.tls.keyPem, { mode: 0o600 });
    if (owner) for (const f of [cert, key]) chownSync(f, owner.uid, owner.gid);
    tcp.push(
      '-c listen_addresses=127.0.0.1',
      `-c port=${opts.tls.port}`,
      '-c ssl=on',
      `-c ssl_cert_file=${cert}`,
      `-c ssl_key_file=${key}`,
    );
  }
  // No TCP unless asked; fsync off (the tests crash the server process, never the machine, so
  // written WAL survives in the page cache); enough connections for two replicas per suite and workers.
  const options = [
    ...(tcp.length ? tcp : ["-c listen_addresses=''"]),
    `-k ${socketDir}`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
    '-c shared_buffers=32MB',
  ].join(' ');
  const start = () =>
    runAsOwner('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(root, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const kill = () => {
    if (existsSync(join(dataDir, 'postmaster.pid')))
      runAsOwner('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  };
  start();
  const port = opts.tls?.port ?? 5432;
  const urlFor = (db: string) =>
    `postgres://postgres@/${db}?host=${encodeURIComponent(socketDir)}${port === 5432 ? '' : `&port=${port}`}`;
  const admin = async <T>(run: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: urlFor('postgres') });
    await c.connect();
    try {
      return await run(c);
    } finally {
      await c.end();
    }
  };
  return {
    socketDir,
    dataDir,
    urlFor,
    async createDatabase() {
      const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      return {
        url: urlFor(name),
        name,
        drop: () =>
          admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
    kill,
    start,
    async restart({ downMs = 0 } = {}) {
      kill();
      if (downMs > 0) await sleep(downMs);
      start();
    },
    async stop() {
      try {
        kill();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

/** The run's shared server (started by global-setup), as a TestPostgres without stop/kill rights. */
export function sharedTestPostgresUrl(db: string): string {
  const dir = process.env.ACCESSBOT_TEST_PG_SOCKET_DIR;
  if (!dir) throw new Error('ACCESSBOT_TEST_PG_SOCKET_DIR is not set: run through vitest (global setup)');
  return `postgres://postgres@/${db}?host=${encodeURIComponent(dir)}`;
}

/** A fresh database on the run's shared server; `drop` removes it. */
export async function createSharedTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: sharedTestPostgresUrl('postgres') });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: sharedTestPostgresUrl(name),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
