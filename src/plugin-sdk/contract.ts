// The plugin contract. A plugin is one folder under plugins/ whose index module
// default-exports a PluginDefinition; it imports nothing but src/plugin-sdk.
// The host discovers plugins by folder and never names one.

import type { z } from 'zod';
import type { Card, CardReview } from './card.js';
import type { PluginCommand } from './command.js';
import type { OnCallProvider } from './on-call.js';

/** Where a message goes: a channel, a person, a project, a URL. Chosen by the plugin. */
export interface Target {
  /** Stable identity of the destination, unique within the plugin (e.g. `C0123`, `U042`, `SEC`). */
  id: string;
  /** Free-form kind for the plugin's own use (`channel`, `user`, `project`, `url`...). */
  kind: string;
  /** Who reads it: reviewers get buttons, the requester gets a copy without them. */
  audience: 'reviewer' | 'requester';
  /** Anything else the plugin needs later (JSON only). */
  data?: Record<string, unknown>;
}

/**
 * What a plugin returns after posting: enough to edit or reply later (JSON only). Each plugin
 * names its own shape (`PluginInstance<SlackRef>`); the host stores it as it is and hands the
 * same value back to update / reply / remind / withdraw / notifyOutcome.
 */
export type MessageRef = Record<string, unknown>;

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Small per-plugin key/value store kept by the host (Redis), namespaced per plugin. */
export interface PluginKv {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets only when absent; true when this call set it (use for de-duplication). */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/** How the host finds the access user behind a platform identity. */
export type PersonRef = { email: string } | { trait: string; value: string };

/** An access user as a plugin may see it: enough to reach them on a platform that has no email lookup. */
export interface PersonInfo {
  name: string;
  email?: string;
  traits: Record<string, string[]>;
}

/** Someone who proved who they are with an API bearer token (pasted, or from a login link). */
export interface TokenHolder {
  person: PersonInfo;
  /**
   * Pending requests the API lists for them, other than their own (what they may review; the
   * API still decides each review), oldest first, at most MAX_REVIEWABLE_LISTED.
   */
  reviewable: Card[];
}

/** A sign-in page lists at most this many requests. */
export const MAX_REVIEWABLE_LISTED = 200;

export interface InboundDecision {
  requestId: string;
  action: 'approve' | 'deny';
  reason?: string;
  /** The platform person who clicked or moved the ticket. */
  person: PersonRef;
  /** For logs and answers: how the platform names them (e.g. `@bob`). */
  personLabel?: string;
  /**
   * When the call carrying the decision was signed with a timestamp: the end of its replay
   * window (ms since the epoch). The host does not act on it after that, however long the
   * steps before took (a slow platform, a wait for Redis): it answers `too_late`.
   */
  notAfter?: number;
  /**
   * The person signed in on a page of the plugin's own (an API token checked by the API, a
   * short-lived session), rather than clicking a chat button or a mailed link. Approvals of
   * roles in `host.step_up_roles` count only then.
   */
  signedIn?: boolean;
}

export type DecisionOutcomeKind =
  | 'done'
  | 'already_reviewed'
  | 'not_allowed'
  | 'own_request'
  | 'resolved'
  | 'unknown_user'
  | 'not_found'
  /** The decision's signed call outlived its replay window before it could be acted on. */
  | 'too_late'
  /**
   * An approval of a role in `host.step_up_roles` from a button or a mailed link: nothing was
   * recorded; the message tells the person to sign in on the review page (its address).
   */
  | 'step_up'
  | 'error';

export interface DecisionOutcome {
  kind: DecisionOutcomeKind;
  /** A sentence fit to show the person (already plain text, no markup). */
  message: string;
  /** The request as it stands after the attempt, when known. */
  card?: Card;
}

export interface InboundRequest {
  method: string;
  /** Path below `/hooks/<plugin-id>`, starting with `/`. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Exactly the bytes received: verify signatures over this, before parsing. */
  rawBody: Buffer;
  query: Record<string, string>;
}

export interface InboundResponse {
  status: number;
  /** An array sends the header once per value (`set-cookie`). */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer | Record<string, unknown> | unknown[];
}

export interface InboundRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** Below `/hooks/<plugin-id>`, e.g. `/` or `/interactions`. */
  path: string;
  handler(req: InboundRequest): Promise<InboundResponse>;
}

