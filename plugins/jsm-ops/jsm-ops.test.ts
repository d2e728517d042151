// The jsm-ops plugin driven through the SDK contract against the fake JSM Operations / Opsgenie,
// in both flavors: config, health naming what is missing, the alert lifecycle under retries,
// rate limits as each platform sends them, and the on-call provider.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Card,
  type CardReview,
  type PersonInfo,
  PluginError,
  type PluginInstance,
} from '../../src/plugin-sdk/index.js';
import { type FakeJsmOps, type Flavor, startFakeJsmOps } from '../../test/fakes/jsm-ops/server.js';
import { requestCard } from '../../test/fakes/pagerduty/plugin-context.js';
import { firstTry, testPluginContext } from '../../test/fakes/plugin-context.js';
import { dialectFor } from './dialect.js';
import definition from './index.js';
import { alertMessage, aliasFor } from './render.js';

let ops: FakeJsmOps;

const credentialsFor = (flavor: Flavor) =>
  flavor === 'jsm'
    ? { flavor, cloud_id: ops.cloudId, email: ops.email, api_token: ops.apiToken }
    : { flavor, api_key: ops.apiKey };

async function pluginWith(flavor: Flavor, extra: Record<string, unknown> = {}) {
  const config = definition.configSchema.parse({ ...credentialsFor(flavor), base_url: ops.url, ...extra });
  const ctx = testPluginContext('jsm-ops', config, {
    decide: async () => ({ kind: 'done', message: 'recorded' }),
    getCard: async () => null,
  });
  return (await definition.create(ctx)) as PluginInstance &
    Required<Pick<PluginInstance, 'onCall' | 'reply'>>;
}

async function caught(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

const review = (over: Partial<CardReview> = {}): CardReview => ({
  author: 'bob',
  submittedBy: 'bob',
  decision: 'APPROVED',
  reason: 'looks fine',
  roles: ['dba'],
  created: new Date().toISOString(),
  ...over,
});

const resolved = (card: Card, state: 'APPROVED' | 'DENIED' | 'EXPIRED', by = 'bob'): Card => ({
  ...card,
  state,
  actions: [],
  resolution: { state, by, reason: 'decided' },
});

beforeEach(async () => {
  ops = await startFakeJsmOps();
});

afterEach(async () => {
  await ops.stop();
});

describe('config', () => {
  it('defaults to JSM Operations and names the keys each flavor needs', () => {
    const jsm = definition.configSchema.parse({ cloud_id: 'c', email: 'bot@example.com', api_token: 't' });
    expect(jsm.flavor).toBe('jsm');
    expect(dialectFor(jsm).root).toBe('https://api.atlassian.com/jsm/ops/api/c/v1');
    const missing = definition.configSchema.safeParse({ email: 'bot@example.com' });
    expect(missing.success).toBe(false);
    const paths = missing.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['cloud_id', 'api_token']));
    const og = definition.configSchema.safeParse({ flavor: 'opsgenie', api_key: 'k', api_token: 't' });
    expect(og.error?.issues.map((i) => i.path.join('.'))).toEqual(['api_token']);
  });

  it('picks the Opsgenie instance by region, and refuses plain http except to 127.0.0.1', () => {
    const us = definition.configSchema.parse({ flavor: 'opsgenie', api_key: 'k' });
    const eu = definition.configSchema.parse({ flavor: 'opsgenie', api_key: 'k', region: 'eu' });
    expect(dialectFor(us).root).toBe('https://api.opsgenie.com/v2');
    expect(dialectFor(eu).root).toBe('https://api.eu.opsgenie.com/v2');
    expect(dialectFor(eu).authorization).toBe('GenieKey k');
    const plain = definition.configSchema.safeParse({
      flavor: 'opsgenie',
      api_key: 'k',
      base_url: 'http://example.com',
    });
    expect(plain.success).toBe(false);
    expect(
      definition.configSchema.safeParse({ flavor: 'opsgenie', api_key: 'k', base_url: 'http://127.0.0.1:9' })
        .success,
    ).toBe(true);
  });

  it('leaves auto_approval to the host: the block itself refuses it and misspelt keys', () => {
    for (const extra of [{ auto_approval: { enabled: true } }, { schedule_annotation: 'x' }]) {
      expect(definition.configSchema.safeParse({ flavor: 'opsgenie', api_key: 'k', ...extra }).success).toBe(
        false,
      );
    }
    expect(definition.traits?.onCall).toBe(true);
  });
});

