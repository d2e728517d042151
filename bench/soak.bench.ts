// Soak of the API's limits (`npm run bench -- soak`): the API as its own process under the
// shipped 512 MB heap cap takes 1,000 maximum-size requests (~38 KB each: a 4 KiB reason and
// 256 resource IDs filling the 32 KiB budget) while 200 watchers follow it (live followers,
// readers replaying from seq 0, and readers that stall after the first bytes), then serves the
// biggest page (`limit=1000`) and a full paged listing. Its peak RSS is reported beside the
// same run with small requests, so the ratio shows what the size of requests costs.
// A real plugin host (its own process, a private Redis, the webhook plugin routed to a local
// receiver) follows the API through both runs: every request must reach the receiver exactly once.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PLUGIN_ROLE } from '../src/api/bootstrap.js';
import { HttpAccessClient } from '../src/client/http-access-client.js';
import type { CreateRequestInput } from '../src/client/types.js';
import { RESOURCE_ROLES_YAML, seedUsers } from '../test/access/fixtures.js';
import { maxSizeRequest } from '../test/support/max-request.js';
import { type Receiver, startReceiver } from '../test/support/receiver.js';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { type HostChild, spawnHostProcess } from '../test/support/stack.js';
import { perSecond } from './stats.js';
import type { BenchSection } from './types.js';

const REQUESTS = 1_000;
const LIVE_FOLLOWERS = 80;
const REPLAYING = 40;
const STALLED = 80;
const HEAP_CAP_MB = 512;
const CONCURRENCY = 8;
/** How long the host may take, after the last create, to deliver the rest (a bound, not a goal). */
const DELIVERY_WAIT_MS = 60_000;
const WEBHOOK_SECRET = 'soak-secret-0123456789abcdef';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const round = (n: number, d = 1) => Number(n.toFixed(d));

interface ApiProcess {
  url: string;
  port: number;
  pid: number;
  adminToken: string;
  child: ChildProcess;
  dir: string;
}