export interface PluginContext<C> {
  id: string;
  config: C;
  log: Logger;
  kv: PluginKv;
  /**
   * How long the host keeps a request's bookkeeping after its last change, in seconds
   * (`host.redis.request_retention`). A plugin's own per-request memos in `kv` (where a message
   * was posted, a request's issue) should be kept as long: `requestMemoSeconds(ctx)`.
   */
  requestRetentionSeconds?: number;
  /** Public base URL of the host's inbound server (for links and callback URLs), if configured. */
  publicUrl?: string;
  /** Hands a decision to the host, which submits a review as the mapped person; the API decides. */
  decide(decision: InboundDecision): Promise<DecisionOutcome>;
  /** The current card of a request, or null when the API does not know it. */
  getCard(requestId: string): Promise<Card | null>;
  /**
   * The access user behind an email or trait, or null when there is none. For platforms that
   * cannot find a person by email (Discord): the router hands DM recipients over as emails.
   */
  lookupPerson?(person: PersonRef): Promise<PersonInfo | null>;
  /**
   * For a page where people sign in: checks an API bearer token with the API (whoami as its
   * holder) and lists what that person may review, as the API shows it to them. Null when the
   * API refuses the token (unknown, expired, revoked). The token is used for these reads only;
   * decisions still go through `decide`.
   */
  tokenHolder?(token: string): Promise<TokenHolder | null>;
}

export interface AutoReview {
  action: 'approve' | 'deny';
  reason: string;
}

/**
 * Given to every call that writes to the platform (deliver, update, reply, remind, withdraw,
 * notifyOutcome), always: a plugin never invents an id of its own.
 *
 * `deliveryId` is the host's deterministic id for this one message or edit, the same on every
 * retry, so a platform (or a receiver) that accepts an idempotency key can drop a second copy.
 *
 * The host owns de-duplication: it records that a reply, reminder or outcome message was sent
 * only after the plugin's call returned, and never calls again once it has. What a plugin must
 * do itself is the one case the host cannot know: `mayHaveBeenSent` says an earlier try of this
 * same delivery was started and may have reached the platform (its answer was lost, or the host
 * died mid-call). A plugin whose platform takes no idempotency key then looks for its own
 * earlier post (by `deliveryId`, or by the exact content it would post) before posting again.
 * A plugin keeps no "sent" marks of its own.
 */
export interface DeliveryContext {
  deliveryId: string;
  /** 1 on the first try. */
  attempt: number;
  /** An earlier try of this delivery may have reached the platform; false on a first try. */
  mayHaveBeenSent: boolean;
}

/** One thing wrong with a plugin's set-up on its platform (`accessbot config check --online`). */
export interface SetupProblem {
  /** What is wrong, one plain-text sentence naming the config key or platform object. */
  problem: string;
  /** How to fix it, when the plugin knows. */
  fix?: string;
}

/**
 * Work the host runs on a timer for a plugin whose platform has to be asked rather than calling
 * us (decisions recorded on a ticket, with no inbound exposure). With several hosts on one
 * Redis, each interval's run happens on one host only (a Redis lease); a run that outlasts the
 * interval may meet the next one on another host, so a run must be safe to repeat. Decisions it
 * finds go through `ctx.decide`, the same path as inbound calls.
 */
export interface PeriodicPoll {
  /** How often to run, ms (at least MIN_POLL_INTERVAL_MS). */
  intervalMs: number;
  /** One pass. A throw is logged and the next interval tries again. */
  run(): Promise<void>;
}

/** The shortest poll interval the host accepts. */
export const MIN_POLL_INTERVAL_MS = 100;

/**
 * A running plugin. `Ref` is the plugin's own message reference type. Optional methods are
 * the plugin's capabilities: the host derives them from which methods exist (see
 * `capabilitiesOf`), so there is no flag to keep in step with the code.
 */