describe('health and set-up check name what is missing', () => {
  it('JSM: a refused token names email and api_token; a wrong cloud_id names tenant_info', async () => {
    expect(await (await pluginWith('jsm')).healthCheck()).toBeUndefined();
    const badToken = await pluginWith('jsm', { api_token: 'wrong' });
    const auth = await caught(badToken.healthCheck());
    expect(auth.kind).toBe('auth');
    expect(auth.message).toMatch(/email and api_token \(401/);
    const wrongSite = await pluginWith('jsm', { cloud_id: '00000000-0000-0000-0000-000000000000' });
    const site = await caught(wrongSite.healthCheck());
    expect(site.kind).toBe('permanent');
    expect(site.message).toContain('_edge/tenant_info');
    expect((await wrongSite.checkSetup?.())?.[0]?.problem).toMatch(/no site with cloud_id 0{8}/);
  });

  it('Opsgenie: a refused key names api_key and the region; a key without rights is a 403', async () => {
    const bad = await pluginWith('opsgenie', { api_key: 'not-the-key' });
    const err = await caught(bad.healthCheck());
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/401.*api_key.*US instance/);
    ops.forbidden = true;
    const problems = await (await pluginWith('opsgenie')).checkSetup?.();
    expect(problems?.[0]?.problem).toMatch(/refused access \(403/);
    expect(problems?.[0]?.fix).toMatch(/Create and Update/);
  });

  it('unknownSchedules names the schedules the platform does not know, by id or name', async () => {
    const sched = ops.dir.addSchedule('DB primary');
    const jsm = await pluginWith('jsm');
    expect(await jsm.onCall.unknownSchedules?.([sched.id, 'f8f2a4ec-54b2-4513-865b-8cb3b81c9544'])).toEqual([
      'f8f2a4ec-54b2-4513-865b-8cb3b81c9544',
    ]);
    const og = await pluginWith('opsgenie');
    expect(await og.onCall.unknownSchedules?.(['DB primary', 'No such'])).toEqual(['No such']);
  });
});

describe.each(['jsm', 'opsgenie'] as const)('alerts (%s)', (flavor) => {
  let team: { id: string; name: string };
  let recipient: string;
  beforeEach(() => {
    team = ops.dir.addTeam('Access Reviewers');
    recipient = `team:${team.id}`;
  });

  it('raises one alert for the team, notes each review, and closes it with a note on denial', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const card = requestCard({ reason: 'fix\u202e the lag\nnow' });
    const ref = (await plugin.deliver(target, card, firstTry())) as { alertId: string };
    expect(ops.dir.alerts).toHaveLength(1);
    const alert = ops.dir.alerts[0]!;
    expect(alert.id).toBe(ref.alertId);
    expect(alert.alias).toBe(aliasFor(card.requestId, target.id));
    expect(alert.responders).toEqual([{ type: 'team', id: team.id }]);
    expect(alert.description).toContain('Reason: fix the lag\nnow');
    await plugin.reply(target, ref, review({ decision: 'DENIED', reason: 'not now' }), card, firstTry());
    await plugin.update(target, ref, resolved(card, 'DENIED'), firstTry());
    expect(alert.status).toBe('closed');
    expect(ops.dir.notesOf(alert.id).map((n) => n.note)).toEqual([
      'bob denied the access request.\nReason: not now',
      'Access request ❌ DENIED by bob.\nReason: decided',
    ]);
  });

  it('a create whose answer was lost is found by alias on the retry: one alert, counted once', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const card = requestCard();
    ops.queue.delayMs = 0; // processed at once, so the retry's alias lookup cannot race it
    ops.loseNextResponse((method, path) => method === 'POST' && path === '/alerts');
    expect((await caught(plugin.deliver(target, card, firstTry('d1')))).kind).toBe('transient');
    await plugin.deliver(target, card, { deliveryId: 'd1', attempt: 2, mayHaveBeenSent: true });
    expect(ops.dir.alerts).toHaveLength(1);
    expect(ops.dir.alerts[0]!.count).toBe(1);
  });

  it('a create the platform is slow to process fails the try, and the retry raises no second alert', async () => {
    const plugin = await pluginWith(flavor, { processing_wait_ms: 100 });
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const card = requestCard();
    ops.queue.delayMs = 300;
    const slow = await caught(plugin.deliver(target, card, firstTry('d2')));
    expect(slow.kind).toBe('transient');
    expect(slow.message).toMatch(/not processed within 100 ms/);
    await new Promise((r) => setTimeout(r, 350));
    const ref = (await plugin.deliver(target, card, {
      deliveryId: 'd2',
      attempt: 2,
      mayHaveBeenSent: true,
    })) as {
      alertId: string;
    };
    expect(ops.dir.alerts.map((a) => a.id)).toEqual([ref.alertId]);
  });

  it('a note whose answer was lost is not added twice, and a close after a lost answer adds no second note', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const card = requestCard();
    const ref = await plugin.deliver(target, card, firstTry());
    ops.queue.delayMs = 0;
    ops.loseNextResponse((method, path) => method === 'POST' && path.endsWith('/notes'));
    await caught(plugin.reply(target, ref, review(), card, firstTry('n1')));
    await plugin.reply(target, ref, review(), card, { deliveryId: 'n1', attempt: 2, mayHaveBeenSent: true });
    ops.loseNextResponse((method, path) => method === 'POST' && path.endsWith('/close'));
    await caught(plugin.update(target, ref, resolved(card, 'APPROVED'), firstTry()));
    await plugin.update(target, ref, resolved(card, 'APPROVED'), firstTry());
    const notes = ops.dir.notesOf(ops.dir.alerts[0]!.id).map((n) => n.note);
    expect(notes).toEqual([
      'bob approved the access request.\nReason: looks fine',
      'Access request ✅ APPROVED by bob.\nReason: decided',
    ]);
  });

  it('a request decided before its first post raises nothing; one withdrawn closes its alert saying so', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const decided = requestCard();
    expect(await plugin.deliver(target, resolved(decided, 'APPROVED'), firstTry())).toMatchObject({
      skipped: true,
    });
    expect(ops.dir.alerts).toHaveLength(0);
    const card = requestCard();
    const ref = await plugin.deliver(target, card, firstTry());
    await plugin.withdraw?.(target, ref, card, firstTry());
    expect(ops.dir.alerts[0]!.status).toBe('closed');
    expect(ops.dir.notesOf(ops.dir.alerts[0]!.id)[0]!.note).toMatch(/WITHDRAWN: deleted by an administrator/);
  });

  it('an alert someone closed by hand gets the outcome note once, and the update succeeds', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const card = requestCard();
    const ref = await plugin.deliver(target, card, firstTry());
    ops.dir.alerts[0]!.status = 'closed';
    await plugin.update(target, ref, resolved(card, 'APPROVED'), firstTry());
    await plugin.update(target, ref, resolved(card, 'APPROVED'), firstTry());
    expect(ops.dir.notesOf(ops.dir.alerts[0]!.id).map((n) => n.note)).toEqual([
      'Access request ✅ APPROVED by bob.\nReason: decided',
    ]);
  });

  it('a responder the platform does not know is a permanent error naming it', async () => {
    const plugin = await pluginWith(flavor);
    const missing = flavor === 'jsm' ? 'team:4513b7ea-3b91-438f-b7e4-e3e54af9147c' : 'team:Nobody';
    const err = await caught(
      plugin.deliver(await plugin.resolveRecipient(missing, 'reviewer'), requestCard(), firstTry()),
    );
    expect(err.kind).toBe('permanent');
    expect(err.message).toMatch(/422.*(4513b7ea|Nobody)/);
    expect(ops.dir.alerts).toHaveLength(0);
  });

  it('a reason and a review far past the platform limits are cut, visibly, and accepted', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    const card = requestCard({ reason: 'r'.repeat(40_000) });
    const ref = await plugin.deliver(target, card, firstTry());
    const alert = ops.dir.alerts[0]!;
    expect(alert.description.length).toBeLessThanOrEqual(15_000);
    expect(alert.description).toMatch(/… \(truncated\)$/);
    await plugin.reply(target, ref, review({ reason: 'x'.repeat(40_000) }), card, firstTry());
    const [note] = ops.dir.notesOf(alert.id);
    expect(note!.note.length).toBeLessThanOrEqual(25_000);
    expect(note!.note).toMatch(/… \(truncated\)$/);
  });

  it('a 429 carries the wait the platform asked for', async () => {
    const plugin = await pluginWith(flavor);
    const target = await plugin.resolveRecipient(recipient, 'reviewer');
    ops.rateLimitNext(1, 7);
    const err = await caught(plugin.deliver(target, requestCard(), firstTry()));
    expect(err.kind).toBe('rate_limited');
    // Opsgenie says it in X-RateLimit-Period-In-Sec (it sends no Retry-After); the gateway in Retry-After.
    expect(err.retryAfterMs).toBe(7000);
  });

  it('keeps the one-line message on one line and within 130 characters at the worst input', async () => {
    const card = requestCard({ user: `${'m'.repeat(300)}\nforged line`, roles: ['dba'] });
    const message = alertMessage(card);
    expect(message.length).toBeLessThanOrEqual(130);
    expect(message).not.toContain('\n');
    const plugin = await pluginWith(flavor);
    await plugin.deliver(await plugin.resolveRecipient(recipient, 'reviewer'), card, firstTry());
    expect(ops.dir.alerts[0]!.message).toBe(message);
  });
});

