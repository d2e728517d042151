// In-memory state of the fake Jira: users, one or more projects with a workflow, issues with
// comments, entity properties and a changelog. Shapes follow Jira's REST API v2 JSON.

export interface FakeJiraUser {
  accountId: string;
  displayName: string;
  email: string;
  /** Cloud basic auth (email + API token). */
  apiToken?: string;
  /** Data Center personal access token (Bearer). */
  pat?: string;
  /** Cloud privacy setting: the email is left out of user objects. */
  hideEmail?: boolean;
  /** Project permission keys this user holds (e.g. CREATE_ISSUES, TRANSITION_ISSUES). */
  permissions: string[];
}

export interface FakeStatus {
  id: string;
  name: string;
}

export interface FakeProject {
  id: string;
  key: string;
  name: string;
  issueTypes: { id: string; name: string; statuses: FakeStatus[] }[];
}

export interface FakeComment {
  id: string;
  authorId: string;
  body: string;
  created: string;
}

export interface FakeHistory {
  id: string;
  authorId: string;
  created: string;
  items: { field: string; from: string; fromString: string; to: string; toString: string }[];
}

export interface FakeIssue {
  id: string;
  key: string;
  projectKey: string;
  issueTypeName: string;
  summary: string;
  description: string;
  labels: string[];
  status: FakeStatus;
  reporterId: string;
  created: string;
  updated: string;
  properties: Map<string, unknown>;
  comments: FakeComment[];
  histories: FakeHistory[];
}

export const ALL_PERMISSIONS = [
  'BROWSE_PROJECTS',
  'CREATE_ISSUES',
  'EDIT_ISSUES',
  'ADD_COMMENTS',
  'TRANSITION_ISSUES',
] as const;

export const DEFAULT_STATUSES: FakeStatus[] = [
  { id: '10001', name: 'Pending' },
  { id: '10002', name: 'Approved' },
  { id: '10003', name: 'Denied' },
  { id: '10004', name: 'Expired' },
];

export class FakeJiraModel {
  readonly users = new Map<string, FakeJiraUser>();
  readonly projects = new Map<string, FakeProject>();
  readonly issues = new Map<string, FakeIssue>();
  private nextIssueId = 10000;
  private nextCommentId = 20000;
  private nextHistoryId = 30000;
  private readonly issueCounters = new Map<string, number>();
  private clockMs = Date.parse('2026-01-01T00:00:00.000Z');

  /** Strictly increasing timestamps, so "latest" is never a tie even within one millisecond. */
  now(): string {
    this.clockMs = Math.max(this.clockMs + 1, Date.now());
    return new Date(this.clockMs).toISOString().replace('Z', '+0000');
  }

  addUser(user: FakeJiraUser): FakeJiraUser {
    this.users.set(user.accountId, user);
    return user;
  }

  addProject(key: string, issueTypeName = 'Task', statuses: FakeStatus[] = DEFAULT_STATUSES): FakeProject {
    const project: FakeProject = {
      id: String(10000 + this.projects.size),
      key,
      name: `${key} project`,
      issueTypes: [{ id: '10100', name: issueTypeName, statuses }],
    };
    this.projects.set(key, project);
    return project;
  }

  findIssue(idOrKey: string): FakeIssue | undefined {
    const byKey = this.issues.get(idOrKey);
    if (byKey) return byKey;
    for (const issue of this.issues.values()) if (issue.id === idOrKey) return issue;
    return undefined;
  }

  statusesOf(issue: FakeIssue): FakeStatus[] {
    const project = this.projects.get(issue.projectKey);
    return project?.issueTypes.find((t) => t.name === issue.issueTypeName)?.statuses ?? [];
  }

  createIssue(input: {
    projectKey: string;
    issueTypeName: string;
    summary: string;
    description: string;
    labels: string[];
    reporterId: string;
  }): FakeIssue {
    const project = this.projects.get(input.projectKey)!;
    const type = project.issueTypes.find((t) => t.name === input.issueTypeName)!;
    const n = (this.issueCounters.get(project.key) ?? 0) + 1;
    this.issueCounters.set(project.key, n);
    const at = this.now();
    const issue: FakeIssue = {
      id: String(this.nextIssueId++),
      key: `${project.key}-${n}`,
      projectKey: project.key,
      issueTypeName: type.name,
      summary: input.summary,
      description: input.description,
      labels: input.labels,
      status: type.statuses[0]!,
      reporterId: input.reporterId,
      created: at,
      updated: at,
      properties: new Map(),
      comments: [],
      histories: [],
    };
    this.issues.set(issue.key, issue);
    return issue;
  }

  addComment(issue: FakeIssue, authorId: string, body: string): FakeComment {
    const comment: FakeComment = { id: String(this.nextCommentId++), authorId, body, created: this.now() };
    issue.comments.push(comment);
    issue.updated = comment.created;
    return comment;
  }

  /** Moves the issue to `status`, recording who did it in the changelog. */
  setStatus(issue: FakeIssue, status: FakeStatus, authorId: string): FakeHistory {
    const history: FakeHistory = {
      id: String(this.nextHistoryId++),
      authorId,
      created: this.now(),
      items: [
        {
          field: 'status',
          from: issue.status.id,
          fromString: issue.status.name,
          to: status.id,
          toString: status.name,
        },
      ],
    };
    issue.status = status;
    issue.histories.push(history);
    issue.updated = history.created;
    return history;
  }
}
