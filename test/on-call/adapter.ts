// What a provider gives the shared on-call contract suite (test/on-call/suite.ts): its plugin
// definition and a fake of its platform on 127.0.0.1 that speaks the real HTTP API. The suite
// runs the real access API + host + Redis, configures `plugins.<id>.auto_approval` and
// `review_as` itself, and judges only what the API recorded and what the fake received.

import type { PluginDefinition } from '../../src/plugin-sdk/index.js';

/** An access user the fake must know (so the provider can map them). */
export interface OnCallPerson {
  name: string;
  email: string;
}

export interface OnCallShiftSpec {
  /** Escalation level; a provider without levels ignores it (see `levels`). */
  level: number;
  /**
   * Name of the schedule (rota, layer) the shift comes through; created when new. Where the
   * scope is itself a schedule (JSM Ops, Opsgenie), the adapter may ignore it and use the scope.
   */
  schedule: string;
}

export interface OnCallFake {
  /** The plugin block (as under `plugins.<id>`) pointed at this fake, without `auto_approval` and `review_as`. */
  pluginConfig: Record<string, unknown>;
  /** Routing recipients for the alert / incident of each request, as in `host.routing`. */
  recipients: string[];
  /** The request annotation the plugin reads its scopes from with `pluginConfig`. */
  scopeAnnotation: string;
  /** Traits the access user needs so the provider can map them (e.g. an Atlassian account id). */
  traitsFor?(person: OnCallPerson): Record<string, string[]>;
  /** Creates a scope (service, schedule, rota) and returns what a request names it by. */
  addScope(name: string): string;
  /** The person is on call now in the scope; returns the schedule's name as `auto_approval.schedules` matches it. */
  putOnCall(person: OnCallPerson, scope: string, shift: OnCallShiftSpec): string;
  /** The next `n` on-call reads (any call the provider makes to answer) answer a 5xx. */
  failNextOnCallReads(n: number): void;
  /** The next `n` on-call reads answer 429 with Retry-After `seconds`. */
  rateLimitNextOnCallReads(n: number, seconds: number): void;
  /**
   * How many on-call reads (the calls `failNextOnCallReads` can hit: user lookups, schedule and
   * on-call listings, not alert calls) the fake has received so far.
   */
  onCallReads(): number;
  /** Alerts / incidents the fake holds for the request (the suite expects exactly one). */
  alertsFor(requestId: string): Promise<number>;
  /** The next `n` alert / incident creations land but their answer never reaches the caller. */
  loseNextAlertAnswers(n: number): void;
  /** Faults set above that have not hit a call yet (checked to be 0 after each fault test). */
  unusedFaults(): number;
  stop(): Promise<void>;
}

export interface OnCallAdapter {
  /** The plugin id (folder under plugins/, key under `plugins:`). */
  id: string;
  /** For the describe title when one plugin runs the suite twice (`jsm-ops (flavor: opsgenie)`); default `id`. */
  name?: string;
  definition: PluginDefinition;
  /** False for providers without escalation levels (they say 1): the level test is not defined. */
  levels: boolean;
  startFake(people: OnCallPerson[]): Promise<OnCallFake>;
}
