// Alert lifecycle for one request and one responder: raise it once (the alias makes a retried
// job find, or de-duplicate into, the alert it already raised), a note per review, closed once
// with a note naming the outcome.

import { type Card, type CardReview, type DeliveryContext, permanent } from '../../src/plugin-sdk/index.js';
import { type OpsAlert, type OpsClient, refused } from './client.js';
import { alertDescription, alertMessage, aliasFor, reviewNote } from './render.js';
import type { Responder } from './responders.js';

export interface AlertRef {
  alertId: string;
  alias: string;
  /** The target id (`team:…`) the alert was raised for. */
  responder: string;
  closed?: boolean;
  [key: string]: unknown;
}

export interface AlertOptions {
  priority: string;
  tags: string[];
}

const toRef = (alert: Pick<OpsAlert, 'id' | 'alias'>, responder: string): AlertRef => ({
  alertId: alert.id,
  alias: alert.alias,
  responder,
});

/** The open alert an earlier attempt raised for this request and responder, if any. */
export async function findOpenAlert(client: OpsClient, requestId: string, responderKey: string) {
  const found = await client.openAlertByAlias(aliasFor(requestId, responderKey));
  return found ? toRef(found, responderKey) : null;
}

export async function raiseAlert(
  client: OpsClient,
  card: Card,
  responderKey: string,
  responder: Responder,
  opts: AlertOptions,
  delivery: DeliveryContext,
): Promise<AlertRef> {
  const alias = aliasFor(card.requestId, responderKey);
  // An earlier try may have raised it and lost the answer. Creating again would not make a
  // second alert (alias de-duplication) but would count it twice on the alert.
  if (delivery.mayHaveBeenSent) {
    const existing = await client.openAlertByAlias(alias);
    if (existing) return toRef(existing, responderKey);
  }
  const settled = await client.createAlert({
    message: alertMessage(card),
    alias,
    description: alertDescription(card),
    responders: [responder as { type: string }],
    tags: ['accessbot', 'access-request', ...opts.tags],
    priority: opts.priority,
    source: 'accessbot',
  });
  if (!settled.isSuccess || !settled.alertId)
    throw refused(client.dialect.product, 'raise the alert', settled);
  return { alertId: settled.alertId, alias, responder: responderKey };
}

/**
 * A review as a note. The host calls once per review and marks it sent after this returns;
 * when an earlier try may have reached the platform, the alert's notes are read for the same
 * text first (notes take no idempotency key).
 */
export async function noteReview(
  client: OpsClient,
  ref: AlertRef,
  review: CardReview,
  delivery: DeliveryContext,
): Promise<void> {
  const note = reviewNote(review);
  if (delivery.mayHaveBeenSent) {
    const notes = await client.listNotes(ref.alertId);
    if (notes.some((n) => n.note === note)) return;
  }
  const settled = await client.addNote(ref.alertId, note);
  if (!settled.isSuccess) throw refused(client.dialect.product, 'add the note', settled);
}

/**
 * Closes the alert with a note saying why. Closing takes the note in the same call, so a retry
 * after a lost answer finds it closed and adds nothing; if someone closed it by hand first, the
 * note is added on its own (once).
 */
export async function closeAlert(client: OpsClient, ref: AlertRef, note: string): Promise<AlertRef> {
  const settled = await client.closeAlert(ref.alertId, note);
  if (settled.isSuccess) return { ...ref, closed: true };
  const current = await client.getAlert(ref.alertId);
  if (current.status !== 'closed')
    throw permanent(`${client.dialect.product} did not close the alert: ${settled.status}`);
  const notes = await client.listNotes(ref.alertId);
  if (!notes.some((n) => n.note === note)) {
    const added = await client.addNote(ref.alertId, note);
    if (!added.isSuccess) throw refused(client.dialect.product, 'add the note', added);
  }
  return { ...ref, closed: true };
}

export function asAlertRef(ref: Record<string, unknown>): AlertRef | null {
  return typeof ref.alertId === 'string' && typeof ref.alias === 'string' ? (ref as AlertRef) : null;
}
