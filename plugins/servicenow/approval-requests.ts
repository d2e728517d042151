// Approval records the plugin asks for: with `decisions.request_approval_from`, every pending
// request's incident gets a `requested` approval (sysapproval_approver) for each named
// ServiceNow user, so they find it under My Approvals and are notified as ServiceNow notifies
// approvers. Asked once per person: the incident's approvals are read before any is created, so
// a retry after a lost answer creates none twice. Once the request is decided or withdrawn, the
// ones still waiting become "No Longer Required".

import type { Logger } from '../../src/plugin-sdk/index.js';
import { queryValue, type ServiceNowApi } from './client.js';
import type { ServiceNowConfig } from './config.js';
import type { IncidentRef, Incidents } from './incidents.js';

export class ApprovalRequests {
  constructor(
    private readonly api: ServiceNowApi,
    private readonly config: ServiceNowConfig,
    private readonly incidents: Incidents,
    private readonly log: Logger,
  ) {}

  private get wanted(): string[] {
    return this.config.decisions.source === 'approvals' ? this.config.decisions.request_approval_from : [];
  }

  /** Asks every configured approver who has no approval record on the incident yet. */
  async ask(ref: IncidentRef): Promise<void> {
    if (this.wanted.length === 0) return;
    const existing = await this.api.list('sysapproval_approver', {
      query: `sysapproval=${queryValue(ref.sysId)}`,
      fields: ['approver'],
    });
    const asked = new Set(existing.map((row) => row.approver));
    for (const userName of this.wanted) {
      const approver = await this.incidents.userId('user_name', userName);
      if (!approver) {
        this.log.warn({ user_name: userName }, 'servicenow: request_approval_from names no active user');
        continue;
      }
      if (asked.has(approver)) continue;
      await this.api.create('sysapproval_approver', {
        sysapproval: ref.sysId,
        document_id: ref.sysId,
        source_table: 'incident',
        approver,
        state: 'requested',
      });
      asked.add(approver);
    }
  }

  /** The request no longer waits: approvals still requested are no longer required. */
  async release(ref: IncidentRef): Promise<void> {
    if (this.wanted.length === 0) return;
    const open = await this.api.list('sysapproval_approver', {
      query: `sysapproval=${queryValue(ref.sysId)}^state=requested`,
      fields: ['sys_id'],
    });
    for (const row of open)
      await this.api.update('sysapproval_approver', row.sys_id!, { state: 'not_required' });
  }
}
