// The PagerDuty plugin driven through the SDK contract against the fake PagerDuty REST API.
// Auto-approval is PagerDuty's on-call provider judged by the host's on-call policy (as the
// delivery worker runs it); the whole path through API and host is test/on-call/.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onCallPolicySchema } from '../../src/config/schema.js';
import { decideOnCall } from '../../src/host/on-call/decide.js';
import { type Card, PluginError, type PluginInstance } from '../../src/plugin-sdk/index.js';
import { requestCard, testContext } from '../../test/fakes/pagerduty/plugin-context.js';
import { type FakePagerDuty, startFakePagerDuty } from '../../test/fakes/pagerduty/server.js';
import { firstTry } from '../../test/fakes/plugin-context.js';
import definition from './index.js';

let pd: FakePagerDuty;

function configFor(extra: Record<string, unknown> = {}) {
  return definition.configSchema.parse({
    api_key: pd.apiKey,
    from_email: 'accessbot@example.com',
    base_url: pd.url,
    ...extra,
  });
}

async function pluginWith(extra: Record<string, unknown> = {}) {
  // `auto_approval` is a host key: the config loader strips it and validates it with this schema.
  const { auto_approval, ...settings } = extra;
  const policy = onCallPolicySchema.parse(auto_approval ?? {});
  const t = testContext(configFor(settings));
  const plugin = (await definition.create(t.ctx)) as PluginInstance;
  const autoReview = (card: Card) =>
    decideOnCall(
      plugin.onCall!,
      policy,
      card,
      async () => ({
        name: card.requester.name,
        ...(card.requester.email ? { email: card.requester.email } : {}),
        traits: {},
      }),
      t.log,
    );
  return { plugin, autoReview, ...t };
}

