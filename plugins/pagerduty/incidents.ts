// Incident lifecycle for one request on one service: open it once (incident_key makes a retried
// job find the incident it already opened), add notes, resolve it once.

import {
  type Card,
  type CardReview,
  type DeliveryContext,
  type PluginKv,
  permanent,
} from '../../src/plugin-sdk/index.js';
import { isRejected, type PagerDutyClient, type PdIncident } from './client.js';
import { incidentDetails, incidentKeyFor, incidentTitle, resolutionNote, reviewNote } from './render.js';

export interface IncidentRef {
  incidentId: string;
  serviceId: string;
  incidentKey: string;
  htmlUrl?: string;
  resolved?: boolean;
  [key: string]: unknown;
}

/** Notes already posted are remembered this long, so a retried job does not post them twice. */
const NOTE_MEMORY_SECONDS = 30 * 24 * 3600;

const toRef = (incident: PdIncident, serviceId: string, incidentKey: string): IncidentRef => ({
  incidentId: incident.id,
  serviceId,
  incidentKey,
  ...(incident.html_url ? { htmlUrl: incident.html_url } : {}),
  ...(incident.status === 'resolved' ? { resolved: true } : {}),
});

/** Prefers an open incident over a resolved one with the same key. */
function pick(incidents: PdIncident[]): PdIncident | undefined {
  return incidents.find((i) => i.status !== 'resolved') ?? incidents[0];
}

/** The incident an earlier attempt opened for this request on this service, if any. */
export async function findIncident(
  client: PagerDutyClient,
  serviceId: string,
  requestId: string,
): Promise<IncidentRef | null> {
  const incidentKey = incidentKeyFor(requestId);
  const found = pick(await client.findIncidentsByKey(incidentKey, serviceId));
  return found ? toRef(found, serviceId, incidentKey) : null;
}

export async function openIncident(
  client: PagerDutyClient,
  serviceId: string,
  card: Card,
  urgency: 'high' | 'low',
): Promise<IncidentRef> {
  const incidentKey = incidentKeyFor(card.requestId);
  // A previous attempt may have opened it and lost the answer (timeout, crash, 5xx after commit).
  const existing = await findIncident(client, serviceId, card.requestId);
  if (existing) return existing;
  const created = await client.createIncident({
    title: incidentTitle(card),
    serviceId,
    incidentKey,
    details: incidentDetails(card),
    urgency,
  });
  if (!isRejected(created)) return toRef(created, serviceId, incidentKey);
  // Another replica may have won the race: PagerDuty refuses a second open incident per key.
  const raced = pick(await client.findIncidentsByKey(incidentKey, serviceId));
  if (raced) return toRef(raced, serviceId, incidentKey);
  throw permanent(created.rejected.message, created.rejected);
}

/** Runs `post` unless a note under `key` was already posted. */
async function noteOnce(kv: PluginKv, key: string, post: () => Promise<void>): Promise<void> {
  if (await kv.get(key)) return;
  await post();
  await kv.set(key, '1', NOTE_MEMORY_SECONDS);
}

/**
 * A review as a note. The host calls once per review and marks it sent after this returns;
 * when an earlier try may have reached PagerDuty, the incident's notes are looked for the same
 * note first (notes take no idempotency key).
 */
export async function noteReview(
  client: PagerDutyClient,
  ref: IncidentRef,
  review: CardReview,
  delivery: DeliveryContext,
): Promise<void> {
  const note = reviewNote(review);
  if (delivery.mayHaveBeenSent) {
    const notes = await client.listNotes(ref.incidentId);
    if (notes.some((existing) => existing.content === note)) return;
  }
  await client.addNote(ref.incidentId, note);
}

export async function closeIncident(
  client: PagerDutyClient,
  kv: PluginKv,
  ref: IncidentRef,
  card: Card,
  note = resolutionNote(card),
): Promise<IncidentRef> {
  await noteOnce(kv, `note-resolution:${ref.incidentId}`, () => client.addNote(ref.incidentId, note));
  const result = await client.resolveIncident(ref.incidentId);
  if (isRejected(result)) {
    // Someone resolved it in PagerDuty already (or an earlier attempt did): that is the goal.
    const current = await client.getIncident(ref.incidentId);
    if (current.status !== 'resolved') throw permanent(result.rejected.message, result.rejected);
  }
  return { ...ref, resolved: true };
}

export function asIncidentRef(ref: Record<string, unknown>): IncidentRef | null {
  return typeof ref.incidentId === 'string' && typeof ref.serviceId === 'string'
    ? (ref as IncidentRef)
    : null;
}
