// Health and set-up checks that name what is missing: the credential the platform refused
// (401), rights it lacks (403), a JSM site id the gateway does not know (404). Schedules that
// `auto_approval.schedules` names but the platform does not know are reported by the on-call
// provider (`unknownSchedules`), which the host's config check and /readyz call.

import { authFailed, permanent, type SetupProblem } from '../../src/plugin-sdk/index.js';
import type { OpsClient } from './client.js';
import type { JsmOpsConfig } from './config.js';

const credentialKeys = (config: JsmOpsConfig) =>
  config.flavor === 'jsm' ? 'email and api_token' : 'api_key';

/** The one problem that stops every call, or null when an authenticated read works. */
export async function accessProblem(client: OpsClient, config: JsmOpsConfig): Promise<SetupProblem | null> {
  const product = client.dialect.product;
  const res = await client.call('GET', client.dialect.probe, undefined, [401, 403, 404]);
  const detail = client.dialect.errorDetail(res.body);
  const said = detail && !['Unauthorized', 'Forbidden'].includes(detail) ? `: "${detail}"` : '';
  if (res.status === 401) {
    return {
      problem: `${product} refused the credentials in ${credentialKeys(config)} (401 Unauthorized${said})`,
      fix:
        config.flavor === 'jsm'
          ? 'create an API token for the account in email at https://id.atlassian.com/manage-profile/security/api-tokens and put it in api_token'
          : `put a valid Opsgenie API key in api_key (and check region: this is the ${config.region.toUpperCase()} instance)`,
    };
  }
  if (res.status === 403) {
    return {
      problem: `${product} accepted the credentials in ${credentialKeys(config)} but refused access (403 Forbidden${said})`,
      fix:
        config.flavor === 'jsm'
          ? 'give the account in email JSM Operations access (an agent on the site) with read and write access to alerts and read access to schedules'
          : 'give the API key Read and Create and Update access rights (Settings → API key management), not restricted to a team',
    };
  }
  if (res.status === 404) {
    return {
      problem: `${product} knows no site with cloud_id ${config.cloud_id} (404)`,
      fix: 'copy cloudId from https://<your-site>.atlassian.net/_edge/tenant_info into cloud_id',
    };
  }
  return null;
}

export async function healthCheck(client: OpsClient, config: JsmOpsConfig): Promise<void> {
  const problem = await accessProblem(client, config);
  if (!problem) return;
  const message = `${problem.problem}: ${problem.fix}`;
  throw problem.problem.includes('(404') ? permanent(message) : authFailed(message);
}

/** Read-only: the access problem, if any (unknown schedules are the on-call provider's to say). */
export async function checkSetup(client: OpsClient, config: JsmOpsConfig): Promise<SetupProblem[]> {
  const access = await accessProblem(client, config);
  return access ? [access] : [];
}