describe('alias', () => {
  it('is URL-path safe, bounded, and different per responder of the same request', () => {
    const a = aliasFor('0b7f3c1e-5d2a-4c8e-9f1a-2b3c4d5e6f70', `team:${'a/b '.repeat(60)}`);
    const b = aliasFor('0b7f3c1e-5d2a-4c8e-9f1a-2b3c4d5e6f70', 'team:SRE');
    expect(a).toMatch(/^accessbot-0b7f3c1e-5d2a-4c8e-9f1a-2b3c4d5e6f70-[0-9a-f]{12}$/);
    expect(a.length).toBeLessThanOrEqual(512);
    expect(b).not.toBe(a);
  });
});

describe('responders', () => {
  it('JSM takes ids only and says so; Opsgenie also takes names', async () => {
    const jsm = await pluginWith('jsm');
    const err = await caught(jsm.resolveRecipient('team:SRE', 'reviewer'));
    expect(err.kind).toBe('permanent');
    expect(err.message).toMatch(/by id.*team:<team id>/);
    const og = await pluginWith('opsgenie');
    expect(await og.resolveRecipient('SRE', 'reviewer')).toMatchObject({
      id: 'team:SRE',
      data: { responder: { type: 'team', name: 'SRE' } },
    });
    expect((await caught(og.resolveRecipient(`team:${'x'.repeat(201)}`, 'reviewer'))).kind).toBe('permanent');
  });
});

