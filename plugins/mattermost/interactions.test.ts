// The plugin's two inbound routes, driven with what the fake Mattermost server stores and relays,
// against a hand-built context whose `decide` the tests script: the dialog flow's edges that the
// end-to-end suite does not reach (required reason, trait mapping, hidden emails, refusals that
// leave the dialog usable, a trigger that expired, interactions turned off).

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  cardFromRequest,
  type DecisionOutcome,
  type InboundDecision,
  type InboundResponse,
  type InboundRoute,
  type PluginInstance,
} from '../../src/plugin-sdk/index.js';
import { clickBody } from '../../test/fakes/mattermost/interactions.js';
import { FakeMattermost, type FakePost } from '../../test/fakes/mattermost/server.js';
import { MemoryKv, testPluginContext } from '../../test/fakes/plugin-context.js';
import { mattermostConfigSchema } from './config.js';
import plugin from './index.js';
import type { MattermostRef } from './messages.js';

const SECRET = 'plugin-test-action-secret-0123456789';
type Json = Record<string, unknown>;

let fake: FakeMattermost;
let channel: string;

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  channel = fake.addChannel('acme', 'ops');
  fake.addUser('alice', 'alice@example.com');
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.showEmailAddress = true;
});

let counter = 0;
function pendingRequest(): AccessRequest {
  counter += 1;
  const now = Date.now();
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    user: 'bob',
    roles: ['dba'],
    resources: [],
    reason: 'fix the replica',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { dba: [0] },
    state: 'PENDING',
    reviews: [],
    created: new Date(now).toISOString(),
    requestExpires: new Date(now + 3600_000).toISOString(),
    accessExpires: new Date(now + 8 * 3600_000).toISOString(),
    approvedRoles: [],
    version: 1,
  };
}

interface Harness {
  instance: PluginInstance<MattermostRef>;
  decisions: InboundDecision[];
  outcome: { next: (d: InboundDecision) => DecisionOutcome };
  route(path: string): InboundRoute;
}

async function harness(settings: Json = {}): Promise<Harness> {
  const config = mattermostConfigSchema.parse({
    url: fake.url,
    token: fake.token,
    action_secret: SECRET,
    ...settings,
  });
  const decisions: InboundDecision[] = [];
  const outcome = { next: (_d: InboundDecision): DecisionOutcome => ({ kind: 'done', message: 'recorded' }) };
  const ctx = {
    ...testPluginContext('mattermost', config, {
      kv: new MemoryKv(),
      async decide(d) {
        decisions.push(d);
        return outcome.next(d);
      },
      getCard: async () => null,
    }),
    publicUrl: 'http://accessbot.test',
  };
  const instance = await plugin.create(ctx);
  return {
    instance,
    decisions,
    outcome,
    route: (path) => {
      const found = instance.routes?.().find((r) => r.path === path);
      if (!found) throw new Error(`no route ${path}`);
      return found;
    },
  };
}

async function posted(h: Harness): Promise<FakePost> {
  const card = cardFromRequest(pendingRequest(), { audience: 'reviewer' });
  const ref = await h.instance.deliver({ id: channel, kind: 'channel', audience: 'reviewer' }, card, {
    deliveryId: `post.${card.requestId}`,
    attempt: 1,
    mayHaveBeenSent: false,
  });
  return fake.postById(ref.post)!;
}

const call = (route: InboundRoute, body: unknown, type = 'application/json'): Promise<InboundResponse> =>
  route.handler({
    method: 'POST',
    path: route.path,
    headers: { 'content-type': type },
    rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    query: {},
  });

/** Clicks `action` on `post` as `username` (the body the server sends); returns the answer and the dialog. */
async function clickAs(h: Harness, post: FakePost, username: string, action: 'approve' | 'deny') {
  const button = ((post.props.attachments as Json[])[0]!.actions as Json[]).find((a) => a.id === action)!;
  const before = fake.dialogs.length;
  const res = await call(
    h.route('/actions'),
    clickBody(fake, post, fake.userByName(username).id, (button.integration as Json).context),
  );
  return { res, dialog: fake.dialogs[before] };
}

function submission(
  dialog: { dialog: Json; channelId: string },
  username: string,
  reason: string,
  cancelled = false,
) {
  return {
    type: 'dialog_submission',
    callback_id: dialog.dialog.callback_id,
    state: dialog.dialog.state,
    user_id: fake.userByName(username).id,
    channel_id: dialog.channelId,
    team_id: '',
    submission: cancelled ? {} : { reason },
    cancelled,
  };
}

