// Start-up health check and `accessbot config check --online`: read-only calls that say what is
// missing, naming the config key or the ServiceNow role to grant.

import { PluginError, type SetupProblem } from '../../src/plugin-sdk/index.js';
import type { ServiceNowApi } from './client.js';
import type { ServiceNowConfig } from './config.js';
import type { Incidents } from './incidents.js';

export async function healthCheck(api: ServiceNowApi, config: ServiceNowConfig): Promise<void> {
  try {
    await api.list('incident', { fields: ['sys_id'], limit: 1 });
  } catch (err) {
    if (err instanceof PluginError && err.kind === 'auth') {
      const which =
        config.auth.type === 'basic'
          ? 'auth.username and auth.password'
          : 'auth.client_id and auth.client_secret';
      throw new PluginError(
        'auth',
        `${err.message}: check ${which}, and that the user may read the incident table (role itil)`,
      );
    }
    throw err;
  }
}

/** A read that fails with 401/403 is a missing role; anything else propagates. */
async function readable(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if (err instanceof PluginError && (err.kind === 'auth' || err.kind === 'permanent')) return false;
    throw err;
  }
}

export async function checkSetup(
  api: ServiceNowApi,
  config: ServiceNowConfig,
  incidents: Incidents,
): Promise<SetupProblem[]> {
  const problems: SetupProblem[] = [];
  if (config.assignment_group && !(await incidents.groupId(config.assignment_group)))
    problems.push({
      problem: `assignment_group "${config.assignment_group}" is no group in ServiceNow (sys_user_group)`,
      fix: 'set assignment_group to the name or sys_id of an existing group',
    });
  if (config.assigned_to && !(await incidents.userId('user_name', config.assigned_to)))
    problems.push({
      problem: `assigned_to "${config.assigned_to}" is no active user in ServiceNow`,
      fix: 'set assigned_to to the user_name of an active user',
    });
  for (const userName of config.decisions.request_approval_from)
    if (!(await incidents.userId('user_name', userName)))
      problems.push({
        problem: `decisions.request_approval_from names "${userName}", no active user in ServiceNow`,
        fix: 'list the user_name of active ServiceNow users',
      });
  if (!(await readable(() => api.list('sys_journal_field', { fields: ['sys_id'], limit: 1 }))))
    problems.push({
      problem:
        'the ServiceNow user cannot read sys_journal_field, so work notes cannot be checked before a retry posts one again, nor approval comments read as reasons',
      fix: 'grant the user a read ACL on sys_journal_field (or the role personalize_dictionary / itil with journal read)',
    });
  const d = config.decisions;
  if (
    d.source === 'approvals' &&
    !(await readable(() => api.list('sysapproval_approver', { fields: ['sys_id'], limit: 1 })))
  )
    problems.push({
      problem:
        'the ServiceNow user cannot read sysapproval_approver, so approvals recorded in ServiceNow are never seen',
      fix: 'grant the user the role approval_admin (or a read ACL on sysapproval_approver), or set decisions.source: none',
    });
  if (d.source !== 'none' && d.poll_interval_seconds === 0 && !d.push_secret)
    problems.push({
      problem:
        'decisions.poll_interval_seconds is 0 and no decisions.push_secret is set: decisions taken in ServiceNow are never read',
      fix: 'set poll_interval_seconds above 0, or configure the push business rule and push_secret (README.md)',
    });
  return problems;
}
