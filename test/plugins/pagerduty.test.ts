// End to end: the real API, the real host with its BullMQ queues on the test Redis, the
// PagerDuty plugin, and the fake PagerDuty REST API. Proves the "Must show" list.

import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { jobIdFor } from '../../src/host/delivery/job-ids.js';
import { hostKeys } from '../../src/host/redis/keys.js';
import { type FakePagerDuty, startFakePagerDuty } from '../fakes/pagerduty/server.js';
import { prodRequester, usersWithEmail, worldRolesYaml } from '../support/seed-world.js';
import { startTestStack } from '../support/stack.js';

type Stack = Awaited<ReturnType<typeof startTestStack>>;

const ROLES = worldRolesYaml(
  [
    {
      name: 'oncall-engineer',
      request: {
        roles: ['dba', 'secrets-admin'],
        annotations: {
          pagerduty_notify_service: ['Access Requests'],
          pagerduty_services: ['Databases', 'Payments'],
        },
      },
    },
    prodRequester({ pagerduty_notify_service: ['Access Requests'], pagerduty_services: ['Databases'] }),
    { name: 'approver', review: ['dba', 'prod-db', 'secrets-admin'] },
  ],
  ['dba', 'prod-db', 'secrets-admin'],
);

const USERS = usersWithEmail({
  alice: ['oncall-engineer'],
  carol: ['oncall-engineer'],
  tom: ['prod-requester'],
  bob: ['approver'],
  // The identity the plugin's automatic approvals are authored as.
  'pagerduty-bot': ['approver'],
});

let pd: FakePagerDuty;
let stack: Stack;
let world: ReturnType<typeof buildWorld>;
/** The host's queue for this plugin, read to learn when its auto-review job has finished. */
let queue: Queue;

function buildWorld() {
  pd.dir.addUser({ name: 'Access Bot', email: 'accessbot@example.com' });
  const notify = pd.dir.addService('Access Requests');
  const db = pd.dir.addService('Databases');
  const pay = pd.dir.addService('Payments');
  const other = pd.dir.addService('Other');
  const primary = pd.dir.addSchedule('DB primary');
  const weekly = pd.dir.addSchedule('Payments weekly');
  const holiday = pd.dir.addSchedule('Holiday cover');
  const alice = pd.dir.addUser({ name: 'Alice', email: 'ALICE@example.com' });
  const tom = pd.dir.addUser({ name: 'Tom', email: 'tom@example.com' });
  return { notify, db, pay, other, primary, weekly, holiday, alice, tom };
}

beforeAll(async () => {
  pd = await startFakePagerDuty();
  world = buildWorld();
  stack = await startTestStack({
    rolesYaml: ROLES,
    users: USERS,
    plugins: {
      pagerduty: {
        api_key: pd.apiKey,
        from_email: 'accessbot@example.com',
        base_url: pd.url,
        review_as: 'pagerduty-bot',
        auto_approval: {
          max_escalation_level: 2,
          schedules: ['DB primary', 'Payments weekly'],
          roles: ['dba', 'prod-*'],
        },
      },
    },
    delivery: { backoff: '200ms', max_backoff: '2s', attempts: 20 },
  });
  const keys = hostKeys(stack.prefix);
  queue = new Queue(keys.queueName('pagerduty'), { connection: stack.redisOptions, prefix: keys.bullPrefix });
});

afterAll(async () => {
  await queue?.close();
  await stack?.stop();
  await pd?.stop();
});

beforeEach(() => {
  // Each test sets up its own on-call entries.
  pd.dir.oncalls.length = 0;
});

const keyOf = (id: string) => `accessbot-access-request/${id}`;

async function request(
  user: string,
  roles: string[],
  extra: { requestTtl?: string } = {},
): Promise<AccessRequest> {
  const client = await stack.clientFor(user);
  return client.createRequest({ roles, reason: `${user} needs ${roles.join(',')}`, ...extra });
}

async function incidentOf(id: string) {
  await stack.waitFor(() => pd.dir.incidentByKey(keyOf(id)).length > 0, 20_000);
  return pd.dir.incidentByKey(keyOf(id))[0]!;
}

async function current(id: string): Promise<AccessRequest> {
  return stack.adminClient.getRequest(id);
}

