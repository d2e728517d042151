// The few Jira REST v2 calls the plugin makes, over jira.js's Version2Client (v2 speaks wiki
// text on Cloud and Data Center alike). No retries here: the host's delivery queue owns them,
// so every failure leaves as a PluginError carrying its retry meaning.

import { Version2Client } from 'jira.js';
import { deploymentOf, type JiraConfig } from './config.js';
import { isNotFound, toPluginError } from './errors.js';

export interface JiraUser {
  accountId?: string;
  /** Data Center identity. */
  key?: string;
  name?: string;
  emailAddress?: string;
  displayName?: string;
}

export interface JiraStatusRef {
  id: string;
  name: string;
}

export interface JiraHistory {
  id: string;
  author?: JiraUser;
  created: string;
  items: { field: string; toString?: string | null; fromString?: string | null }[];
}

export interface JiraIssue {
  id: string;
  key: string;
  fields: { status: JiraStatusRef; labels?: string[]; project?: { key: string } };
  changelog?: { histories: JiraHistory[] };
}

export interface JiraComment {
  id: string;
  author?: JiraUser;
  body: string;
  created: string;
}

export interface IssueFields {
  summary: string;
  description: string;
  labels: string[];
}

/** The identity Jira uses for a person: accountId on Cloud, key or name on Data Center. */
export function identityOf(user: JiraUser | undefined): string | undefined {
  return user?.accountId ?? user?.key ?? user?.name;
}

export class JiraApi {
  private readonly client: Version2Client;
  private readonly deployment: 'cloud' | 'datacenter';

