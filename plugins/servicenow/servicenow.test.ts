// The ServiceNow plugin driven through the SDK contract against the fake ServiceNow instance
// (test/fakes/servicenow): incidents exactly once, notes once, close codes, auth, errors, the
// signed push. Decisions through the real API and host are in test/plugins/servicenow.test.ts.

import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DecisionOutcome,
  type InboundDecision,
  PluginError,
  type PluginInstance,
} from '../../src/plugin-sdk/index.js';
import { recordingLogger, requestCard } from '../../test/fakes/pagerduty/plugin-context.js';
import { firstTry, MemoryKv, testPluginContext } from '../../test/fakes/plugin-context.js';
import { pushChange } from '../../test/fakes/servicenow/push.js';
import { type FakeServiceNow, startFakeServiceNow } from '../../test/fakes/servicenow/server.js';
import type { IncidentRef } from './incidents.js';
import definition from './index.js';

let sn: FakeServiceNow;
const pushKey = randomBytes(32).toString('hex');

function configFor(extra: Record<string, unknown> = {}) {
  return definition.configSchema.parse({
    instance_url: sn.url,
    auth: { type: 'basic', ...sn.basic },
    assignment_group: 'Access Approvers',
    decisions: { poll_interval_seconds: 0, push_secret: pushKey },
    ...extra,
  });
}

async function pluginWith(
  extra: Record<string, unknown> = {},
  outcome?: (d: InboundDecision) => DecisionOutcome,
) {
  const kv = new MemoryKv();
  const log = recordingLogger();
  const decisions: InboundDecision[] = [];
  const ctx = testPluginContext('servicenow', configFor(extra), {
    kv,
    log,
    async decide(d) {
      decisions.push(d);
      return outcome?.(d) ?? { kind: 'done', message: 'recorded' };
    },
    getCard: async () => null,
  });
  const plugin = (await definition.create({
    ...ctx,
    publicUrl: 'https://accessbot.example.com',
  })) as PluginInstance<IncidentRef>;
  return { plugin, kv, log, decisions };
}

