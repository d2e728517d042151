// The plugin contract. A plugin is one folder under plugins/ whose index module
// default-exports a PluginDefinition; it imports nothing but src/plugin-sdk.
// The host discovers plugins by folder and never names one.

import type { z } from 'zod';
import type { Card, CardReview } from './card.js';

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

/** What a plugin returns after posting: enough to edit or reply later (JSON only). */
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

export interface InboundDecision {
  requestId: string;
  action: 'approve' | 'deny';
  reason?: string;
  /** The platform person who clicked or moved the ticket. */
  person: PersonRef;
  /** For logs and answers: how the platform names them (e.g. `@bob`). */
  personLabel?: string;
}

export type DecisionOutcomeKind =
  | 'done'
  | 'already_reviewed'
  | 'not_allowed'
  | 'own_request'
  | 'resolved'
  | 'unknown_user'
  | 'not_found'
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
  headers?: Record<string, string>;
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
}

export interface AutoReview {
  action: 'approve' | 'deny';
  reason: string;
}

/**
 * Passed to deliver/update/reply: the host's deterministic id for this delivery. It is the same
 * on every retry of the same message, so a platform (or a receiver) that accepts an idempotency
 * key can drop a second copy sent after a crash between the platform call and the stored ref.
 */
export interface DeliveryContext {
  deliveryId: string;
  /** 1 on the first try. */
  attempt: number;
  /**
   * An earlier try of this delivery may have reached the platform (its answer was lost, or the
   * host died before storing the ref). A plugin whose platform takes no idempotency key should
   * look for a message carrying `deliveryId` before posting again. False on a first post.
   */
  mayHaveBeenSent?: boolean;
}

export interface PluginInstance {
  /** Throws PluginError('auth' | ...) with a message naming what is missing. */
  healthCheck(): Promise<void>;
  /** Turns a configured recipient (`#ops`, `bob@example.com`, `SEC`) into a target. */
  resolveRecipient(raw: string, audience: Target['audience']): Promise<Target>;
  /** Recipients this plugin adds on its own for a request (e.g. its default project, an annotation). */
  defaultRecipients?(card: Card): string[];
  deliver(target: Target, card: Card, delivery?: DeliveryContext): Promise<MessageRef>;
  /** Re-renders from the current card; may return a replacement ref. */
  update(
    target: Target,
    ref: MessageRef,
    card: Card,
    delivery?: DeliveryContext,
  ): Promise<MessageRef | undefined>;
  /** A review as a threaded reply / comment / note. */
  reply?(
    target: Target,
    ref: MessageRef,
    review: CardReview,
    card: Card,
    delivery?: DeliveryContext,
  ): Promise<void>;
  /**
   * The request still waits for a review: a nudge in the message's thread (reviewer messages
   * only). `delivery.deliveryId` is the same on every try of one reminder.
   */
  remind?(target: Target, ref: MessageRef, card: Card, delivery?: DeliveryContext): Promise<void>;
  /**
   * The request was deleted from the API: show the message as withdrawn, without actions.
   * `card` is the request as it last was.
   */
  withdraw?(target: Target, ref: MessageRef, card: Card, delivery?: DeliveryContext): Promise<void>;
  /** Decide on a new request by itself (e.g. on-call approval); null = no opinion. */
  autoReview?(card: Card): Promise<AutoReview | null>;
  routes?(): InboundRoute[];
  close?(): Promise<void>;
}

export interface PluginCapabilities {
  /** `reply` posts reviews in a thread or as comments. */
  threadedReplies: boolean;
  /** Has inbound routes that turn clicks or transitions into decisions. */
  inboundDecisions: boolean;
  /** Implements `autoReview`. */
  autoReview: boolean;
  /** Can reach a person directly (DM / mail), so suggested reviewers and the requester get copies. */
  directMessages: boolean;
}

export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  id: string;
  description: string;
  configSchema: S;
  capabilities: PluginCapabilities;
  create(ctx: PluginContext<z.infer<S>>): Promise<PluginInstance> | PluginInstance;
}

/** Identity function that gives a plugin module full typing. */
export function definePlugin<S extends z.ZodType>(def: PluginDefinition<S>): PluginDefinition<S> {
  return def;
}
