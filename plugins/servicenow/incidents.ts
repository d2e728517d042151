// One incident per request and target (assignment group), found again by `correlation_id` =
// request id (with `correlation_display` = accessbot), so a retry after a lost create answer
// finds the incident instead of creating a second one: the Table API reads the database, with
// no search index to lag behind. Work notes are looked for among the newest before a retry posts
// one again (ServiceNow takes no idempotency key); resolving is a PATCH of fixed values, so a
// repeat changes nothing.

import type { Card, DeliveryContext, Logger } from '../../src/plugin-sdk/index.js';
import { queryValue, type ServiceNowApi } from './client.js';
import type { ServiceNowConfig } from './config.js';
import { closeNotes, description, shortDescription } from './render.js';

/** Written in every incident's correlation_display: how the plugin knows its own incidents. */
export const CORRELATION_DISPLAY = 'accessbot';
/** A target with no assignment group. */
export const NO_GROUP = '-';

export interface IncidentRef {
  sysId: string;
  number: string;
  requestId: string;
  /** The request state the incident was resolved or closed for, once it was. */
  closedAs?: string;
}

export function asIncidentRef(value: unknown): IncidentRef | null {
  const v = value as Partial<IncidentRef> | null;
  return v && typeof v.sysId === 'string' && typeof v.requestId === 'string' ? (v as IncidentRef) : null;
}

export class Incidents {
  private readonly userIds = new Map<string, string | null>();

  constructor(
    private readonly api: ServiceNowApi,
    private readonly config: ServiceNowConfig,
    private readonly log: Logger,
    private readonly reviewUrl: string | undefined,
    private readonly howToDecide: string,
  ) {}

  /** The sys_id of a group named (or identified) so, or null. */
  async groupId(nameOrId: string): Promise<string | null> {
    const v = queryValue(nameOrId);
    return (await this.api.first('sys_user_group', `name=${v}^ORsys_id=${v}`, ['sys_id']))?.sys_id ?? null;
  }

  /** The sys_id of the sys_user with this user_name or email (cached: people rarely move). */
  async userId(field: 'user_name' | 'email', value: string): Promise<string | null> {
    const key = `${field}:${value.toLowerCase()}`;
    const known = this.userIds.get(key);
    if (known !== undefined) return known;
    const row = await this.api.first('sys_user', `${field}=${queryValue(value)}^active=true`, ['sys_id']);
    const id = row?.sys_id ?? null;
    if (this.userIds.size > 1000) this.userIds.clear();
    this.userIds.set(key, id);
    return id;
  }

  private lookupQuery(requestId: string, groupId: string): string {
    const group = groupId === NO_GROUP ? '' : `^assignment_group=${queryValue(groupId)}`;
    return `correlation_id=${queryValue(requestId)}^correlation_display=${CORRELATION_DISPLAY}${group}^ORDERBYsys_created_on`;
  }

  async find(requestId: string, groupId: string): Promise<IncidentRef | null> {
    const row = await this.api.first('incident', this.lookupQuery(requestId, groupId), ['sys_id', 'number']);
    return row ? { sysId: row.sys_id!, number: row.number ?? '', requestId } : null;
  }

  /** The request's incident for this group: the one already there, or a new one. */
  async ensure(groupId: string, card: Card): Promise<IncidentRef> {
    const existing = await this.find(card.requestId, groupId);
    if (existing) return existing;
    const fields: Record<string, string> = {
      ...this.config.incident_fields,
      short_description: shortDescription(card),
      description: description(card, this.reviewUrl, this.howToDecide),
      correlation_id: card.requestId,
      correlation_display: CORRELATION_DISPLAY,
    };
    if (groupId !== NO_GROUP) fields.assignment_group = groupId;
    if (this.config.assigned_to) {
      const assignee = await this.userId('user_name', this.config.assigned_to);
      if (assignee) fields.assigned_to = assignee;
      else
        this.log.warn(
          { assigned_to: this.config.assigned_to },
          'servicenow: assigned_to names no active user',
        );
    }
    if (card.requester.email) {
      const caller = await this.userId('email', card.requester.email);
      if (caller) fields.caller_id = caller;
    }
    const row = await this.api.create('incident', fields);
    return { sysId: row.sys_id!, number: row.number ?? '', requestId: card.requestId };
  }

  /**
   * Adds a work note, once: when an earlier try may have posted it (its answer lost), the
   * incident's newest work notes are read first and the same text is not posted again.
   */
  async note(
    ref: IncidentRef,
    text: string,
    delivery: Pick<DeliveryContext, 'mayHaveBeenSent'>,
  ): Promise<void> {
    if (delivery.mayHaveBeenSent && (await this.hasNote(ref, text))) return;
    await this.api.update('incident', ref.sysId, { work_notes: text });
  }

  async hasNote(ref: IncidentRef, text: string): Promise<boolean> {
    const notes = await this.api.journal(ref.sysId, 'work_notes');
    return notes.some((n) => n.value?.trim() === text.trim());
  }

  /** Resolves (approved, expired) or closes (denied) the incident with the configured codes. */
  async close(ref: IncidentRef, card: Card): Promise<IncidentRef> {
    if (card.state === 'PENDING') return ref;
    if (ref.closedAs === card.state) return ref;
    const how =
      this.config.resolution[
        card.state === 'APPROVED' ? 'approved' : card.state === 'DENIED' ? 'denied' : 'expired'
      ];
    await this.api.update('incident', ref.sysId, {
      state: how.state,
      close_code: how.close_code,
      close_notes: closeNotes(card, how.close_notes),
    });
    return { ...ref, closedAs: card.state };
  }
}