async function caught(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

const isWrite = (method: string) => method !== 'GET';

beforeEach(async () => {
  sn = await startFakeServiceNow();
  sn.addGroup('Access Approvers');
  sn.addUser({ user_name: 'alice.s', email: 'alice@example.com', name: 'Alice Smith' });
  sn.addUser({ user_name: 'bob.r', email: 'bob@example.com', name: 'Bob Reviewer' });
});
afterEach(async () => {
  await sn.stop();
});

describe('config', () => {
  it('refuses http:// except for 127.0.0.1, a short push key, and state decisions without states', () => {
    const base = { auth: { type: 'basic', username: 'u', password: 'p' } };
    expect(
      definition.configSchema.safeParse({ ...base, instance_url: 'http://acme.service-now.com' }).success,
    ).toBe(false);
    expect(
      definition.configSchema.safeParse({ ...base, instance_url: 'https://acme.service-now.com' }).success,
    ).toBe(true);
    expect(
      definition.configSchema.safeParse({
        ...base,
        instance_url: 'https://acme.service-now.com',
        decisions: { push_secret: 'short-secret' },
      }).success,
    ).toBe(false);
    expect(
      definition.configSchema.safeParse({
        ...base,
        instance_url: 'https://a.service-now.com',
        decisions: { source: 'state' },
      }).success,
    ).toBe(false);
    expect(
      definition.configSchema.safeParse({
        ...base,
        instance_url: 'https://a.service-now.com',
        decisions: { source: 'state', approve_state: '6', deny_state: '-5' },
      }).success,
    ).toBe(false);
  });
});

describe('incidents', () => {
  it('opens one incident with the request, caller, group and correlation_id, and a link to the review page', async () => {
    const { plugin } = await pluginWith({ incident_fields: { category: 'security' } });
    const card = requestCard(
      { reason: 'fix [code]<img src=x onerror=alert(1)>[/code] lag' },
      { email: 'alice@example.com' },
    );
    expect(plugin.defaultRecipients?.(card)).toEqual(['Access Approvers']);
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    const ref = await plugin.deliver(target, card, firstTry());
    const [incident, ...more] = sn.incidents();
    expect(more).toEqual([]);
    expect(ref.sysId).toBe(incident!.sys_id);
    expect(incident!.correlation_id).toBe(card.requestId);
    expect(incident!.correlation_display).toBe('accessbot');
    expect(incident!.caller_id).toBe(sn.userByName('alice.s')!.sys_id);
    expect(incident!.assignment_group).toBe(target.id);
    expect(incident!.category).toBe('security');
    expect(incident!.short_description).toContain('alice');
    expect(incident!.description).toContain(card.requestId);
    expect(incident!.description).toContain('https://accessbot.example.com/sign-in');
    expect(incident!.description).not.toMatch(/\[code\]/i);
  });

  it('creates exactly one incident when the create answer is lost and the host retries', async () => {
    const { plugin } = await pluginWith();
    const card = requestCard();
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    sn.loseNextAnswer((m, p) => m === 'POST' && p === '/api/now/table/incident');
    const lost = await caught(plugin.deliver(target, card, firstTry('d1')));
    expect(lost.kind).toBe('transient');
    expect(sn.incidents()).toHaveLength(1);
    const ref = await plugin.deliver(target, card, { deliveryId: 'd1', attempt: 2, mayHaveBeenSent: true });
    expect(sn.incidents()).toHaveLength(1);
    expect(ref.sysId).toBe(sn.incidents()[0]!.sys_id);
    expect(sn.unusedFaults()).toBe(0);
  });

  it('adds one work note per review, not again when a retry follows a lost answer', async () => {
    const { plugin } = await pluginWith();
    const card = requestCard();
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    const ref = await plugin.deliver(target, card, firstTry());
    const review = {
      author: 'bob',
      submittedBy: 'bob',
      decision: 'APPROVED' as const,
      reason: 'ok',
      roles: ['dba'],
      created: '',
    };
    sn.loseNextAnswer((m) => m === 'PATCH');
    await caught(plugin.reply!(target, ref, review, card, firstTry('r1')));
    await plugin.reply!(target, ref, review, card, { deliveryId: 'r1', attempt: 2, mayHaveBeenSent: true });
    expect(sn.journal(ref.sysId, 'work_notes')).toEqual(['bob approved the request: ok']);
  });

  it('resolves on approval and expiry, closes on denial, with the configured close codes and notes', async () => {
    const { plugin } = await pluginWith({
      resolution: { denied: { close_code: 'Rejected by approver', close_notes: 'Denied in accessbot.' } },
    });
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    const states: Record<string, Row> = {};
    type Row = Record<string, string>;
    for (const state of ['APPROVED', 'DENIED', 'EXPIRED'] as const) {
      const card = requestCard();
      const ref = await plugin.deliver(target, card, firstTry());
      const decided = {
        ...card,
        state,
        actions: [],
        resolution: { state, by: 'bob', reason: 'because' },
      };
      const closed = await plugin.update(target, ref, decided, firstTry());
      expect(closed?.closedAs).toBe(state);
      // A repeated update changes nothing: the ref says it is closed.
      const before = sn.calls.length;
      expect(await plugin.update(target, closed!, decided, firstTry())).toBeUndefined();
      expect(sn.calls.length).toBe(before);
      states[state] = sn.incidentsOf(card.requestId)[0]!;
    }
    expect(states.APPROVED).toMatchObject({ state: '6', close_code: 'Solution provided', active: 'false' });
    expect(states.APPROVED!.close_notes).toContain('APPROVED by bob: because');
    expect(states.DENIED).toMatchObject({ state: '7', close_code: 'Rejected by approver' });
    expect(states.DENIED!.close_notes).toMatch(/^Denied in accessbot\.\nAccess request .* DENIED by bob/);
    expect(states.EXPIRED).toMatchObject({ state: '6', close_code: 'No resolution provided' });
  });

  it('notes a withdrawn request once', async () => {
    const { plugin } = await pluginWith();
    const card = requestCard();
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    const ref = await plugin.deliver(target, card, firstTry());
    await plugin.withdraw!(target, ref, card, firstTry('w'));
    await plugin.withdraw!(target, ref, card, { deliveryId: 'w', attempt: 2, mayHaveBeenSent: true });
    expect(sn.journal(ref.sysId, 'work_notes')).toEqual([expect.stringContaining('withdrawn')]);
  });
});

describe('errors and auth', () => {
  it("turns 429 into rate_limited with Retry-After, 5xx into transient, and names ServiceNow's error", async () => {
    const { plugin } = await pluginWith();
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    sn.rateLimitNext(1, 7, isWrite);
    const limited = await caught(plugin.deliver(target, requestCard(), firstTry()));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(7000);
    sn.failNext(1, { status: 503, match: isWrite });
    const down = await caught(plugin.deliver(target, requestCard(), firstTry()));
    expect(down.kind).toBe('transient');
    expect(down.message).toContain('Internal Server Error: injected');
    expect(sn.incidents()).toHaveLength(0);
  });

  it('says which credentials are wrong at the health check', async () => {
    const { plugin } = await pluginWith({
      auth: { type: 'basic', username: sn.basic.username, password: 'wrong' },
    });
    const err = await caught(plugin.healthCheck());
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('auth.username and auth.password');
    const oauth = await pluginWith({
      auth: { type: 'oauth', client_id: sn.oauth.client_id, client_secret: 'wrong' },
    });
    const refused = await caught(oauth.plugin.healthCheck());
    expect(refused.kind).toBe('auth');
    expect(refused.message).toContain('client_credentials');
  });

  it('OAuth: one token for many calls, a new one before expiry, and one refresh after a 401', async () => {
    const { plugin } = await pluginWith({ auth: { type: 'oauth', ...sn.oauth } });
    await plugin.healthCheck();
    await plugin.healthCheck();
    expect(sn.tokensIssued()).toBe(1);
    sn.revokeTokens();
    await plugin.healthCheck();
    expect(sn.tokensIssued()).toBe(2);
    expect(sn.callsTo('GET', '/api/now/table/incident').map((c) => c.status)).toEqual([200, 200, 401, 200]);

    // Renewed a minute before expiry, or after half its life when it lives less than two:
    // a 1 s token is used for 0.5 s, then replaced before ServiceNow would refuse it.
    sn.tokenLifetimeSeconds = 1;
    sn.revokeTokens();
    await plugin.healthCheck();
    const issued = sn.tokensIssued();
    await plugin.healthCheck();
    expect(sn.tokensIssued()).toBe(issued);
    await new Promise((r) => setTimeout(r, 600));
    const refused = sn.callsTo('GET', '/api/now/table/incident').filter((c) => c.status === 401).length;
    await plugin.healthCheck();
    expect(sn.tokensIssued()).toBe(issued + 1);
    expect(sn.callsTo('GET', '/api/now/table/incident').filter((c) => c.status === 401).length).toBe(refused);
  });

  it('checkSetup names a missing group and assignee, and that nothing would read decisions', async () => {
    const { plugin } = await pluginWith({
      assignment_group: 'No Such Group',
      assigned_to: 'nobody',
      decisions: { poll_interval_seconds: 0 },
    });
    const problems = (await plugin.checkSetup!()).map((p) => p.problem).join('\n');
    expect(problems).toContain('assignment_group "No Such Group"');
    expect(problems).toContain('assigned_to "nobody"');
    expect(problems).toContain('never read');
    const fine = await pluginWith();
    expect(await fine.plugin.checkSetup!()).toEqual([]);
  });
});

describe('decisions from ServiceNow (plugin level)', () => {
  async function openIncident(plugin: PluginInstance<IncidentRef>) {
    const card = requestCard();
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    const ref = await plugin.deliver(target, card, firstTry());
    return { card, ref };
  }

  it('a poll hands each approval and rejection over once, by the approver, with their comment as the reason', async () => {
    const { plugin, decisions } = await pluginWith({
      decisions: { poll_interval_seconds: 5, push_secret: pushKey },
    });
    const a = await openIncident(plugin);
    const b = await openIncident(plugin);
    sn.recordApproval(a.ref.sysId, 'bob.r', 'approved', 'fine by me');
    sn.recordApproval(b.ref.sysId, 'alice.s', 'rejected', 'not today');
    const poll = plugin.poll!()!;
    expect(poll.intervalMs).toBe(5000);
    await poll.run();
    await poll.run();
    expect(decisions).toEqual([
      expect.objectContaining({
        requestId: b.card.requestId,
        action: 'deny',
        person: { email: 'alice@example.com' },
        reason: 'not today',
      }),
      expect.objectContaining({
        requestId: a.card.requestId,
        action: 'approve',
        person: { email: 'bob@example.com' },
        reason: 'fine by me',
      }),
    ]);
  });

  it('maps by user_name through the configured trait when asked to', async () => {
    const { plugin, decisions } = await pluginWith({
      people: { match: 'user_name' },
      decisions: { poll_interval_seconds: 5 },
    });
    const a = await openIncident(plugin);
    sn.recordApproval(a.ref.sysId, 'bob.r', 'approved');
    await plugin.poll!()!.run();
    expect(decisions.map((d) => d.person)).toEqual([{ trait: 'servicenow_user', value: 'bob.r' }]);
  });

  it('writes a refusal back as one work note, even when the approval is seen again', async () => {
    const { plugin } = await pluginWith({ decisions: { poll_interval_seconds: 5 } }, (d) => ({
      kind: 'not_allowed',
      message: `bob may not review request ${d.requestId}.`,
    }));
    const a = await openIncident(plugin);
    sn.recordApproval(a.ref.sysId, 'bob.r', 'approved');
    await plugin.poll!()!.run();
    await plugin.poll!()!.run();
    expect(sn.journal(a.ref.sysId, 'work_notes')).toEqual([
      expect.stringMatching(
        /^accessbot on the approval by Bob Reviewer .*the review was not recorded: bob may not review/,
      ),
    ]);
  });

  it('source: state — a move to the approve state is a review by the mover; one that decided nothing goes back with a note', async () => {
    let answer: DecisionOutcome = { kind: 'done', message: 'recorded' };
    const { plugin, decisions } = await pluginWith(
      { decisions: { source: 'state', approve_state: '101', deny_state: '102', poll_interval_seconds: 5 } },
      () => answer,
    );
    const a = await openIncident(plugin);
    sn.moveIncident(a.ref.sysId, '101', 'bob.r');
    answer = { kind: 'not_allowed', message: 'bob may not review this request.' };
    await plugin.poll!()!.run();
    await plugin.poll!()!.run();
    expect(decisions).toEqual([
      expect.objectContaining({
        requestId: a.card.requestId,
        action: 'approve',
        person: { email: 'bob@example.com' },
      }),
    ]);
    const incident = sn.incidentsOf(a.card.requestId)[0]!;
    expect(incident.state).toBe('2');
    expect(sn.journal(a.ref.sysId, 'work_notes')).toEqual([
      expect.stringContaining('the review was not recorded: bob may not review this request.'),
    ]);
    // Moved again by someone else: a new decision (a new modification of the incident).
    sn.moveIncident(a.ref.sysId, '102', 'alice.s');
    await plugin.poll!()!.run();
    expect(decisions.map((d) => [d.action, d.person])).toEqual([
      ['approve', { email: 'bob@example.com' }],
      ['deny', { email: 'alice@example.com' }],
    ]);
  });

  it('a push naming a moved incident (source: state) is read back; ServiceNow down answers 503 so the next poll takes it', async () => {
    const { plugin, decisions } = await pluginWith({
      decisions: {
        source: 'state',
        approve_state: '101',
        deny_state: '102',
        poll_interval_seconds: 5,
        push_secret: pushKey,
      },
    });
    const a = await openIncident(plugin);
    sn.moveIncident(a.ref.sysId, '102', 'bob.r');
    const hook = await hookServer(plugin.routes!()[0]!);
    try {
      const record = { table: 'incident' as const, sys_id: a.ref.sysId, state: '102' };
      sn.failNext(1, { status: 503, match: (m) => m === 'GET' });
      const down = await pushChange(hook.url, record, { secret: pushKey });
      expect(down.status).toBe(503);
      expect(decisions).toEqual([]);
      const ok = await pushChange(hook.url, record, { secret: pushKey });
      expect(ok.body).toMatchObject({ handled: true, outcome: 'done' });
      expect(decisions.map((d) => [d.action, d.person])).toEqual([['deny', { email: 'bob@example.com' }]]);
      // An approval push is not a decision when decisions come from state moves.
      const other = await pushChange(
        hook.url,
        { table: 'sysapproval_approver', sys_id: a.ref.sysId },
        { secret: pushKey },
      );
      expect(other.body).toMatchObject({ ignored: expect.stringContaining('decides nothing') });
    } finally {
      await hook.close();
    }
  });

  it('a failure after the decision releases the record: the next poll hands it over again and the note is posted once', async () => {
    const { plugin, decisions } = await pluginWith({ decisions: { poll_interval_seconds: 5 } }, () => ({
      kind: 'own_request',
      message: 'You cannot review your own request.',
    }));
    const a = await openIncident(plugin);
    sn.recordApproval(a.ref.sysId, 'alice.s', 'approved');
    // The note's PATCH lands but its answer is lost: the poll fails, the claim is released.
    sn.loseNextAnswer((m) => m === 'PATCH');
    await expect(plugin.poll!()!.run()).rejects.toBeInstanceOf(PluginError);
    await plugin.poll!()!.run();
    await plugin.poll!()!.run();
    expect(decisions).toHaveLength(2);
    expect(sn.journal(a.ref.sysId, 'work_notes')).toEqual([
      expect.stringContaining('cannot review your own request'),
    ]);
    expect(sn.unusedFaults()).toBe(0);
  });

  it('asks the configured approvers once (even after a lost answer), and releases the waiting ones on resolution', async () => {
    const { plugin } = await pluginWith({
      decisions: { poll_interval_seconds: 5, request_approval_from: ['bob.r', 'alice.s', 'nobody'] },
    });
    const card = requestCard();
    const target = await plugin.resolveRecipient('Access Approvers', 'reviewer');
    sn.loseNextAnswer((m, p) => m === 'POST' && p === '/api/now/table/sysapproval_approver');
    await caught(plugin.deliver(target, card, firstTry('d')));
    const ref = await plugin.deliver(target, card, { deliveryId: 'd', attempt: 2, mayHaveBeenSent: true });
    const approvals = () =>
      sn.tables
        .query('sysapproval_approver', `sysapproval=${ref.sysId}`)
        .map((a) => [sn.tables.value('sysapproval_approver', a, 'approver.user_name'), a.state]);
    expect(approvals().sort()).toEqual([
      ['alice.s', 'requested'],
      ['bob.r', 'requested'],
    ]);
    sn.recordApproval(ref.sysId, 'bob.r', 'approved');
    const decided = {
      ...card,
      state: 'APPROVED' as const,
      actions: [],
      resolution: { state: 'APPROVED' as const, by: 'bob' },
    };
    await plugin.update(target, ref, decided, firstTry());
    expect(approvals().sort()).toEqual([
      ['alice.s', 'not_required'],
      ['bob.r', 'approved'],
    ]);
    expect((await plugin.checkSetup!()).map((p) => p.problem)).toEqual([
      'decisions.request_approval_from names "nobody", no active user in ServiceNow',
    ]);
  });

  it('a push is read back from ServiceNow; a forged, unsigned or stale push is refused before anything is read', async () => {
    const { plugin, decisions } = await pluginWith();
    const a = await openIncident(plugin);
    const approval = sn.recordApproval(a.ref.sysId, 'bob.r', 'approved', 'ok');
    const [route] = plugin.routes!();
    const hook = await hookServer(route!);
    try {
      const reads = () => sn.callsTo('GET', '/api/now/table/sysapproval_approver').length;
      const before = reads();
      const record = { table: 'sysapproval_approver' as const, sys_id: approval, state: 'approved' };
      const forged = await pushChange(hook.url, record, { secret: randomBytes(32).toString('hex') });
      expect(forged.status).toBe(401);
      const unsigned = await pushChange(hook.url, record, { secret: pushKey, signature: '' });
      expect(unsigned.status).toBe(401);
      const stale = await pushChange(hook.url, record, {
        secret: pushKey,
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      });
      expect(stale.status).toBe(401);
      expect(stale.body).toMatchObject({ error: { code: 'STALE_REQUEST' } });
      expect(reads()).toBe(before);
      expect(decisions).toEqual([]);

      const ok = await pushChange(hook.url, record, { secret: pushKey });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ handled: true, outcome: 'done' });
      const again = await pushChange(hook.url, record, { secret: pushKey });
      expect(again.body).toMatchObject({ handled: false, why: 'already handled' });
      expect(decisions).toHaveLength(1);
      expect(decisions[0]!.notAfter).toBeGreaterThan(Date.now());
    } finally {
      await hook.close();
    }
  });
});

