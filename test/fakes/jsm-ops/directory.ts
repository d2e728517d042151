// The fake JSM Operations / Opsgenie site's contents: users, teams, schedules with who is on
// call now, alerts with their notes, and the asynchronous requests that change them. Both APIs
// read and write this one store, as JSM Operations kept Opsgenie's resource model.

import { randomUUID } from 'node:crypto';

export interface FakeOpsUser {
  /** Atlassian account id (what JSM Operations answers with). */
  accountId: string;
  /** Opsgenie username: the user's email address. */
  username: string;
  fullName: string;
}

export interface FakeTeam {
  id: string;
  name: string;
}

export interface FakeSchedule {
  id: string;
  name: string;
  enabled: boolean;
  /** Account ids of the users on call right now. */
  onCall: string[];
}

export interface FakeAlert {
  id: string;
  tinyId: string;
  alias: string;
  message: string;
  description: string;
  status: 'open' | 'closed';
  acknowledged: boolean;
  count: number;
  responders: { type: string; id?: string; name?: string }[];
  tags: string[];
  source: string;
  priority: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeNote {
  note: string;
  owner: string;
  createdAt: string;
  offset: string;
}

/** An asynchronous alert action as the request-status endpoint reports it once processed. */
export interface FakeRequest {
  requestId: string;
  action: 'Create' | 'Add Note' | 'Close';
  processed: boolean;
  processedAt?: string;
  isSuccess?: boolean;
  status?: string;
  alertId?: string;
  alias?: string;
}

export interface NewAlert {
  message: string;
  alias?: string;
  description?: string;
  responders?: { type: string; id?: string; name?: string }[];
  tags?: string[];
  source?: string;
  priority?: string;
  note?: string;
}

export class OpsDirectory {
  readonly users: FakeOpsUser[] = [];
  readonly teams: FakeTeam[] = [];
  readonly schedules: FakeSchedule[] = [];
  readonly alerts: FakeAlert[] = [];
  readonly notes = new Map<string, FakeNote[]>();
  readonly requests = new Map<string, FakeRequest>();
  private tiny = 0;
  private noteSeq = 0;

  addUser(input: { fullName: string; username: string; accountId?: string }): FakeOpsUser {
    // Atlassian account ids look like `5b10ac8d82e05b22cc7d4ef5` (24 hex digits) or `712020:<uuid>`.
    const accountId = input.accountId ?? randomUUID().replaceAll('-', '').slice(0, 24);
    const user = { accountId, username: input.username, fullName: input.fullName };
    this.users.push(user);
    return user;
  }

  addTeam(name: string): FakeTeam {
    const team = { id: randomUUID(), name };
    this.teams.push(team);
    return team;
  }

  addSchedule(name: string, onCall: FakeOpsUser[] = []): FakeSchedule {
    const schedule = { id: randomUUID(), name, enabled: true, onCall: onCall.map((u) => u.accountId) };
    this.schedules.push(schedule);
    return schedule;
  }

  userByAccountId(accountId: string): FakeOpsUser | undefined {
    return this.users.find((u) => u.accountId === accountId);
  }

  openAlertByAlias(alias: string): FakeAlert | undefined {
    return this.alerts.find((a) => a.alias === alias && a.status === 'open');
  }

  notesOf(alertId: string): FakeNote[] {
    return this.notes.get(alertId) ?? [];
  }

  /** Opsgenie de-duplicates on alias: an open alert with the same alias only counts up. */
  createAlert(input: NewAlert): { alert: FakeAlert; deduplicated: boolean } {
    const now = new Date().toISOString();
    const existing = input.alias ? this.openAlertByAlias(input.alias) : undefined;
    if (existing) {
      existing.count += 1;
      existing.updatedAt = now;
      return { alert: existing, deduplicated: true };
    }
    this.tiny += 1;
    const alert: FakeAlert = {
      id: `${randomUUID()}-${Date.now()}`,
      tinyId: String(this.tiny),
      alias: input.alias ?? randomUUID(),
      message: input.message,
      description: input.description ?? '',
      status: 'open',
      acknowledged: false,
      count: 1,
      responders: input.responders ?? [],
      tags: input.tags ?? [],
      source: input.source ?? '',
      priority: input.priority ?? 'P3',
      createdAt: now,
      updatedAt: now,
    };
    this.alerts.push(alert);
    if (input.note) this.addNote(alert, input.note, 'System');
    return { alert, deduplicated: false };
  }

  addNote(alert: FakeAlert, note: string, owner: string): FakeNote {
    this.noteSeq += 1;
    const entry = {
      note,
      owner,
      createdAt: new Date().toISOString(),
      offset: `${Date.now()}_${this.noteSeq}`,
    };
    this.notes.set(alert.id, [...this.notesOf(alert.id), entry]);
    alert.updatedAt = entry.createdAt;
    return entry;
  }

  /** What `alertId` names: an alert id, an alias (open alerts only) or a tiny id. */
  findAlert(identifier: string, type: 'id' | 'alias' | 'tiny' = 'id'): FakeAlert | undefined {
    if (type === 'alias') return this.openAlertByAlias(identifier);
    if (type === 'tiny') return this.alerts.find((a) => a.tinyId === identifier);
    return this.alerts.find((a) => a.id === identifier);
  }

  findSchedule(identifier: string, type: 'id' | 'name' = 'id'): FakeSchedule | undefined {
    return type === 'name'
      ? this.schedules.find((s) => s.name === identifier)
      : this.schedules.find((s) => s.id === identifier);
  }
}