describe('on-call provider', () => {
  const person = (name: string, traits: Record<string, string[]> = {}): PersonInfo => ({
    name,
    email: `${name}@example.com`,
    traits,
  });

  it('JSM: matches the on-call account ids to the requester account-id trait, with the schedule name', async () => {
    const alice = ops.dir.addUser({ fullName: 'Alice', username: 'alice@example.com' });
    const sched = ops.dir.addSchedule('DB primary', [alice]);
    const other = ops.dir.addSchedule('Payments');
    const plugin = await pluginWith('jsm');
    const answer = await plugin.onCall.shiftsOf({
      person: person('alice', { atlassian_account_id: [alice.accountId] }),
      scopes: [sched.id, other.id, 'f8f2a4ec-54b2-4513-865b-8cb3b81c9544'],
    });
    expect(answer).toEqual({
      person: 'found',
      shifts: [{ scope: sched.id, level: 1, schedule: { id: sched.id, name: 'DB primary' } }],
      unknownScopes: ['f8f2a4ec-54b2-4513-865b-8cb3b81c9544'],
    });
    // The email alone is not enough: JSM may hide it, so the trait is the identity.
    expect(await plugin.onCall.shiftsOf({ person: person('alice'), scopes: [sched.id] })).toMatchObject({
      person: 'unknown',
      why: 'no_identity',
    });
  });

  it('Opsgenie: matches on-call usernames to the requester email, schedules by name', async () => {
    const bob = ops.dir.addUser({ fullName: 'Bob', username: 'Bob@Example.com' });
    const sched = ops.dir.addSchedule('DB primary', [bob]);
    const plugin = await pluginWith('opsgenie');
    expect(await plugin.onCall.shiftsOf({ person: person('bob'), scopes: ['DB primary'] })).toEqual({
      person: 'found',
      shifts: [{ scope: 'DB primary', level: 1, schedule: { id: sched.id, name: 'DB primary' } }],
      unknownScopes: [],
    });
    expect(await plugin.onCall.shiftsOf({ person: person('carol'), scopes: ['DB primary'] })).toEqual({
      person: 'found',
      shifts: [],
      unknownScopes: [],
    });
  });

  it('at the maximum of 50 named schedules: one read each, at most 4 at once, answers in asked order', async () => {
    const erin = ops.dir.addUser({ fullName: 'Erin', username: 'erin@example.com' });
    const many = Array.from({ length: 50 }, (_, i) =>
      ops.dir.addSchedule(`S${i}`, i % 7 === 3 ? [erin] : []),
    );
    const plugin = await pluginWith('jsm');
    const before = ops.calls.length;
    let inFlight = 0;
    let peak = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await realFetch(...args);
      } finally {
        inFlight -= 1;
      }
    };
    let answer: Awaited<ReturnType<typeof plugin.onCall.shiftsOf>>;
    try {
      answer = await plugin.onCall.shiftsOf({
        person: person('erin', { atlassian_account_id: [erin.accountId] }),
        scopes: many.map((s) => s.id),
      });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(peak).toBe(4);
    const onCallIn = many.filter((_, i) => i % 7 === 3).map((s) => s.id);
    expect(answer).toMatchObject({ person: 'found', unknownScopes: [] });
    expect(answer.person === 'found' && answer.shifts.map((s) => s.scope)).toEqual(onCallIn);
    // 50 on-call reads, plus one name read per schedule she is on call in (cached after).
    expect(ops.calls.length - before).toBe(50 + onCallIn.length);
  });

  it.each(['jsm', 'opsgenie'] as const)(
    '%s: a 5xx or a 429 on the on-call read is thrown, never "not on call"',
    async (flavor) => {
      const u = ops.dir.addUser({ fullName: 'Dan', username: 'dan@example.com' });
      const sched = ops.dir.addSchedule('DB primary', [u]);
      const plugin = await pluginWith(flavor);
      const q = { person: person('dan', { atlassian_account_id: [u.accountId] }), scopes: [sched.id] };
      ops.failNext(1, { status: 503 });
      expect((await caught(plugin.onCall.shiftsOf(q))).kind).toBe('transient');
      ops.rateLimitNext(1, 2);
      const limited = await caught(plugin.onCall.shiftsOf(q));
      expect(limited.kind).toBe('rate_limited');
      expect(limited.retryAfterMs).toBe(2000);
      expect(await plugin.onCall.shiftsOf(q)).toMatchObject({ person: 'found', shifts: [{ level: 1 }] });
    },
  );
});