async function startApiProcess(): Promise<ApiProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-soak-'));
  writeFileSync(join(dir, 'roles.yaml'), RESOURCE_ROLES_YAML);
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', TSX, MAIN, 'api'],
    {
      cwd: dir,
      env: {
        ...process.env,
        ACCESSBOT_API_LISTEN: '127.0.0.1:0',
        ACCESSBOT_ROLES_FILE: join(dir, 'roles.yaml'),
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (out += text));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /^access API listening on (http:\/\/\S+)$/m.exec(out)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`api did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const adminToken = readFileSync(join(dir, 'data', 'admin.token'), 'utf8').trim();
  return { url, port: Number(new URL(url).port), pid: child.pid ?? 0, adminToken, child, dir };
}

async function stopApiProcess(api: ApiProcess): Promise<void> {
  if (api.child.exitCode === null) {
    api.child.kill('SIGTERM');
    await new Promise((r) => api.child.once('exit', r));
  }
  rmSync(api.dir, { recursive: true, force: true });
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: round(kb('VmRSS') / 1024), peakMb: round(kb('VmHWM') / 1024) };
}

/**
 * A watcher on a raw socket: counts the events it reads by their `id:` lines (no JSON parse,
 * so the bench process is not the bottleneck). `stallAfterHead` reads the first bytes and stops.
 */
class RawWatcher {
  lastId = 0;
  bytes = 0;
  private readonly socket: Socket;
  private carry = '';

  constructor(port: number, token: string, since: number, stallAfterHead: boolean) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (stallAfterHead) {
        this.socket.pause();
        return;
      }
      const text = this.carry + chunk.toString('latin1');
      for (const match of text.matchAll(/\nid: (\d+)\n/g)) {
        const id = Number(match[1]);
        if (id > this.lastId) this.lastId = id;
      }
      this.carry = text.slice(-40);
    });
    this.socket.write(
      `GET /v1/watch?since=${since} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One GET of the biggest page, with its size and time. */
function getPage(api: ApiProcess, path: string): Promise<{ bytes: number; ms: number; status: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: api.port, path, headers: { authorization: `Bearer ${api.adminToken}` } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ bytes, ms: performance.now() - start, status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface SoakResult {
  createsPerSecond: number;
  peakRssMb: number;
  rssAfterMb: number;
  followersComplete: number;
  replayersComplete: number;
  firstPage: { bytes: number; ms: number; status: number };
  fullListingMs: number;
  listed: number;
  seconds: number;
  host: HostDeliveries;
}

/** The Redis and webhook receiver the soak's hosts share (each run has its own prefix and path). */
interface HostRig {
  redis: TestRedis;
  receiver: Receiver;
}

interface HostDeliveries {
  /** Distinct created requests that reached the receiver. */
  deliveredRequests: number;
  /** Extra copies: a second delivery id for a request, or a delivery id that arrived again. */
  duplicates: number;
  /** Posts for requests this run did not create. */
  strays: number;
  /** Last create answered → last delivery received (negative: delivered before the last answer). */
  lastCreateToLastDeliveryMs: number;
  peakRssMb: number;
}

/** Starts the plugin host in its own process (test/support/host-process.ts) against the soak's API, with a service token. */
async function startSoakHost(admin: HttpAccessClient, api: ApiProcess, rig: HostRig, path: string) {
  await admin.upsertUser({ name: 'accessbot-host', roles: [PLUGIN_ROLE] });
  const token = (await admin.issueToken('accessbot-host')).token;
  return spawnHostProcess(
    {
      apiUrl: api.url,
      apiToken: token,
      redisSocket: rig.redis.socket,
      prefix: `soak-${path}`,
      plugins: { webhook: { secret: WEBHOOK_SECRET } },
      routing: [{ roles: ['*'], targets: { webhook: [rig.receiver.urlFor(path)] } }],
      logLevel: 'error',
    },
    60_000,
  );
}

/** Waits (bounded) until every created request has arrived, then counts what the receiver got. */
async function hostDeliveries(
  host: HostChild,
  rig: HostRig,
  path: string,
  created: Set<string>,
  lastCreateAt: number,
): Promise<HostDeliveries> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  while (rig.receiver.postedCount(path) < created.size && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  // A little longer, so a late duplicate would be counted too.
  await new Promise((r) => setTimeout(r, 1_000));
  const posts = rig.receiver
    .deliveries()
    .filter((d) => d.path === `/${path}` && d.event === 'request.posted');
  const byRequest = new Map<string, number>();
  let duplicates = 0;
  for (const post of posts) {
    byRequest.set(post.requestId, (byRequest.get(post.requestId) ?? 0) + 1);
    duplicates += post.copies - 1;
  }
  for (const count of byRequest.values()) duplicates += count - 1;
  const deliveredRequests = [...created].filter((id) => byRequest.has(id)).length;
  const strays = [...byRequest.keys()].filter((id) => !created.has(id)).length;
  const lastAt = Math.max(...posts.map((post) => post.at));
  return {
    deliveredRequests,
    duplicates,
    strays,
    lastCreateToLastDeliveryMs: lastAt - lastCreateAt,
    peakRssMb: memoryOf(host.pid).peakMb,
  };
}

async function soak(
  make: (i: number) => CreateRequestInput,
  rig: HostRig,
  path: string,
): Promise<SoakResult> {
  const started = performance.now();
  const api = await startApiProcess();
  const watchers: RawWatcher[] = [];
  let host: HostChild | undefined;
  try {
    const admin = new HttpAccessClient({ baseUrl: api.url, token: api.adminToken, timeoutMs: 120_000 });
    await admin.upsertUser(seedUsers.rita);
    const rita = new HttpAccessClient({
      baseUrl: api.url,
      token: (await admin.issueToken('rita')).token,
      timeoutMs: 120_000,
    });
    host = await startSoakHost(admin, api, rig, path);
    const created = new Set<string>();
    const first = (await admin.latestSeq()) + 1;
    for (let i = 0; i < LIVE_FOLLOWERS; i++)
      watchers.push(new RawWatcher(api.port, api.adminToken, first - 1, false));

    let next = 0;
    let stalledStarted = false;
    let replayersStarted = false;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          // A quarter of the way in, readers stall in the middle of a replay; half way, more
          // readers start replaying from seq 0 while creates go on.
          if (i >= REQUESTS / 4 && !stalledStarted) {
            stalledStarted = true;
            for (let s = 0; s < STALLED; s++)
              watchers.push(new RawWatcher(api.port, api.adminToken, 0, true));
          }
          if (i >= REQUESTS / 2 && !replayersStarted) {
            replayersStarted = true;
            for (let r = 0; r < REPLAYING; r++)
              watchers.push(new RawWatcher(api.port, api.adminToken, 0, false));
          }
          created.add((await rita.createRequest(make(i))).id);
        }
      }),
    );
    const lastCreateAt = Date.now();
    const createsPerSecond = perSecond(REQUESTS, start);
    const last = await admin.latestSeq();

    const readers = watchers.filter(
      (_, index) => index < LIVE_FOLLOWERS || index >= LIVE_FOLLOWERS + STALLED,
    );
    const deadline = Date.now() + 300_000;
    while (readers.some((w) => w.lastId < last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const followersComplete = watchers.slice(0, LIVE_FOLLOWERS).filter((w) => w.lastId >= last).length;
    const replayersComplete = watchers.slice(LIVE_FOLLOWERS + STALLED).filter((w) => w.lastId >= last).length;
    const hostResult = await hostDeliveries(host, rig, path, created, lastCreateAt);

    const firstPage = await getPage(api, '/v1/requests?limit=1000');
    const listStart = performance.now();
    const listed = (await admin.listRequests()).length;
    const fullListingMs = performance.now() - listStart;
    const memory = memoryOf(api.pid);
    if (api.child.exitCode !== null)
      throw new Error(`the API exited (${api.child.exitCode}) during the soak`);
    return {
      createsPerSecond,
      peakRssMb: memory.peakMb,
      rssAfterMb: memory.rssMb,
      followersComplete,
      replayersComplete,
      firstPage,
      fullListingMs,
      listed,
      seconds: (performance.now() - started) / 1000,
      host: hostResult,
    };
  } finally {
    for (const watcher of watchers) watcher.close();
    await host?.kill();
    await stopApiProcess(api);
  }
}