/** Waits for the plugin's auto-review job of a request to finish; its outcome (`ok`, `skipped`). */
async function autoReviewOutcome(requestId: string): Promise<string> {
  return stack.waitFor(
    async () => {
      // finishedOn and returnvalue are written together when the job completes.
      const job = await queue.getJob(jobIdFor({ op: 'auto-review', plugin: 'pagerduty', requestId }));
      return job?.finishedOn ? String(job.returnvalue) : undefined;
    },
    20_000,
    'the auto-review job to finish',
  );
}

describe('incidents', () => {
  it('opens one incident on the notify service, notes reviews, and resolves it on approve', async () => {
    const req = await request('carol', ['dba']);
    const incident = await incidentOf(req.id);
    expect(incident.service.id).toBe(world.notify.id);
    expect(incident.title).toContain('carol');
    const bob = await stack.clientFor('bob');
    await bob.submitReview(req.id, { proposedState: 'APPROVED', reason: 'ticket OPS-1' });
    await stack.waitFor(() => incident.status === 'resolved', 20_000);
    await stack.waitFor(() => pd.dir.notesOf(incident.id).length >= 2, 20_000);
    const notes = pd.dir.notesOf(incident.id).map((n) => n.content);
    expect(
      notes.some((n) => n.includes('bob approved the access request') && n.includes('ticket OPS-1')),
    ).toBe(true);
    expect(notes.some((n) => n.includes('APPROVED'))).toBe(true);
    expect(pd.dir.incidentByKey(keyOf(req.id))).toHaveLength(1);
  });

  it('resolves the incident with a note on deny', async () => {
    const req = await request('carol', ['dba']);
    const incident = await incidentOf(req.id);
    await (await stack.clientFor('bob')).submitReview(req.id, {
      proposedState: 'DENIED',
      reason: 'not today',
    });
    await stack.waitFor(() => incident.status === 'resolved', 20_000);
    await stack.waitFor(() => pd.dir.notesOf(incident.id).some((n) => n.content.includes('DENIED')), 20_000);
    // The review's own note comes from a separate reply job, which may finish after the resolution.
    await stack.waitFor(
      () => pd.dir.notesOf(incident.id).some((n) => n.content.includes('bob denied the access request')),
      20_000,
    );
  });

  it('resolves the incident with a note on expiry', async () => {
    const req = await request('carol', ['dba'], { requestTtl: '3s' });
    const incident = await incidentOf(req.id);
    await stack.waitFor(async () => (await current(req.id)).state === 'EXPIRED', 30_000);
    await stack.waitFor(() => incident.status === 'resolved', 20_000);
    expect(
      pd.dir
        .notesOf(incident.id)
        .map((n) => n.content)
        .join('\n'),
    ).toContain('EXPIRED');
  });

  it('resolves the incident with a note when the request is deleted', async () => {
    const req = await request('carol', ['dba']);
    const incident = await incidentOf(req.id);
    await stack.adminClient.deleteRequest(req.id);
    await stack.waitFor(() => incident.status === 'resolved', 20_000);
    const notes = pd.dir.notesOf(incident.id).map((n) => n.content);
    expect(notes.join('\n')).toContain(`Access request ${req.id} WITHDRAWN`);
  });

  it('opens the incident once when the job is retried after PagerDuty committed it', async () => {
    pd.loseNextResponse((m, p) => m === 'POST' && p === '/incidents');
    const req = await request('carol', ['dba']);
    await incidentOf(req.id);
    // The retry found the incident it had opened instead of opening another: the host
    // stored its ref, so a review lands as a note on that one incident.
    await (await stack.clientFor('bob')).submitReview(req.id, {
      proposedState: 'DENIED',
      reason: 'dup check',
    });
    const incident = pd.dir.incidentByKey(keyOf(req.id))[0]!;
    await stack.waitFor(() => incident.status === 'resolved', 20_000);
    expect(pd.dir.incidentByKey(keyOf(req.id))).toHaveLength(1);
    const posts = pd.callsTo('POST', '/incidents').filter((c) => JSON.stringify(c.body).includes(req.id));
    expect(posts[0]!.status).toBe(502);
  });
});