async function caught(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

beforeEach(async () => {
  pd = await startFakePagerDuty();
  pd.dir.addUser({ name: 'Access Bot', email: 'accessbot@example.com' });
});

afterEach(async () => {
  await pd.stop();
});

describe('config', () => {
  it('defaults the base URL and annotation names, and rejects misspelt limits', () => {
    const cfg = definition.configSchema.parse({ api_key: 'k', from_email: 'bot@example.com' });
    expect(cfg.base_url).toBe('https://api.pagerduty.com');
    expect(cfg.notify_service_annotation).toBe('pagerduty_notify_service');
    expect(cfg.services_annotation).toBe('pagerduty_services');
    expect(onCallPolicySchema.parse({}).max_escalation_level).toBeUndefined();
    expect(onCallPolicySchema.safeParse({ max_escalation_levl: 1 }).success).toBe(false);
    expect(definition.configSchema.safeParse({ api_key: 'k', from_email: 'not-an-email' }).success).toBe(
      false,
    );
  });
});

describe('incidents', () => {
  it('opens one incident on the notify service with an incident_key from the request, even when retried', async () => {
    const service = pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const card = requestCard({ annotations: { pagerduty_notify_service: ['Access Requests'] } });
    expect(plugin.defaultRecipients?.(card)).toEqual(['Access Requests']);
    const target = await plugin.resolveRecipient('access requests', 'reviewer');
    expect(target.id).toBe(service.id);

    const first = await plugin.deliver(target, card, firstTry());
    const retried = await plugin.deliver(target, card, firstTry());
    expect(retried.incidentId).toBe(first.incidentId);
    expect(pd.dir.incidents).toHaveLength(1);
    const incident = pd.dir.incidents[0]!;
    expect(incident.incident_key).toBe(`accessbot-access-request/${card.requestId}`);
    expect(incident.service.id).toBe(service.id);
    expect(incident.title).toContain('alice');
    expect(incident.body?.details).toContain('fix the replication lag');
    const post = pd.callsTo('POST', '/incidents')[0]!;
    expect(post.headers.from).toBe('accessbot@example.com');
    expect(post.headers.authorization).toBe(`Token token=${pd.apiKey}`);
  });

  it('finds the incident it opened when PagerDuty committed it but the answer was lost', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const card = requestCard();
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');
    pd.loseNextResponse((m, p) => m === 'POST' && p === '/incidents');
    const err = await caught(plugin.deliver(target, card, firstTry()));
    expect(err.kind).toBe('transient');
    expect(pd.dir.incidents).toHaveLength(1);
    const ref = await plugin.deliver(target, card, firstTry());
    expect(ref.incidentId).toBe(pd.dir.incidents[0]!.id);
    expect(pd.dir.incidents).toHaveLength(1);
  });

  it('resolves an incident a lost attempt opened when the retry finds the request decided', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');
    const card = requestCard();
    pd.loseNextResponse((m, p) => m === 'POST' && p === '/incidents');
    await caught(plugin.deliver(target, card, firstTry()));
    const denied = requestCard({ id: card.requestId, state: 'DENIED', resolvedBy: 'bob', version: 2 });
    const ref = await plugin.deliver(target, denied, firstTry());
    expect(ref.incidentId).toBe(pd.dir.incidents[0]!.id);
    expect(ref.resolved).toBe(true);
    expect(pd.dir.incidents).toHaveLength(1);
    expect(pd.dir.incidents[0]!.status).toBe('resolved');
    expect(pd.dir.notesOf(ref.incidentId as string).map((n) => n.content)).toEqual([
      expect.stringContaining('DENIED by bob'),
    ]);
  });

  it('does not page anyone for a request already resolved when its delivery runs', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');
    const ref = await plugin.deliver(target, requestCard({ state: 'APPROVED' }), firstTry());
    expect(ref.skipped).toBe(true);
    expect(pd.dir.incidents).toHaveLength(0);
  });

  it('an unknown notify service is a permanent error', async () => {
    const { plugin } = await pluginWith();
    const err = await caught(plugin.resolveRecipient('No Such Service', 'reviewer'));
    expect(err.kind).toBe('permanent');
    expect(err.message).toContain('No Such Service');
  });

  it('adds a note per review, once, and resolves with a note on approve, deny and expiry', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');
    for (const state of ['APPROVED', 'DENIED', 'EXPIRED'] as const) {
      const card = requestCard();
      const ref = await plugin.deliver(target, card, firstTry());
      const review = {
        author: 'bob',
        submittedBy: 'bob',
        decision: state === 'DENIED' ? ('DENIED' as const) : ('APPROVED' as const),
        reason: 'looks fine',
        roles: [],
        created: new Date().toISOString(),
      };
      // The host calls once per review; a retry after a lost answer looks for the note first.
      const delivery = firstTry();
      await plugin.reply!(target, ref, review, card, delivery);
      await plugin.reply!(target, ref, review, card, { ...delivery, attempt: 2, mayHaveBeenSent: true });
      const resolved = requestCard({
        id: card.requestId,
        state,
        resolvedBy: state === 'EXPIRED' ? undefined : 'bob',
        resolveReason: state === 'EXPIRED' ? undefined : 'looks fine',
        version: 3,
      });
      const newRef = await plugin.update(target, ref, resolved, firstTry());
      expect(newRef?.resolved).toBe(true);
      // A retried update changes nothing more.
      await plugin.update(target, ref, resolved, firstTry());

      const incident = pd.dir.incidents.find((i) => i.id === ref.incidentId)!;
      expect(incident.status).toBe('resolved');
      const notes = pd.dir.notesOf(incident.id).map((n) => n.content);
      expect(notes).toHaveLength(2);
      expect(notes[0]).toContain(`bob ${state === 'DENIED' ? 'denied' : 'approved'} the access request`);
      expect(notes[0]).toContain('looks fine');
      expect(notes[1]).toContain(state);
    }
    expect(pd.callsTo('PUT', /^\/incidents\//).every((c) => c.headers.from === 'accessbot@example.com')).toBe(
      true,
    );
  });

  it('treats an incident already resolved in PagerDuty as done', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');
    const card = requestCard();
    const ref = await plugin.deliver(target, card, firstTry());
    pd.dir.incidents[0]!.status = 'resolved';
    const out = await plugin.update(
      target,
      ref,
      requestCard({ id: card.requestId, state: 'DENIED', version: 2 }),
      firstTry(),
    );
    expect(out?.resolved).toBe(true);
  });

  it('keeps user text on one line in the title and strips control characters', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    const target = await plugin.resolveRecipient('Access Requests', 'reviewer');
    await plugin.deliver(
      target,
      requestCard({ user: 'mallory\nRESOLVED: ignore\u0007', reason: 'need\u202eit\r\nnow' }),
      firstTry(),
    );
    const incident = pd.dir.incidents[0]!;
    for (const bad of ['\n', '\r', '\u0007']) expect(incident.title).not.toContain(bad);
    expect(incident.title).toContain('mallory RESOLVED: ignore');
    expect(incident.body?.details).toContain('Reason: needit\nnow');
  });
});

