// The host's step-up check (inbound/decision-to-review.ts) against the real access API: an
// approval of a step-up role that is not signed in is refused before any review, and says
// where to sign in (or that no page is set up); signed in, or for a denial, it goes through.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServiceToken } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { submitDecision } from '../../src/host/inbound/decision-to-review.js';
import { createLogger } from '../../src/log.js';
import { cardFromRequest } from '../../src/plugin-sdk/index.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { dbaAndProdRolesYaml, usersWithEmail } from '../support/seed-world.js';

let t: TestApi;
let host: HttpAccessClient;
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  t = await startTestApi({
    rolesYaml: dbaAndProdRolesYaml(),
    users: usersWithEmail({ tom: ['prod-requester'], alice: ['approver'] }),
  });
  const token = await ensureServiceToken(t.api.store, 'accessbot-host', ['accessbot-plugin']);
  host = new HttpAccessClient({ baseUrl: t.api.url, token });
});
afterAll(async () => {
  await t?.stop();
});

const cardOf = async (id: string) => cardFromRequest(await host.getRequest(id));
const stepUp = { roles: new Set(['prod-db']) };

describe('step-up decisions', () => {
  it('without a sign-in page, an approval not signed in is refused and says no page is set up; signed in, it is one review', async () => {
    const req = await (await t.clientFor('tom')).createRequest({ roles: ['prod-db'], reason: 'x' });
    const decision = {
      requestId: req.id,
      action: 'approve' as const,
      person: { email: 'alice@example.com' },
    };
    const refused = await submitDecision(host, decision, log, cardOf, stepUp);
    expect(refused.kind).toBe('step_up');
    expect(refused.message).toContain('not set up (host.public_url)');
    expect((await host.getRequest(req.id)).reviews).toEqual([]);

    const signedIn = await submitDecision(host, { ...decision, signedIn: true }, log, cardOf, stepUp);
    expect(signedIn.kind).toBe('done');
    expect((await host.getRequest(req.id)).reviews.map((r) => r.author)).toEqual(['alice']);
  });

  it('a denial of a step-up role needs no sign-in', async () => {
    const req = await (await t.clientFor('tom')).createRequest({ roles: ['prod-db'], reason: 'y' });
    const denied = await submitDecision(
      host,
      { requestId: req.id, action: 'deny', person: { email: 'alice@example.com' } },
      log,
      cardOf,
      { ...stepUp, signInUrl: 'https://accessbot.example.com/sign-in' },
    );
    expect(denied.kind).toBe('done');
    expect((await host.getRequest(req.id)).state).toBe('DENIED');
  });
});
