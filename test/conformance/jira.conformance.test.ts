// The Jira plugin against the fake Jira REST API (test/fakes/jira). A message is the request's
// issue in project SEC; it shows its workflow status, and the comments are its replies. The
// decisions it offers are the moves out of Pending (to Approved or Denied); a deleted request is
// told by a "withdrawn" comment, after which moving the issue decides nothing (the plugin leaves
// the status to the team, see plugins/jira/README.md). A decision is what a person does in Jira:
// a "Reason:" comment, then a move, which Jira announces in a signed webhook. The identifier
// header is not signed, so the plugin de-duplicates on the signed body and refuses a body whose
// signed timestamp is days old: the stale call is such a move.

import jiraPlugin from '../../plugins/jira/index.js';
import type { PluginDefinition } from '../../src/plugin-sdk/index.js';
import {
  buildWebhook,
  type FakeIssue,
  type SignedWebhook,
  sendWebhook,
  startFakeJira,
} from '../fakes/jira/index.js';
import { waitFor } from '../support/stack.js';
import type {
  ConformanceAdapter,
  ConformanceUser,
  DecisionAnswer,
  DecisionArgs,
  PlatformFake,
  PlatformMessage,
} from './adapter.js';
import { describeConformance } from './suite.js';

const SECRET = 'conformance-jira-webhook-secret';
const PROJECT = 'SEC';
const BOT = 'acc-accessbot';
const WITHDRAWN = 'was *withdrawn*';

const accountOf = (name: string) => `acc-${name}`;

async function startJiraFake(users: ConformanceUser[]): Promise<PlatformFake> {
  const jira = await startFakeJira();
  jira.addUser({
    accountId: BOT,
    displayName: 'accessbot',
    email: 'accessbot@example.com',
    apiToken: 'bot-token',
  });
  for (const user of users)
    jira.addUser({ accountId: accountOf(user.name), displayName: user.name, email: user.email });
  jira.model.addProject(PROJECT);

  const issuesOf = (requestId: string): FakeIssue[] =>
    [...jira.model.issues.values()].filter((i) => i.labels.includes(`accessbot-${requestId}`));
  const issueOf = (requestId: string) =>
    waitFor(() => issuesOf(requestId)[0], 15_000, `the issue of ${requestId}`);
  const withdrawn = (issue: FakeIssue) =>
    issue.comments.some((c) => c.authorId === BOT && c.body.includes(WITHDRAWN));

  /** Puts the issue back in Pending without a webhook (a board tidy-up), so a move can be made. */
  const backToPending = (issue: FakeIssue) => {
    if (issue.status.name === 'Pending') return;
    const pendingStatus = jira.model.statusesOf(issue).find((s) => s.name === 'Pending')!;
    jira.model.setStatus(issue, pendingStatus, BOT);
  };

  /** The person moves the issue to the decision's status; returns the webhook Jira signs for it. */
  const move = async (args: DecisionArgs, secret: string, identifier?: string) => {
    const issue = await issueOf(args.requestId);
    backToPending(issue);
    return {
      issue,
      hook: jira.moveIssue(
        issue.key,
        args.action === 'approve' ? 'Approved' : 'Denied',
        accountOf(args.user),
        secret,
        identifier,
      ),
    };
  };

  /** Sends the webhook; what the person is shown is every comment the bot added meanwhile. */
  const deliver = async (
    hookUrl: (path: string) => string,
    issue: FakeIssue,
    hook: SignedWebhook,
  ): Promise<DecisionAnswer> => {
    const before = issue.comments.length;
    const res = await sendWebhook(hookUrl('/'), hook);
    const shown = issue.comments
      .slice(before)
      .filter((c) => c.authorId === BOT)
      .map((c) => c.body)
      .join('\n');
    return { status: res.status, shown };
  };

  return {
    pluginConfig: {
      base_url: jira.baseUrl,
      auth: { type: 'basic', email: 'accessbot@example.com', api_token: 'bot-token' },
      project: PROJECT,
      webhook_secret: SECRET,
      // The fake's search never lags, so a create that failed is searched for again at once.
      search_lag_seconds: 1,
    },
    reviewerRecipients: [PROJECT],
    async messages(requestId): Promise<PlatformMessage[]> {
      return issuesOf(requestId).map((issue) => {
        const gone = withdrawn(issue);
        const status = gone ? 'WITHDRAWN' : issue.status.name.toUpperCase();
        return {
          id: issue.key,
          target: issue.projectKey,
          status,
          actions: status === 'PENDING' ? ['approve', 'deny'] : [],
          text: [issue.summary, issue.description, ...issue.comments.map((c) => c.body)].join('\n'),
        };
      });
    },
    async replies(requestId) {
      return issuesOf(requestId).flatMap((i) =>
        i.comments.filter((c) => c.authorId === BOT).map((c) => c.body),
      );
    },
    failNext: (n) => jira.failNextWrites(n, 500),
    rateLimitNext: (n, seconds) => jira.failNextWrites(n, 429, seconds),
    loseNextAnswers: (n) => jira.loseNextAnswers(n, 'POST', /^\/rest\/api\/2\/issue(\/[^/]+\/comment)?$/),
    unusedFaults: () => jira.unusedFaults(),
    decisions: {
      async decide(hookUrl, args) {
        const issue = await issueOf(args.requestId);
        jira.comment(issue.key, accountOf(args.user), `Reason: ${args.reason}`);
        const moved = await move(args, SECRET);
        return deliver(hookUrl, moved.issue, moved.hook);
      },
      async forged(hookUrl, args) {
        const moved = await move(args, 'a-guessed-webhook-secret');
        return deliver(hookUrl, moved.issue, moved.hook);
      },
      async stale(hookUrl, args) {
        // A genuine move, signed with the right secret, but its signed timestamp is three days
        // old: outside the window the plugin accepts, whatever identifier header it carries.
        const moved = await move(args, SECRET);
        const payload = JSON.parse(moved.hook.rawBody.toString('utf8')) as Record<string, unknown>;
        const old = buildWebhook({ ...payload, timestamp: Date.now() - 3 * 24 * 3600_000 }, SECRET);
        return deliver(hookUrl, moved.issue, old);
      },
    },
    async stop() {
      await jira.settled();
      await jira.stop();
    },
  };
}

export const jiraAdapter: ConformanceAdapter = {
  id: 'jira',
  definition: jiraPlugin as unknown as PluginDefinition,
  startFake: startJiraFake,
};

describeConformance(jiraAdapter, { replies: true, lostAnswers: true, decisions: true });