export interface PluginInstance<Ref extends object = MessageRef> {
  /** Throws PluginError('auth' | ...) with a message naming what is missing. */
  healthCheck(): Promise<void>;
  /**
   * Optional, for `accessbot config check --online`: read-only checks of the set-up on the
   * platform that healthCheck does not make (workflow, users or schedules the config names), one
   * entry per problem, empty when all is well. Never posts, creates or changes anything.
   */
  checkSetup?(): Promise<SetupProblem[]>;
  /** Turns a configured recipient (`#ops`, `bob@example.com`, `SEC`) into a target. */
  resolveRecipient(raw: string, audience: Target['audience']): Promise<Target>;
  /** Recipients this plugin adds on its own for a request (e.g. its default project, an annotation). */
  defaultRecipients?(card: Card): string[];
  deliver(target: Target, card: Card, delivery: DeliveryContext): Promise<Ref>;
  /** Re-renders from the current card; may return a replacement ref. */
  update(target: Target, ref: Ref, card: Card, delivery: DeliveryContext): Promise<Ref | undefined>;
  /** A review as a threaded reply / comment / note; called once per review and target. */
  reply?(target: Target, ref: Ref, review: CardReview, card: Card, delivery: DeliveryContext): Promise<void>;
  /**
   * The request still waits for a review: a nudge in the message's thread (reviewer messages
   * only); called once per reminder and target.
   */
  remind?(target: Target, ref: Ref, card: Card, delivery: DeliveryContext): Promise<void>;
  /**
   * The request was decided (or expired): tell the requester in a message of its own, since an
   * edit does not notify. Called once per requester target, after `update` showed the outcome.
   */
  notifyOutcome?(target: Target, ref: Ref, card: Card, delivery: DeliveryContext): Promise<void>;
  /**
   * The request was deleted from the API: show the message as withdrawn, without actions.
   * `card` is the request as it last was.
   */
  withdraw?(target: Target, ref: Ref, card: Card, delivery: DeliveryContext): Promise<void>;
  /** Decide on a new request by itself; null = no opinion. For on-call approval use `onCall`. */
  autoReview?(card: Card): Promise<AutoReview | null>;
  /**
   * Answers who is on call (on-call.ts); the host applies `plugins.<id>.auto_approval` and
   * approves as the block's `review_as` user. Needs `traits.onCall` on the definition.
   */
  onCall?: OnCallProvider;
  /** Inbound routes that turn clicks or transitions into decisions (mounted under /hooks/<id>). */
  routes?(): InboundRoute[];
  /** Periodic work (e.g. reading decisions back from the platform); null when the config turns it off. */
  poll?(): PeriodicPoll | null;
  close?(): Promise<void>;
}

/** What a plugin declares that no method can tell. */
export interface PluginTraits {
  /**
   * Can reach a person directly (DM / mail), so suggested reviewers and the requester get
   * copies. Default false.
   */
  directMessages?: boolean;
  /**
   * Serves a page where people sign in (with an API token or a login link): its path below
   * `/hooks/<id>`. The host sends `<public_url>/sign-in` there, keeping the query, so a login
   * link (`accessbot users login-link`) names no plugin. At most one plugin may declare it.
   */
  signInPage?: string;
  /**
   * Offers on-call auto-approval: its instance has `onCall`. The config loader then accepts
   * (and validates, once, for every such plugin) the host-read `auto_approval` block.
   */
  onCall?: boolean;
}

/** What a running plugin can do, derived from the methods it implements and its traits. */
export interface PluginCapabilities {
  threadedReplies: boolean;
  reminders: boolean;
  outcomeNotices: boolean;
  withdrawals: boolean;
  autoReview: boolean;
  /** Answers on-call questions; the host's on-call policy decides (src/host/on-call). */
  onCall: boolean;
  inboundDecisions: boolean;
  directMessages: boolean;
}

export function capabilitiesOf(
  definition: Pick<PluginDefinition, 'traits'>,
  instance: PluginInstance<object>,
): PluginCapabilities {
  return {
    threadedReplies: typeof instance.reply === 'function',
    reminders: typeof instance.remind === 'function',
    outcomeNotices: typeof instance.notifyOutcome === 'function',
    withdrawals: typeof instance.withdraw === 'function',
    autoReview: typeof instance.autoReview === 'function' || instance.onCall !== undefined,
    onCall: instance.onCall !== undefined,
    inboundDecisions: (instance.routes?.().length ?? 0) > 0,
    directMessages: definition.traits?.directMessages ?? false,
  };
}

export interface PluginDefinition<S extends z.ZodType = z.ZodType, Ref extends object = MessageRef> {
  id: string;
  description: string;
  configSchema: S;
  traits?: PluginTraits;
  /**
   * Commands the plugin adds to the CLI as `accessbot <id> <name>` (set-up helpers). They run
   * without a config or a running host. The CLI imports a plugin's module for them only when
   * the first argument names the plugin's folder, so `accessbot --help` stays cheap.
   */
  commands?: PluginCommand[];
  create(ctx: PluginContext<z.infer<S>>): Promise<PluginInstance<Ref>> | PluginInstance<Ref>;
}

/** Identity function that gives a plugin module full typing. */
export function definePlugin<S extends z.ZodType, Ref extends object = MessageRef>(
  def: PluginDefinition<S, Ref>,
): PluginDefinition<S, Ref> {
  return def;
}

/** `host.redis.request_retention`'s default, in seconds. */
export const DEFAULT_REQUEST_RETENTION_SECONDS = 30 * 24 * 3600;

/** How long a per-request memo in `kv` is kept: as long as the host keeps the request's records. */
export function requestMemoSeconds(ctx: Pick<PluginContext<unknown>, 'requestRetentionSeconds'>): number {
  return ctx.requestRetentionSeconds ?? DEFAULT_REQUEST_RETENTION_SECONDS;
}