/** Serves one inbound route on 127.0.0.1 the way the host does (raw body, lower-case headers). */
async function hookServer(route: import('../../src/plugin-sdk/index.js').InboundRoute) {
  const { createServer } = await import('node:http');
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
    const answer = await route.handler({
      method: 'POST',
      path: '/',
      headers,
      rawBody: Buffer.concat(chunks),
      query: {},
    });
    res.writeHead(answer.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer.body ?? {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('on-call provider', () => {
  it('asks whoisoncall per named rota at the current time and reports the shifts held now', async () => {
    const { plugin } = await pluginWith();
    const provider = plugin.onCall!;
    expect(provider.scopeAnnotation).toBe('servicenow_rotas');
    const dbaRota = sn.addRota('DBA primary');
    const webRota = sn.addRota('Web primary');
    const alice = sn.userByName('alice.s')!.sys_id!;
    const bob = sn.userByName('bob.r')!.sys_id!;
    const hour = 3_600_000;
    sn.addShift({
      rotaId: dbaRota,
      userSysId: alice,
      from: new Date(Date.now() - hour),
      to: new Date(Date.now() + hour),
    });
    // A shift that ended does not count.
    sn.addShift({
      rotaId: webRota,
      userSysId: alice,
      from: new Date(Date.now() - 2 * hour),
      to: new Date(Date.now() - hour),
    });
    sn.addShift({
      rotaId: webRota,
      userSysId: bob,
      from: new Date(Date.now() - hour),
      to: new Date(Date.now() + hour),
    });
    const person = { name: 'alice', email: 'alice@example.com', traits: {} };
    const answer = await provider.shiftsOf({ person, scopes: ['DBA primary', webRota, 'No such rota'] });
    expect(answer).toEqual({
      person: 'found',
      shifts: [{ scope: 'DBA primary', level: 1, schedule: { id: dbaRota, name: 'DBA primary' } }],
      unknownScopes: ['No such rota'],
    });
    const asked = sn.callsTo('GET', '/api/now/on_call_rota/whoisoncall');
    expect(asked.map((c) => c.query.get('rota_ids')).sort()).toEqual([dbaRota, webRota].sort());
    const at = Date.parse(`${asked[0]!.query.get('date_time')!.replace(' ', 'T')}Z`);
    expect(Math.abs(at - Date.now())).toBeLessThan(5000);
    expect(await provider.unknownSchedules!(['DBA primary', 'Nope'])).toEqual(['Nope']);
  });

  it('maps the requester by email or by the user_name trait, and says why when it cannot', async () => {
    const byEmail = (await pluginWith()).plugin.onCall!;
    expect(await byEmail.shiftsOf({ person: { name: 'x', traits: {} }, scopes: ['r'] })).toMatchObject({
      person: 'unknown',
      why: 'no_email',
    });
    expect(
      await byEmail.shiftsOf({
        person: { name: 'x', email: 'nobody@example.com', traits: {} },
        scopes: ['r'],
      }),
    ).toMatchObject({ person: 'unknown', why: 'user_not_found' });
    const byName = (await pluginWith({ people: { match: 'user_name' } })).plugin.onCall!;
    expect(
      await byName.shiftsOf({ person: { name: 'bob', email: 'bob@example.com', traits: {} }, scopes: ['r'] }),
    ).toMatchObject({
      person: 'unknown',
      why: 'no_identity',
    });
    expect(
      await byName.shiftsOf({
        person: { name: 'bob', traits: { servicenow_user: ['bob.r'] } },
        scopes: ['r'],
      }),
    ).toEqual({ person: 'found', shifts: [], unknownScopes: ['r'] });
  });

  it('throws on a failed read rather than answering "not on call"', async () => {
    const { plugin } = await pluginWith();
    sn.addRota('DBA primary');
    sn.failNext(1, { status: 502, match: (m, p) => m === 'GET' && p.endsWith('/whoisoncall') });
    const err = await caught(
      plugin.onCall!.shiftsOf({
        person: { name: 'a', email: 'alice@example.com', traits: {} },
        scopes: ['DBA primary'],
      }),
    );
    expect(err.kind).toBe('transient');
  });
});
