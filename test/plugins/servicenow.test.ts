// Decisions taken in ServiceNow, through the real access API and plugin host against the fake
// instance: an approval and a rejection recorded on the incident become one review each by the
// mapped person, found by the host's poll and pushed by the signed business rule; thresholds and
// review rights are the API's, and what it refused is written back as a work note.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushChange } from '../fakes/servicenow/push.js';
import { type FakeServiceNow, startFakeServiceNow } from '../fakes/servicenow/server.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let sn: FakeServiceNow;
let stack: TestStack;
const pushKey = randomBytes(32).toString('hex');

/** The API and host with the plugin polling every `pollSeconds` (0: pushes only). */
const stackPolling = (pollSeconds: number) =>
  startTestStack({
    rolesYaml: dbaAndProdRolesYaml(),
    users: usersWithEmail({
      tom: ['requester', 'prod-requester'],
      bob: ['approver'],
      carol: ['approver'],
      nora: ['requester'],
    }),
    plugins: {
      servicenow: {
        instance_url: sn.url,
        auth: { type: 'basic', ...sn.basic },
        assignment_group: 'Access Approvers',
        decisions: {
          poll_interval_seconds: pollSeconds,
          push_secret: pushKey,
          request_approval_from: ['bob.sn', 'carol.sn'],
        },
      },
    },
  });

beforeAll(async () => {
  sn = await startFakeServiceNow();
  sn.addGroup('Access Approvers');
  for (const name of ['tom', 'bob', 'carol', 'nora', 'ghost'])
    sn.addUser({
      user_name: `${name}.sn`,
      email: `${name}@example.com`,
      name: `${name[0]!.toUpperCase()}${name.slice(1)}`,
    });
});

afterAll(async () => {
  await sn?.stop();
});

async function openIncident(roles: string[], reason: string) {
  const tom = await stack.clientFor('tom');
  const req = await tom.createRequest({ roles, reason });
  const incident = await stack.waitFor(() => sn.incidentsOf(req.id)[0], 10_000, 'the incident');
  // The configured approvers are asked right after the incident exists.
  await stack.waitFor(
    () => sn.tables.query('sysapproval_approver', `sysapproval=${incident.sys_id}`).length === 2,
    10_000,
    'the two approval requests',
  );
  return { req, incident };
}

const reviewsOf = async (id: string) =>
  (await stack.adminClient.getRequest(id)).reviews.map((r) => [r.author, r.proposedState, r.reason]);

describe('by polling', () => {
  beforeAll(async () => {
    stack = await stackPolling(0.2);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an approval and a rejection in ServiceNow are one review each by the mapped person; the incidents resolve and close', async () => {
    const a = await openIncident(['dba'], 'approve me');
    const d = await openIncident(['dba'], 'deny me');
    sn.recordApproval(a.incident.sys_id!, 'bob.sn', 'approved', 'looks fine');
    sn.recordApproval(d.incident.sys_id!, 'carol.sn', 'rejected', 'not now');
    await stack.waitFor(
      async () => sn.incidentsOf(a.req.id)[0]!.state === '6',
      10_000,
      'the approved incident resolved',
    );
    await stack.waitFor(
      async () => sn.incidentsOf(d.req.id)[0]!.state === '7',
      10_000,
      'the denied incident closed',
    );
    // Several more polls pass: nothing is submitted twice.
    await new Promise((r) => setTimeout(r, 800));
    expect(await reviewsOf(a.req.id)).toEqual([['bob', 'APPROVED', 'looks fine']]);
    expect(await reviewsOf(d.req.id)).toEqual([['carol', 'DENIED', 'not now']]);
    expect(sn.incidentsOf(a.req.id)[0]).toMatchObject({ close_code: 'Solution provided', active: 'false' });
    expect(sn.incidentsOf(d.req.id)[0]!.close_notes).toContain('DENIED by carol');
    // Both were asked on each incident; the one who did not answer is no longer required.
    const approvalsOf = (incidentId: string) =>
      sn.tables
        .query('sysapproval_approver', `sysapproval=${incidentId}^ORDERBYapprover.user_name`)
        .map((a) => `${sn.tables.value('sysapproval_approver', a, 'approver.user_name')} ${a.state}`);
    expect(approvalsOf(a.incident.sys_id!)).toEqual(['bob.sn approved', 'carol.sn not_required']);
    expect(approvalsOf(d.incident.sys_id!)).toEqual(['bob.sn not_required', 'carol.sn rejected']);
  });

  it('refusals by the API are written back as work notes; an approval short of the threshold says so', async () => {
    const { req, incident } = await openIncident(['prod-db'], 'two approvals needed');
    sn.recordApproval(incident.sys_id!, 'nora.sn', 'approved');
    sn.recordApproval(incident.sys_id!, 'ghost.sn', 'approved');
    sn.recordApproval(incident.sys_id!, 'tom.sn', 'approved');
    sn.recordApproval(incident.sys_id!, 'bob.sn', 'approved', 'one of two');
    const notes = () =>
      sn.journal(incident.sys_id!, 'work_notes').filter((n) => n.startsWith('accessbot on the'));
    await stack.waitFor(() => notes().length === 4, 10_000, 'four answers');
    await new Promise((r) => setTimeout(r, 800));
    const all = notes();
    expect(all).toHaveLength(4);
    expect(all.find((n) => n.includes('by Nora'))).toContain('may not review');
    expect(all.find((n) => n.includes('by Ghost'))).toContain('could not be matched');
    expect(all.find((n) => n.includes('by Tom'))).toContain('cannot review your own request');
    expect(all.find((n) => n.includes('by Bob'))).toContain('stays pending until enough reviews');
    expect(await reviewsOf(req.id)).toEqual([['bob', 'APPROVED', 'one of two']]);
    expect(sn.incidentsOf(req.id)[0]!.active).toBe('true');
  });
});

describe('by a signed push (no polling)', () => {
  beforeAll(async () => {
    stack = await stackPolling(0);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a pushed rejection is one review by the mapped person; a forged push changes nothing', async () => {
    const { req, incident } = await openIncident(['dba'], 'pushed');
    const hook = stack.hookUrl('servicenow', '/');
    const approval = sn.recordApproval(incident.sys_id!, 'carol.sn', 'rejected', 'pushed no');
    const forged = await pushChange(
      hook,
      { table: 'sysapproval_approver', sys_id: approval, state: 'rejected' },
      { secret: randomBytes(32).toString('hex') },
    );
    expect(forged.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(await reviewsOf(req.id)).toEqual([]);
    const pushed = await pushChange(
      hook,
      { table: 'sysapproval_approver', sys_id: approval, state: 'rejected' },
      { secret: pushKey },
    );
    expect(pushed).toMatchObject({ status: 200, body: { handled: true, outcome: 'done' } });
    expect((await stack.adminClient.getRequest(req.id)).state).toBe('DENIED');
    // The business rule fires again (a retry): the same record counts once.
    const again = await pushChange(
      hook,
      { table: 'sysapproval_approver', sys_id: approval, state: 'rejected' },
      { secret: pushKey },
    );
    expect(again.body).toMatchObject({ handled: false });
    expect(await reviewsOf(req.id)).toEqual([['carol', 'DENIED', 'pushed no']]);
    await stack.waitFor(async () => sn.incidentsOf(req.id)[0]!.state === '7', 10_000, 'the incident closed');
  });
});