  constructor(config: JiraConfig) {
    this.deployment = deploymentOf(config);
    const host = config.base_url.replace(/\/+$/, '');
    const baseRequestConfig = { timeout: config.timeout_ms };
    // A Data Center PAT is a Bearer token, which jira.js sends for an oauth2 access token.
    this.client =
      config.auth.type === 'basic'
        ? new Version2Client({
            host,
            authentication: { basic: { email: config.auth.email, apiToken: config.auth.api_token } },
            baseRequestConfig,
          })
        : new Version2Client({
            host,
            authentication: { oauth2: { accessToken: config.auth.token } },
            baseRequestConfig,
          });
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toPluginError(err, doing);
    }
  }

  myself(): Promise<JiraUser> {
    return this.call('reading the bot account (GET /myself)', () =>
      this.client.myself.getCurrentUser<JiraUser>(),
    );
  }

  project(key: string): Promise<{ id: string; key: string }> {
    return this.call(`reading project ${key}`, () =>
      this.client.projects.getProject<{ id: string; key: string }>(key),
    );
  }

  /** Issue types of the project with the statuses each can reach. */
  projectStatuses(key: string): Promise<{ name: string; statuses: { name: string }[] }[]> {
    return this.call(`reading the statuses of project ${key}`, () =>
      this.client.projects.getAllStatuses<{ name: string; statuses: { name: string }[] }[]>(key),
    );
  }

  /**
   * The status a new issue of `issueTypeName` starts in, from the project's workflow scheme and
   * the workflow's initial transition; `unreadable` when the account may not read workflows
   * (Jira asks for Administer Jira) or this Jira has no such API (Data Center's differs).
   */
  async initialStatus(
    projectKey: string,
    issueTypeName: string,
  ): Promise<{ status: string } | { unreadable: string }> {
    try {
      const project = await this.client.projects.getProject<{
        id: string;
        issueTypes?: { id: string; name: string }[];
      }>(projectKey);
      const typeId = project.issueTypes?.find(
        (t) => t.name.toLowerCase() === issueTypeName.toLowerCase(),
      )?.id;
      const schemes =
        await this.client.workflowSchemeProjectAssociations.getWorkflowSchemeProjectAssociations<{
          values?: {
            workflowScheme?: { defaultWorkflow?: string; issueTypeMappings?: Record<string, string> };
          }[];
        }>({ projectId: [Number(project.id)] });
      const scheme = schemes.values?.[0]?.workflowScheme;
      const workflowName = (typeId && scheme?.issueTypeMappings?.[typeId]) || scheme?.defaultWorkflow;
      if (!workflowName) return { unreadable: 'the project has no workflow scheme Jira would show' };
      const found = await this.client.workflows.getWorkflowsPaginated<{
        values?: {
          transitions?: { type?: string; to?: string }[];
          statuses?: { id: string; name: string }[];
        }[];
      }>({ workflowName: [workflowName], expand: 'transitions,statuses' });
      const workflow = found.values?.[0];
      const initial = workflow?.transitions?.find((t) => t.type === 'initial')?.to;
      const status = workflow?.statuses?.find((st) => st.id === initial)?.name;
      return status ? { status } : { unreadable: `workflow "${workflowName}" shows no initial transition` };
    } catch (err) {
      const pe = toPluginError(err, 'reading the workflow');
      if (pe.kind === 'permanent' || pe.kind === 'auth') return { unreadable: pe.message };
      throw pe;
    }
  }

  async myPermissions(projectKey: string, keys: string[]): Promise<Record<string, boolean>> {
    const res = await this.call(`reading permissions in project ${projectKey}`, () =>
      this.client.permissions.getMyPermissions<{ permissions: Record<string, { havePermission?: boolean }> }>(
        {
          projectKey,
          permissions: keys.join(','),
        },
      ),
    );
    return Object.fromEntries(keys.map((k) => [k, res.permissions[k]?.havePermission === true]));
  }

  async user(accountId: string): Promise<JiraUser | null> {
    try {
      return await this.client.users.getUser<JiraUser>({ accountId });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toPluginError(err, `reading user ${accountId}`);
    }
  }

  createIssue(
    projectKey: string,
    issueType: string,
    fields: IssueFields,
  ): Promise<{ id: string; key: string }> {
    return this.call(`creating an issue in ${projectKey}`, () =>
      this.client.issues.createIssue<{ id: string; key: string }>({
        fields: { project: { key: projectKey }, issuetype: { name: issueType }, ...fields },
      }),
    );
  }

  async issue(key: string, withChangelog = false): Promise<JiraIssue | null> {
    try {
      return await this.client.issues.getIssue<JiraIssue>({
        issueIdOrKey: key,
        fields: ['status', 'labels', 'project'],
        ...(withChangelog ? { expand: 'changelog' } : {}),
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toPluginError(err, `reading issue ${key}`);
    }
  }

  /** One changelog entry by id (Cloud only), for issues whose expanded changelog is cut at 100. */
  async changelogById(issueKey: string, id: string): Promise<JiraHistory | null> {
    if (this.deployment !== 'cloud' || !/^\d+$/.test(id)) return null;
    const res = await this.call(`reading changelog ${id} of ${issueKey}`, () =>
      this.client.issues.getChangeLogsByIds<{ histories?: JiraHistory[] }>({
        issueIdOrKey: issueKey,
        changelogIds: [Number(id)],
      }),
    );
    return res.histories?.find((h) => String(h.id) === id) ?? null;
  }

  /** Issues of a project carrying a label. Cloud's index may lag a creation by a few seconds. */
  async issuesWithLabel(projectKey: string, label: string): Promise<JiraIssue[]> {
    const jql = `project = "${projectKey}" AND labels = "${label}"`;
    const fields = ['status', 'labels', 'project'];
    const res = await this.call(`searching ${projectKey} for label ${label}`, () =>
      this.deployment === 'cloud'
        ? this.client.issueSearch.searchForIssuesUsingJqlEnhancedSearch<{ issues?: JiraIssue[] }>({
            jql,
            fields,
            maxResults: 10,
          })
        : this.client.issueSearch.searchForIssuesUsingJql<{ issues?: JiraIssue[] }>({
            jql,
            fields,
            maxResults: 10,
          }),
    );
    return res.issues ?? [];
  }

  async property<T>(issueKey: string, propertyKey: string): Promise<T | null> {
    try {
      const res = await this.client.issueProperties.getIssueProperty<{ value: T }>({
        issueIdOrKey: issueKey,
        propertyKey,
      });
      return res.value;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toPluginError(err, `reading property ${propertyKey} of ${issueKey}`);
    }
  }

  async setProperty(issueKey: string, propertyKey: string, value: unknown): Promise<void> {
    await this.call(`storing property ${propertyKey} on ${issueKey}`, () =>
      this.client.issueProperties.setIssueProperty({
        issueIdOrKey: issueKey,
        propertyKey,
        propertyValue: value,
      }),
    );
  }

  async addComment(issueKey: string, body: string): Promise<void> {
    await this.call(`commenting on ${issueKey}`, () =>
      this.client.issueComments.addComment({ issueIdOrKey: issueKey, comment: body }),
    );
  }

  /** The newest comments first (up to 100: enough to find a reviewer's recent reason). */
  async recentComments(issueKey: string): Promise<JiraComment[]> {
    const res = await this.call(`reading comments of ${issueKey}`, () =>
      this.client.issueComments.getComments<{ comments?: JiraComment[] }>({
        issueIdOrKey: issueKey,
        orderBy: '-created',
        maxResults: 100,
      }),
    );
    // Sort ourselves too: older Data Center versions ignore orderBy.
    return [...(res.comments ?? [])].sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
  }

  /** Moves the issue to the status named `statusName` (case-insensitive); false when no transition leads there. */
  async transitionTo(issueKey: string, statusName: string): Promise<boolean> {
    const res = await this.call(`reading transitions of ${issueKey}`, () =>
      this.client.issues.getTransitions<{ transitions?: { id: string; to?: { name?: string } }[] }>({
        issueIdOrKey: issueKey,
      }),
    );
    const wanted = statusName.toLowerCase();
    const transition = res.transitions?.find((t) => t.to?.name?.toLowerCase() === wanted);
    if (!transition) return false;
    await this.call(`moving ${issueKey} to ${statusName}`, () =>
      this.client.issues.doTransition({ issueIdOrKey: issueKey, transition: { id: transition.id } }),
    );
    return true;
  }
}
