// Renders the fake's state as Jira REST API v2 JSON (the fields the real API returns that a
// client could plausibly read; extra fields are omitted rather than invented).

import type {
  FakeComment,
  FakeHistory,
  FakeIssue,
  FakeJiraModel,
  FakeJiraUser,
  FakeStatus,
} from './model.js';

export function userJson(base: string, user: FakeJiraUser | undefined, accountId: string) {
  if (!user) return { accountId, displayName: 'Former user', active: false };
  return {
    self: `${base}/rest/api/2/user?accountId=${user.accountId}`,
    accountId: user.accountId,
    accountType: 'atlassian',
    ...(user.hideEmail ? {} : { emailAddress: user.email }),
    displayName: user.displayName,
    active: true,
    timeZone: 'Etc/UTC',
  };
}

export function statusJson(base: string, status: FakeStatus) {
  const done = status.name !== 'Pending';
  return {
    self: `${base}/rest/api/2/status/${status.id}`,
    id: status.id,
    name: status.name,
    description: '',
    statusCategory: done
      ? { id: 3, key: 'done', colorName: 'green', name: 'Done' }
      : { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  };
}

export function commentJson(base: string, model: FakeJiraModel, issue: FakeIssue, c: FakeComment) {
  const author = userJson(base, model.users.get(c.authorId), c.authorId);
  return {
    self: `${base}/rest/api/2/issue/${issue.id}/comment/${c.id}`,
    id: c.id,
    author,
    body: c.body,
    updateAuthor: author,
    created: c.created,
    updated: c.created,
    jsdPublic: true,
  };
}

export function historyJson(base: string, model: FakeJiraModel, h: FakeHistory) {
  return {
    id: h.id,
    author: userJson(base, model.users.get(h.authorId), h.authorId),
    created: h.created,
    items: h.items.map((i) => ({ ...i, fieldtype: 'jira', fieldId: i.field })),
  };
}

export function issueJson(base: string, model: FakeJiraModel, issue: FakeIssue, expand: string[] = []) {
  const project = model.projects.get(issue.projectKey)!;
  const type = project.issueTypes.find((t) => t.name === issue.issueTypeName)!;
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: issue.id,
    self: `${base}/rest/api/2/issue/${issue.id}`,
    key: issue.key,
    fields: {
      summary: issue.summary,
      description: issue.description,
      labels: issue.labels,
      issuetype: { id: type.id, name: type.name, subtask: false },
      project: { id: project.id, key: project.key, name: project.name },
      status: statusJson(base, issue.status),
      reporter: userJson(base, model.users.get(issue.reporterId), issue.reporterId),
      created: issue.created,
      updated: issue.updated,
      comment: {
        comments: issue.comments.map((c) => commentJson(base, model, issue, c)),
        maxResults: issue.comments.length,
        total: issue.comments.length,
        startAt: 0,
      },
    },
    ...(expand.includes('changelog')
      ? {
          changelog: {
            // Like Jira, the expanded changelog is one page of at most 100 entries.
            startAt: 0,
            maxResults: 100,
            total: issue.histories.length,
            histories: issue.histories.slice(0, 100).map((h) => historyJson(base, model, h)),
          },
        }
      : {}),
  };
}