describe('the reason dialog', () => {
  it('a required reason: the dialog insists, a blank one keeps it open and decides nothing', async () => {
    const h = await harness({ review_reason: 'required' });
    const { res, dialog } = await clickAs(h, await posted(h), 'alice', 'deny');
    expect(res).toMatchObject({ status: 200, body: {} });
    expect((dialog!.dialog.elements as Json[])[0]).toMatchObject({ name: 'reason', optional: false });
    const blank = await call(h.route('/dialog'), submission(dialog!, 'alice', '  '));
    expect(blank).toMatchObject({ status: 200, body: { errors: { reason: 'Please give a reason.' } } });
    expect(h.decisions).toEqual([]);
    // The same dialog, now with a reason, is decided once.
    const given = await call(h.route('/dialog'), submission(dialog!, 'alice', 'no window'));
    expect(given).toMatchObject({ status: 200, body: {} });
    expect(h.decisions).toMatchObject([
      { action: 'deny', reason: 'no window', person: { email: 'alice@example.com' } },
    ]);
    const replay = await call(h.route('/dialog'), submission(dialog!, 'alice', 'again'));
    expect(replay).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(h.decisions).toHaveLength(1);
  });

  it('a reason over the limit keeps the dialog open', async () => {
    const h = await harness();
    const { dialog } = await clickAs(h, await posted(h), 'alice', 'approve');
    const long = await call(h.route('/dialog'), submission(dialog!, 'alice', 'x'.repeat(2001)));
    expect(long).toMatchObject({ status: 200, body: { errors: { reason: 'At most 2000 characters.' } } });
    expect(h.decisions).toEqual([]);
  });

  it('a cancelled dialog decides nothing', async () => {
    const h = await harness();
    const { dialog } = await clickAs(h, await posted(h), 'alice', 'approve');
    expect(await call(h.route('/dialog'), submission(dialog!, 'alice', '', true))).toMatchObject({
      status: 200,
    });
    expect(h.decisions).toEqual([]);
  });

  it('a refusal is shown in the dialog, and the same dialog may be submitted again', async () => {
    const h = await harness();
    const { dialog } = await clickAs(h, await posted(h), 'alice', 'approve');
    h.outcome.next = () => ({ kind: 'not_allowed', message: 'alice may not review this request.' });
    const refused = await call(h.route('/dialog'), submission(dialog!, 'alice', 'try'));
    expect(refused).toMatchObject({ status: 200, body: { error: 'alice may not review this request.' } });
    h.outcome.next = () => ({ kind: 'done', message: 'recorded' });
    expect(await call(h.route('/dialog'), submission(dialog!, 'alice', 'try again'))).toMatchObject({
      status: 200,
      body: {},
    });
    expect(h.decisions).toHaveLength(2);
  });

  it('user_mapping by trait: the decision names the Mattermost username in the trait', async () => {
    const h = await harness({ user_mapping: { by: 'trait' } });
    const { dialog } = await clickAs(h, await posted(h), 'alice', 'approve');
    await call(h.route('/dialog'), submission(dialog!, 'alice', 'ok'));
    expect(h.decisions).toMatchObject([
      { person: { trait: 'mattermost_username', value: 'alice' }, personLabel: '@alice' },
    ]);
  });

  it('by email, when Mattermost hides emails from the bot: unknown person, nothing decided', async () => {
    const h = await harness();
    fake.showEmailAddress = false;
    const { dialog } = await clickAs(h, await posted(h), 'alice', 'approve');
    const res = await call(h.route('/dialog'), submission(dialog!, 'alice', 'ok'));
    expect((res.body as Json).error).toMatch(/could not be matched to an access user/);
    expect(h.decisions).toEqual([]);
  });
});

describe('clicks', () => {
  it('a dialog that cannot be opened (the trigger expired) is answered with an ephemeral message', async () => {
    const h = await harness();
    const post = await posted(h);
    const button = ((post.props.attachments as Json[])[0]!.actions as Json[])[0]!;
    const res = await call(
      h.route('/actions'),
      clickBody(
        fake,
        post,
        fake.userByName('alice').id,
        (button.integration as Json).context,
        'expired-trigger',
      ),
    );
    expect(res).toMatchObject({
      status: 200,
      body: { ephemeral_text: 'Could not open the review dialog; please click again.' },
    });
  });

  it('bodies that are not a JSON object are refused before anything else', async () => {
    const h = await harness();
    for (const [body, type] of [
      ['not json', 'application/json'],
      ['[1,2]', 'application/json'],
      ['{}', 'text/plain'],
    ] as const) {
      expect((await call(h.route('/actions'), body, type)).status).toBe(400);
      expect((await call(h.route('/dialog'), body, type)).status).toBe(400);
    }
  });

  it('every button carries an alphanumeric id and the hook URL', async () => {
    const h = await harness();
    const post = await posted(h);
    const actions = (post.props.attachments as Json[])[0]!.actions as Json[];
    expect(actions.map((a) => [a.id, (a.integration as Json).url])).toEqual([
      ['approve', 'http://accessbot.test/hooks/mattermost/actions'],
      ['deny', 'http://accessbot.test/hooks/mattermost/actions'],
    ]);
  });
});

describe('configuration', () => {
  it('interactions: none → posts without buttons and no routes', async () => {
    const h = await harness({ interactions: 'none', action_secret: undefined });
    const post = await posted(h);
    expect((post.props.attachments as Json[])[0]!.actions).toBeUndefined();
    expect(h.instance.routes?.()).toEqual([]);
  });

  it('buttons without anywhere to send clicks → a clear error at start', async () => {
    const config = mattermostConfigSchema.parse({ url: fake.url, token: fake.token, action_secret: SECRET });
    const ctx = testPluginContext('mattermost', config, {
      decide: async () => ({ kind: 'error', message: '' }),
      getCard: async () => null,
    });
    expect(() => plugin.create(ctx)).toThrow(/set host.public_url or plugins.mattermost.callback_url/);
  });

  it('http interactions without an action secret is a config error', () => {
    const parsed = mattermostConfigSchema.safeParse({ url: fake.url, token: 't' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['action_secret']);
  });
});
