// What a plugin gives the shared conformance suite (test/conformance/suite.ts): its definition
// and a fake of its platform that speaks the platform's real HTTP API on 127.0.0.1. The suite
// drives the real API + host + Redis through the plugin's real SDK, and reads what a person
// would see back from the fake, in neutral words, so one set of behaviour tests fits every
// plugin. Members marked optional describe capabilities a platform may not have; the suite
// defines the matching tests only where they are given, and its describe title names the
// ones it left out and why. README.md says what each member turns on.

import type { PluginDefinition } from '../../src/plugin-sdk/index.js';

/** A user of the access API that the fake must know (to map clicks and recipients). */
export interface ConformanceUser {
  name: string;
  email: string;
}

/** One message as the fake platform holds it now. */
export interface PlatformMessage {
  /** The platform's id of the message (Slack ts, issue key, incident id, message id, …). */
  id: string;
  /** Where it is: channel id, DM channel, project, receiver URL, mailbox. */
  target: string;
  /** The state it shows now, upper case: PENDING, APPROVED, DENIED, EXPIRED or WITHDRAWN. */
  status: string;
  /** The decision actions it offers now, e.g. ['approve', 'deny']; [] when it offers none. */
  actions: string[];
  /** Every piece of text a person sees in it, joined, for contains-checks. */
  text: string;
}

/** What the person who decided was shown, and how the platform call was answered. */
export interface DecisionAnswer {
  /** HTTP status of the inbound call as the platform received it. */
  status: number;
  /** The text shown to the person (ephemeral answer, dialog error, page, response body), if any. */
  shown: string;
}

export interface DecisionArgs {
  requestId: string;
  /** The access user name of the person deciding on the platform. */
  user: string;
  action: 'approve' | 'deny';
  reason: string;
}

/** Inbound decisions, made exactly as the platform would send them (signed, from the message). */
export interface PlatformDecisions {
  /** The person decides on the request through the platform's real flow (click, dialog, …). */
  decide(hookUrl: (path: string) => string, args: DecisionArgs): Promise<DecisionAnswer>;
  /** The same call with a forged or missing signature / credential. */
  forged(hookUrl: (path: string) => string, args: DecisionArgs): Promise<DecisionAnswer>;
  /** A correctly signed call outside the replay window (or a replayed single-use one). */
  stale(hookUrl: (path: string) => string, args: DecisionArgs): Promise<DecisionAnswer>;
}

export interface PlatformFake {
  /** The plugin's config block (as under `plugins.<id>`), pointed at this fake. */
  pluginConfig: Record<string, unknown>;
  /** Routing recipients for reviewers (at least one), as an admin writes them in `host.routing`. */
  reviewerRecipients: string[];
  /** Traits the access user needs so the plugin can map them (e.g. `{ discord_id: ['123'] }`). */
  traitsFor?(user: string): Record<string, string[]>;
  /** Root messages about the request (one per target it was posted to), as they stand now. */
  messages(requestId: string): Promise<PlatformMessage[]>;
  /** Threaded replies / comments / notes under the request's messages, texts in order. */
  replies?(requestId: string): Promise<string[]>;
  /** The next `n` platform write calls (posts, edits) answer with a 5xx. */
  failNext(n: number): void;
  /** The next `n` platform write calls answer 429 with Retry-After `seconds`. */
  rateLimitNext(n: number, seconds: number): void;
  /**
   * The next `n` posts (new messages, and replies where the platform threads) land on the
   * platform but their answer never reaches the caller.
   */
  loseNextAnswers?(n: number): void;
  decisions?: PlatformDecisions;
  /**
   * How many faults set by failNext, rateLimitNext and loseNextAnswers have not hit a call yet.
   * When given, the suite checks it is 0 after each fault test, so a fault that never fired
   * cannot pass for one the plugin survived.
   */
  unusedFaults?(): number;
  stop(): Promise<void>;
}

export interface ConformanceAdapter {
  /** The plugin id, as the folder under plugins/ and the key under `plugins:`. */
  id: string;
  definition: PluginDefinition;
  /** Starts the fake platform, which learns the access users it must map. */
  startFake(users: ConformanceUser[]): Promise<PlatformFake>;
}
