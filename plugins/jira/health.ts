// The start-up check: credentials work, the project is visible, the bot holds the project
// permissions the plugin uses, and the issue type reaches every configured status. One error
// names everything that is missing, so an operator fixes it in one go.

import { authFailed, PluginError, permanent } from '../../src/plugin-sdk/index.js';
import type { JiraApi, JiraUser } from './client.js';
import type { JiraConfig } from './config.js';

export const REQUIRED_PERMISSIONS = [
  'BROWSE_PROJECTS',
  'CREATE_ISSUES',
  'EDIT_ISSUES',
  'ADD_COMMENTS',
  'TRANSITION_ISSUES',
] as const;

export async function checkJira(api: JiraApi, config: JiraConfig): Promise<JiraUser> {
  let me: JiraUser;
  try {
    me = await api.myself();
  } catch (err) {
    const who =
      config.auth.type === 'basic' ? `the API token of ${config.auth.email}` : 'the personal access token';
    if (err instanceof PluginError && err.kind === 'auth')
      throw authFailed(`jira: ${config.base_url} rejected ${who} (check auth in plugins.jira)`, err);
    throw err;
  }
  const project = config.project;
  try {
    await api.project(project);
  } catch (err) {
    if (err instanceof PluginError && err.kind === 'permanent')
      throw permanent(`jira: project ${project} does not exist or the bot account cannot browse it`, err);
    throw err;
  }
  const problems: string[] = [];
  const held = await api.myPermissions(project, [...REQUIRED_PERMISSIONS]);
  const missing = REQUIRED_PERMISSIONS.filter((p) => !held[p]);
  if (missing.length > 0)
    problems.push(`the bot account lacks project permissions in ${project}: ${missing.join(', ')}`);

  const types = await api.projectStatuses(project);
  const type = types.find((t) => t.name.toLowerCase() === config.issue_type.toLowerCase());
  if (!type) {
    problems.push(
      `project ${project} has no issue type "${config.issue_type}" (it has: ${types.map((t) => t.name).join(', ')})`,
    );
  } else {
    const have = new Set(type.statuses.map((s) => s.name.toLowerCase()));
    const absent = Object.entries(config.statuses)
      .filter(([, name]) => !have.has(name.toLowerCase()))
      .map(([meaning, name]) => `${meaning} → "${name}"`);
    if (absent.length > 0)
      problems.push(
        `the workflow of "${config.issue_type}" in ${project} has no status for ${absent.join(', ')}`,
      );
  }
  if (problems.length === 0) return me;
  const message = `jira: ${problems.join('; ')}`;
  throw missing.length > 0 ? authFailed(message) : permanent(message);
}
