// One on-call provider's bench section, the same for every provider: the host's on-call decision
// (provider answer + policy, exactly as the delivery worker runs it) for a requester on call and
// for one who is not, the provider calls each decision makes, beside one bare authenticated GET
// to the same fake in the same run. A provider adds itself with an OnCallBenchSpec
// (on-call.bench.ts lists them; a plugin's own bench file may call measureOnCallSection too).

import type { OnCallPolicy } from '../src/config/schema.js';
import { decideOnCall } from '../src/host/on-call/decide.js';
import type { Card, OnCallProvider, OnCallRequester } from '../src/plugin-sdk/index.js';
import { silentLog } from '../test/fakes/plugin-context.js';
import { meanMs } from './stats.js';
import type { BenchSection } from './types.js';

/** A provider's fake, seeded: one requester on call in one of the named scopes, one not on call. */
export interface OnCallBenchWorld {
  provider: OnCallProvider;
  policy: OnCallPolicy;
  /** A request naming `scopeCount` scopes, by someone on call at level 1 in the last of them. */
  onCall: { card: Card; person: OnCallRequester };
  /** The same scopes, by someone known to the provider but on call nowhere. */
  offCall: { card: Card; person: OnCallRequester };
  scopeCount: number;
  /** HTTP calls the fake has received so far. */
  calls(): number;
  /** One bare authenticated GET to the same fake (the cheapest round trip there is). */
  bareGet(): Promise<unknown>;
  /** What the bare GET is, for the table (`GET /abilities`). */
  bareGetName: string;
  stop(): Promise<void>;
}

export interface OnCallBenchSpec {
  /** Provider name in the section title (`PagerDuty`). */
  name: string;
  start(): Promise<OnCallBenchWorld>;
}

export async function measureOnCallSection(spec: OnCallBenchSpec, n: number): Promise<BenchSection> {
  const world = await spec.start();
  try {
    const decide = (who: OnCallBenchWorld['onCall']) =>
      decideOnCall(world.provider, world.policy, who.card, async () => who.person, silentLog);
    const first = await decide(world.onCall);
    if (first?.action !== 'approve') throw new Error(`${spec.name}: the on-call requester was not approved`);
    if ((await decide(world.offCall)) !== null)
      throw new Error(`${spec.name}: the off-call requester was approved`);

    const bare = await meanMs(n, () => world.bareGet());
    let before = world.calls();
    const approve = await meanMs(n, () => decide(world.onCall));
    const approveCalls = (world.calls() - before) / (n + 10);
    before = world.calls();
    const refuse = await meanMs(n, () => decide(world.offCall));
    const refuseCalls = (world.calls() - before) / (n + 10);
    const baseline = { name: `one bare ${world.bareGetName}`, value: bare, unit: 'ms' };
    return {
      title: `On-call decision: ${spec.name} (fake on 127.0.0.1)`,
      rows: [
        {
          name: `decision, on call (${world.scopeCount} scopes named) → approve`,
          value: approve,
          unit: 'ms',
          baseline,
        },
        { name: 'decision, not on call → no approval', value: refuse, unit: 'ms', baseline },
        { name: 'provider calls per approving decision', value: approveCalls, unit: 'calls' },
        { name: 'provider calls per refusing decision', value: refuseCalls, unit: 'calls' },
      ],
      notes: [
        `${n} sequential decisions each after 10 warm-ups; means. The decision is the host's (src/host/on-call) with the provider's real client; the access API lookup of the requester is not included.`,
      ],
    };
  } finally {
    await world.stop();
  }
}
