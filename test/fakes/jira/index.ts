// The fake Jira used by the jira plugin's tests: a REST API v2 server and signed webhooks.
export {
  ALL_PERMISSIONS,
  DEFAULT_STATUSES,
  type FakeComment,
  type FakeIssue,
  type FakeJiraUser,
  type FakeStatus,
} from './model.js';
export { FakeJira, type RecordedCall, startFakeJira } from './server.js';
export {
  buildWebhook,
  issueUpdatedPayload,
  type SignedWebhook,
  sendWebhook,
  signJiraWebhook,
} from './webhook.js';