describe('on-call auto-approval', () => {
  async function expectApprovedBy(req: AccessRequest, serviceName: string) {
    expect(await autoReviewOutcome(req.id)).toBe('ok');
    await stack.waitFor(async () => (await current(req.id)).state === 'APPROVED', 20_000);
    const done = await current(req.id);
    expect(done.reviews).toHaveLength(1);
    expect(done.reviews[0]!.author).toBe('pagerduty-bot');
    expect(done.reviews[0]!.reason).toContain(serviceName);
    return done;
  }

  it('approves when on call in the first named service policy', async () => {
    pd.dir.putOnCall(world.alice, world.db.escalation_policy, 1, world.primary);
    const done = await expectApprovedBy(await request('alice', ['dba']), 'Databases');
    expect(done.reviews[0]!.reason).toContain('escalation level 1');
  });

  it('approves when on call in the second named service policy', async () => {
    pd.dir.putOnCall(world.alice, world.pay.escalation_policy, 2, world.weekly);
    const done = await expectApprovedBy(await request('alice', ['dba']), 'Payments');
    expect(done.reviews[0]!.reason).toContain('escalation level 2');
  });

  const refusals: { name: string; user: string; roles: string[]; setup: () => void }[] = [
    {
      name: 'on call only in another policy',
      user: 'alice',
      roles: ['dba'],
      setup: () => pd.dir.putOnCall(world.alice, world.other.escalation_policy, 1, world.primary),
    },
    { name: 'not on call', user: 'alice', roles: ['dba'], setup: () => {} },
    {
      name: 'on call above the level limit',
      user: 'alice',
      roles: ['dba'],
      setup: () => pd.dir.putOnCall(world.alice, world.db.escalation_policy, 3, world.primary),
    },
    {
      name: 'on call on a schedule outside the allowed ones',
      user: 'alice',
      roles: ['dba'],
      setup: () => pd.dir.putOnCall(world.alice, world.db.escalation_policy, 1, world.holiday),
    },
    {
      name: 'asking for a role outside the allowed ones',
      user: 'alice',
      roles: ['secrets-admin'],
      setup: () => pd.dir.putOnCall(world.alice, world.db.escalation_policy, 1, world.primary),
    },
    {
      name: 'the requester is unknown to PagerDuty',
      user: 'carol',
      roles: ['dba'],
      setup: () => pd.dir.putOnCall(world.alice, world.db.escalation_policy, 1, world.primary),
    },
  ];

  for (const r of refusals) {
    it(`does not approve when ${r.name}`, async () => {
      r.setup();
      const req = await request(r.user, r.roles);
      // The plugin answered "no opinion": its job finished without submitting a review.
      expect(await autoReviewOutcome(req.id)).toBe('skipped');
      const now = await current(req.id);
      expect(now.state).toBe('PENDING');
      expect(now.reviews).toEqual([]);
    });
  }

  it('with a threshold of two, the plugin approval leaves the request pending for one human', async () => {
    pd.dir.putOnCall(world.tom, world.db.escalation_policy, 1, world.primary);
    const req = await request('tom', ['prod-db']);
    await stack.waitFor(async () => (await current(req.id)).reviews.length === 1, 20_000);
    const half = await current(req.id);
    expect(half.state).toBe('PENDING');
    expect(half.reviews[0]!.author).toBe('pagerduty-bot');
    const incident = await incidentOf(req.id);
    expect(incident.status).not.toBe('resolved');
    await (await stack.clientFor('bob')).submitReview(req.id, {
      proposedState: 'APPROVED',
      reason: 'second pair of eyes',
    });
    await stack.waitFor(async () => (await current(req.id)).state === 'APPROVED', 20_000);
    await stack.waitFor(() => incident.status === 'resolved', 20_000);
  });

  it('an outage (500s, then 429 with Retry-After) delays the approval but does not lose it', async () => {
    pd.dir.putOnCall(world.alice, world.db.escalation_policy, 1, world.primary);
    const onCallPath = (_m: string, p: string) => p === '/oncalls';
    pd.failNext(3, { status: 500, match: onCallPath });
    pd.rateLimitNext(1, 2, onCallPath);
    const req = await request('alice', ['dba']);
    await expectApprovedBy(req, 'Databases');
    const oncalls = pd
      .callsTo('GET', '/oncalls')
      .filter((c) => c.query.getAll('user_ids[]').includes(world.alice.id));
    const statuses = oncalls.map((c) => c.status);
    expect(statuses.slice(-5)).toEqual([500, 500, 500, 429, 200]);
    const limited = oncalls[oncalls.length - 2]!;
    const after = oncalls[oncalls.length - 1]!;
    // The host waited at least as long as PagerDuty asked (Retry-After: 2).
    expect(after.at - limited.at).toBeGreaterThanOrEqual(1900);
  });
});