const smallRequest = (i: number): CreateRequestInput => ({
  resources: [`/cluster.example.com/node/web-${i}`],
  reason: `small ${i}`,
});

export default async function soakBench(): Promise<BenchSection> {
  const redis = await startTestRedis();
  const receiver = await startReceiver({ secret: WEBHOOK_SECRET });
  const rig: HostRig = { redis, receiver };
  let small: SoakResult;
  let large: SoakResult;
  try {
    small = await soak(smallRequest, rig, 'small');
    large = await soak(maxSizeRequest, rig, 'large');
  } finally {
    await receiver.stop();
    await redis.stop();
  }
  const watchers = `${LIVE_FOLLOWERS} live + ${REPLAYING} replaying from 0 + ${STALLED} stalled`;
  return {
    title: `API soak: ${REQUESTS} requests, 200 watchers (${watchers}), the biggest page; API process under a ${HEAP_CAP_MB} MB heap cap`,
    rows: [
      {
        name: 'API peak RSS (VmHWM), maximum-size requests',
        value: large.peakRssMb,
        unit: 'MB',
        baseline: { name: 'small requests', value: small.peakRssMb, unit: 'MB' },
      },
      {
        name: 'API RSS at the end',
        value: large.rssAfterMb,
        unit: 'MB',
        baseline: { name: 'small requests', value: small.rssAfterMb, unit: 'MB' },
      },
      {
        name: 'creates/s while 200 watchers follow',
        value: round(large.createsPerSecond),
        unit: '/s',
        baseline: { name: 'small requests', value: round(small.createsPerSecond), unit: '/s' },
      },
      {
        name: 'live followers that got every event',
        value: large.followersComplete,
        unit: `of ${LIVE_FOLLOWERS}`,
        baseline: { name: 'small requests', value: small.followersComplete, unit: `of ${LIVE_FOLLOWERS}` },
      },
      {
        name: 'readers replaying from 0 that got every event',
        value: large.replayersComplete,
        unit: `of ${REPLAYING}`,
        baseline: { name: 'small requests', value: small.replayersComplete, unit: `of ${REPLAYING}` },
      },
      {
        name: 'biggest page (limit=1000): bytes',
        value: round(large.firstPage.bytes / 1024),
        unit: 'KiB',
        baseline: { name: 'small requests', value: round(small.firstPage.bytes / 1024), unit: 'KiB' },
      },
      {
        name: 'biggest page: time',
        value: Math.round(large.firstPage.ms),
        unit: 'ms',
        baseline: { name: 'small requests', value: Math.round(small.firstPage.ms), unit: 'ms' },
      },
      {
        name: `full paged listing (${large.listed} requests)`,
        value: Math.round(large.fullListingMs),
        unit: 'ms',
        baseline: { name: `small (${small.listed})`, value: Math.round(small.fullListingMs), unit: 'ms' },
      },
      {
        name: 'host: requests delivered to the webhook receiver',
        value: large.host.deliveredRequests,
        unit: `of ${REQUESTS}`,
        baseline: { name: 'small requests', value: small.host.deliveredRequests, unit: `of ${REQUESTS}` },
      },
      {
        name: 'host: duplicate deliveries',
        value: large.host.duplicates,
        unit: '',
        baseline: { name: 'small requests', value: small.host.duplicates, unit: '' },
      },
      {
        name: 'host: deliveries of requests not created in the run',
        value: large.host.strays,
        unit: '',
        baseline: { name: 'small requests', value: small.host.strays, unit: '' },
      },
      {
        name: 'host: last create → last delivery',
        value: Math.round(large.host.lastCreateToLastDeliveryMs),
        unit: 'ms',
        baseline: {
          name: 'small requests',
          value: Math.round(small.host.lastCreateToLastDeliveryMs),
          unit: 'ms',
        },
      },
      {
        name: 'host peak RSS (VmHWM)',
        value: large.host.peakRssMb,
        unit: 'MB',
        baseline: { name: 'small requests', value: small.host.peakRssMb, unit: 'MB' },
      },
    ],
    notes: [
      `The API runs as \`node --max-old-space-size=${HEAP_CAP_MB} --import tsx src/cli/main.ts api\`; tsx's loader is in both figures.`,
      `The plugin host runs as its own process (\`node --import tsx test/support/host-process.ts\`: the \`startHost\` that \`accessbot host\` runs, configured from the spec instead of a config file), with a service token, a private Redis and the webhook plugin routed to a receiver on 127.0.0.1 that checks signatures and counts each request id and delivery id; it starts before the first create and follows the API live. It gets at most ${DELIVERY_WAIT_MS / 1000} s after the last create to deliver the rest. tsx's loader is in its RSS too (the compiled host's is in \`npm run bench -- host\`).`,
      `Wall time: ${round(small.seconds)} s (small), ${round(large.seconds)} s (maximum-size).`,
      `The ${STALLED} stalled readers stop reading after the first bytes; the API holds at most one 64 KiB read and a 64 KiB socket queue for each and drops them after 60 s without progress (WATCH_STALL_TIMEOUT_MS). A paused socket does not see that close, so it is not counted here (test/api/watch-backpressure.test.ts checks it).`,
    ],
  };
}
