// The fake PagerDuty account's contents: users, schedules, escalation policies, services,
// on-call entries, incidents and notes, shaped as PagerDuty's REST API v2 returns them.

export interface Reference {
  id: string;
  type: string;
  summary: string;
  self: string;
  html_url: string;
}

export interface FakeUser {
  id: string;
  type: 'user';
  name: string;
  email: string;
  role: string;
  summary: string;
  self: string;
  html_url: string;
}

export interface FakeService {
  id: string;
  type: 'service';
  name: string;
  summary: string;
  status: 'active';
  escalation_policy: Reference;
  self: string;
  html_url: string;
}

export interface FakeOnCall {
  user: Reference;
  schedule: Reference | null;
  escalation_policy: Reference;
  escalation_level: number;
  start: string | null;
  end: string | null;
}

export interface FakeIncident {
  id: string;
  type: 'incident';
  incident_number: number;
  title: string;
  summary: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  incident_key: string | null;
  urgency: string;
  service: Reference;
  body?: { type: 'incident_body'; details: string };
  created_at: string;
  last_status_change_at: string;
  self: string;
  html_url: string;
}

export interface FakeNote {
  id: string;
  user: Reference;
  content: string;
  created_at: string;
}

const PD_WEB = 'https://fake.pagerduty.test';

export class Directory {
  readonly users: FakeUser[] = [];
  readonly services: FakeService[] = [];
  readonly policies = new Map<string, Reference>();
  readonly schedules = new Map<string, Reference>();
  readonly oncalls: FakeOnCall[] = [];
  readonly incidents: FakeIncident[] = [];
  readonly notes = new Map<string, FakeNote[]>();
  private seq = 0;

  constructor(private readonly apiBase: () => string) {}

  /** PagerDuty ids are 7 upper-case alphanumerics starting with P. */
  nextId(): string {
    this.seq += 1;
    return `P${this.seq.toString(36).toUpperCase().padStart(6, '0')}`;
  }

  ref(type: string, id: string, summary: string, collection: string): Reference {
    return {
      id,
      type,
      summary,
      self: `${this.apiBase()}/${collection}/${id}`,
      html_url: `${PD_WEB}/${collection}/${id}`,
    };
  }

  addUser(input: { name: string; email: string; role?: string }): FakeUser {
    const id = this.nextId();
    const user: FakeUser = {
      id,
      type: 'user',
      name: input.name,
      email: input.email,
      role: input.role ?? 'user',
      summary: input.name,
      self: `${this.apiBase()}/users/${id}`,
      html_url: `${PD_WEB}/users/${id}`,
    };
    this.users.push(user);
    return user;
  }

  addEscalationPolicy(name: string): Reference {
    const id = this.nextId();
    const ref = this.ref('escalation_policy_reference', id, name, 'escalation_policies');
    this.policies.set(id, ref);
    return ref;
  }

  addSchedule(name: string): Reference {
    const id = this.nextId();
    const ref = this.ref('schedule_reference', id, name, 'schedules');
    this.schedules.set(id, ref);
    return ref;
  }

  /** A service with its own escalation policy (named after it unless one is given). */
  addService(name: string, policy?: Reference): FakeService {
    const id = this.nextId();
    const ep = policy ?? this.addEscalationPolicy(`${name} policy`);
    const service: FakeService = {
      id,
      type: 'service',
      name,
      summary: name,
      status: 'active',
      escalation_policy: ep,
      self: `${this.apiBase()}/services/${id}`,
      html_url: `${PD_WEB}/services/${id}`,
    };
    this.services.push(service);
    return service;
  }

  /** Puts `user` on call at `level` of `policy`, through `schedule` or directly (null). */
  putOnCall(user: FakeUser, policy: Reference, level: number, schedule: Reference | null = null): FakeOnCall {
    const entry: FakeOnCall = {
      user: this.ref('user_reference', user.id, user.name, 'users'),
      schedule,
      escalation_policy: policy,
      escalation_level: level,
      start: schedule ? new Date(Date.now() - 3_600_000).toISOString() : null,
      end: schedule ? new Date(Date.now() + 3_600_000).toISOString() : null,
    };
    this.oncalls.push(entry);
    return entry;
  }

  incidentByKey(key: string): FakeIncident[] {
    return this.incidents.filter((i) => i.incident_key === key);
  }

  notesOf(incidentId: string): FakeNote[] {
    return this.notes.get(incidentId) ?? [];
  }
}