describe('errors carry retry meaning', () => {
  it('429 is rate_limited with Retry-After, 5xx transient, a wrong key auth', async () => {
    pd.dir.addService('Access Requests');
    const { plugin } = await pluginWith();
    pd.rateLimitNext(1, 7);
    const limited = await caught(plugin.resolveRecipient('Access Requests', 'reviewer'));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(7000);
    pd.failNext(1, { status: 503 });
    expect((await caught(plugin.resolveRecipient('Access Requests', 'reviewer'))).kind).toBe('transient');
    await plugin.healthCheck();

    const wrong = testContext(definition.configSchema.parse({ ...configFor(), api_key: 'wrong-key-xyz' }));
    const bad = (await definition.create(wrong.ctx)) as PluginInstance;
    const err = await caught(bad.healthCheck());
    expect(err.kind).toBe('auth');
    expect(err.message).not.toContain('wrong-key-xyz');
  });

  it('a network failure is transient', async () => {
    const { plugin } = await pluginWith();
    await pd.stop();
    const err = await caught(plugin.healthCheck());
    expect(err.kind).toBe('transient');
    pd = await startFakePagerDuty();
  });
});

describe('on-call auto-approval', () => {
  function world() {
    const db = pd.dir.addService('Databases');
    const pay = pd.dir.addService('Payments');
    const other = pd.dir.addService('Other');
    const primary = pd.dir.addSchedule('DB primary');
    const weekly = pd.dir.addSchedule('Payments weekly');
    const alice = pd.dir.addUser({ name: 'Alice', email: 'Alice@Example.com' });
    return { db, pay, other, primary, weekly, alice };
  }
  const named = (services: string[], extra: Record<string, string[]> = {}) => ({
    annotations: { pagerduty_services: services, ...extra },
  });

  it('approves when on call in the first named service policy, matching the email case-insensitively', async () => {
    const w = world();
    pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, w.primary);
    const { autoReview } = await pluginWith();
    const review = await autoReview(
      requestCard(named(['Databases', 'Payments']), { email: 'alice@example.com' }),
    );
    expect(review?.action).toBe('approve');
    expect(review?.reason).toContain('Databases');
    expect(review?.reason).toContain('escalation level 1');
  });

  it('approves when on call in the second named service policy', async () => {
    const w = world();
    pd.dir.putOnCall(w.alice, w.pay.escalation_policy, 2, w.weekly);
    const { autoReview } = await pluginWith();
    const review = await autoReview(
      requestCard(named(['Databases', 'Payments']), { email: 'alice@example.com' }),
    );
    expect(review?.action).toBe('approve');
    expect(review?.reason).toContain('Payments');
    expect(review?.reason).toContain('escalation level 2');
    const oncalls = pd.callsTo('GET', '/oncalls')[0]!;
    expect(oncalls.query.getAll('escalation_policy_ids[]').sort()).toEqual(
      [w.db.escalation_policy.id, w.pay.escalation_policy.id].sort(),
    );
  });

  const refusals: {
    name: string;
    why: string;
    setup: (w: ReturnType<typeof world>) => void;
    config?: Record<string, unknown>;
    email?: string;
    roles?: string[];
  }[] = [
    {
      name: 'on call only in another policy',
      why: 'not_on_call',
      setup: (w) => pd.dir.putOnCall(w.alice, w.other.escalation_policy, 1, w.primary),
    },
    { name: 'not on call at all', why: 'not_on_call', setup: () => {} },
    {
      name: 'on call above the level limit',
      why: 'level_too_high',
      setup: (w) => pd.dir.putOnCall(w.alice, w.db.escalation_policy, 3, w.primary),
      config: { auto_approval: { max_escalation_level: 2 } },
    },
    {
      name: 'on call through a schedule outside the allowed ones',
      why: 'schedule_not_allowed',
      setup: (w) => pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, w.weekly),
      config: { auto_approval: { schedules: ['DB primary'] } },
    },
    {
      name: 'on call by direct assignment when schedules are limited',
      why: 'schedule_not_allowed',
      setup: (w) => pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, null),
      config: { auto_approval: { schedules: ['DB primary'] } },
    },
    {
      name: 'a requested role outside the allowed ones',
      why: 'role_not_allowed',
      setup: (w) => pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, w.primary),
      config: { auto_approval: { roles: ['dev-*', 'viewer'] } },
      roles: ['dev-read', 'dba'],
    },
    {
      name: 'an unknown requester',
      why: 'user_not_found',
      setup: (w) => pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, w.primary),
      email: 'alice@other.example.com',
    },
  ];

  for (const r of refusals) {
    it(`does nothing, and logs why, when ${r.name}`, async () => {
      const w = world();
      r.setup(w);
      const { autoReview, log } = await pluginWith(r.config);
      const card = requestCard(
        { ...named(['Databases', 'Payments']), roles: r.roles ?? ['dba'] },
        {
          email: r.email ?? 'alice@example.com',
        },
      );
      expect(await autoReview(card)).toBeNull();
      const line = log.lines.find((l) => l.obj.requestId === card.requestId && 'why' in l.obj);
      expect(line?.obj.why).toBe(r.why);
    });
  }

  it('counts entries within every limit at once: allowed schedule, level and role glob', async () => {
    const w = world();
    pd.dir.putOnCall(w.alice, w.db.escalation_policy, 3, w.primary);
    pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, w.weekly);
    pd.dir.putOnCall(w.alice, w.pay.escalation_policy, 2, w.primary);
    const { autoReview } = await pluginWith({
      auto_approval: { max_escalation_level: 2, schedules: [w.primary.id], roles: ['db*'] },
    });
    const review = await autoReview(
      requestCard(named(['Databases', 'Payments']), { email: 'alice@example.com' }),
    );
    expect(review?.reason).toContain('Payments');
    expect(review?.reason).toContain('escalation level 2');
  });

  it('follows pagination for users and on-call entries', async () => {
    const w = world();
    // 130 other users whose email also contains the query: the requester lands on page two.
    for (let i = 0; i < 130; i++) pd.dir.addUser({ name: `Al ${i}`, email: `alice@example.com.${i}.test` });
    const late = pd.dir.addUser({ name: 'Alice Late', email: 'alice@example.com' });
    // 105 entries above the limit come first: the one that counts is on page two.
    for (let i = 0; i < 105; i++) pd.dir.putOnCall(late, w.pay.escalation_policy, 9, w.primary);
    pd.dir.putOnCall(late, w.pay.escalation_policy, 2, w.primary);
    const { autoReview } = await pluginWith({ auto_approval: { max_escalation_level: 2 } });
    // The world's own Alice would match on page one: she moves away so only the late one matches.
    w.alice.email = 'retired@example.org';
    const review = await autoReview(requestCard(named(['Payments']), { email: 'ALICE@example.com' }));
    expect(review?.reason).toContain('Payments');
    expect(pd.callsTo('GET', '/users').length).toBeGreaterThanOrEqual(2);
    expect(pd.callsTo('GET', '/oncalls').length).toBeGreaterThanOrEqual(2);
  });

  it('an outage surfaces as retryable errors, never as a silent "no"', async () => {
    const w = world();
    pd.dir.putOnCall(w.alice, w.db.escalation_policy, 1, w.primary);
    const { autoReview } = await pluginWith();
    const card = requestCard(named(['Databases']), { email: 'alice@example.com' });
    pd.failNext(1);
    expect((await caught(autoReview(card))).kind).toBe('transient');
    pd.rateLimitNext(1, 2, (_m, p) => p === '/oncalls');
    const limited = await caught(autoReview(card));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.retryAfterMs).toBe(2000);
    expect((await autoReview(card))?.action).toBe('approve');
  });

  it('at the maximum of 50 named services, finds the one on call in the last; past it, asks nothing', async () => {
    const w = world();
    const names = Array.from({ length: 49 }, (_, i) => pd.dir.addService(`Svc ${i}`).name);
    pd.dir.putOnCall(w.alice, w.pay.escalation_policy, 1, w.primary);
    const { autoReview, log } = await pluginWith();
    const review = await autoReview(
      requestCard(named([...names, 'Payments']), { email: 'alice@example.com' }),
    );
    expect(review?.reason).toContain('for Payments (escalation level 1');
    const callsBefore = pd.calls.length;
    const tooMany = requestCard(named([...names, 'Payments', 'Databases']), { email: 'alice@example.com' });
    expect(await autoReview(tooMany)).toBeNull();
    expect(pd.calls.length).toBe(callsBefore);
    expect(log.lines.find((l) => l.obj.requestId === tooMany.requestId)?.obj.why).toBe('too_many_scopes');
  });

  it('does nothing without named services, and never logs the API key', async () => {
    world();
    const { autoReview, log } = await pluginWith();
    expect(await autoReview(requestCard({}, { email: 'alice@example.com' }))).toBeNull();
    expect(pd.calls).toHaveLength(0);
    expect(JSON.stringify(log.lines)).not.toContain(pd.apiKey);
  });
});
