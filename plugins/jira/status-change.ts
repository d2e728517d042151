// A person moved an issue: find out from Jira itself (never from the webhook body) who moved
// it where, submit that as their review, and answer on the issue when the move did not decide
// the request (refused, or more reviews needed) by commenting and moving it back.

import type { Card, Logger, PersonRef, PluginContext, PluginKv } from '../../src/plugin-sdk/index.js';
import { identityOf, type JiraApi, type JiraHistory, type JiraIssue, type JiraUser } from './client.js';
import type { JiraConfig } from './config.js';
import { type IssueRef, type IssueSync, issueKvKey, REQUEST_PROPERTY } from './issues.js';
import { moveAnswerComment } from './render.js';
import { actionForStatus, sameStatus, statusForState } from './status.js';

export interface StatusChangeDeps {
  api: JiraApi;
  config: JiraConfig;
  kv: PluginKv;
  log: Logger;
  issues: IssueSync;
  decide: PluginContext<JiraConfig>['decide'];
  getCard: PluginContext<JiraConfig>['getCard'];
  /** The bot's own Jira identity: its moves are ours and never reviews. */
  botIdentity(): Promise<string | undefined>;
}

export type StatusChangeResult =
  | { handled: false; why: string }
  | { handled: true; outcome: string; requestId: string; state?: string };

/**
 * The status change this webhook announced, as Jira's own changelog records it. Only that
 * entry counts: taking "the newest move" instead could credit someone else's later move.
 */
async function statusMove(
  api: JiraApi,
  issue: JiraIssue,
  changelogId: string | undefined,
): Promise<{ history: JiraHistory; to: string } | null> {
  if (changelogId === undefined) return null;
  const history =
    issue.changelog?.histories.find((h) => String(h.id) === changelogId) ??
    (await api.changelogById(issue.key, changelogId));
  const item = history?.items.find((i) => i.field === 'status');
  if (!history || !item?.toString) return null;
  return { history, to: item.toString };
}

async function personOf(api: JiraApi, author: JiraUser): Promise<PersonRef | null> {
  let email = author.emailAddress;
  if (!email && author.accountId) email = (await api.user(author.accountId))?.emailAddress;
  if (email) return { email };
  // Cloud hides emails by privacy setting; a `jira_account_id` trait can still map the person.
  if (author.accountId) return { trait: 'jira_account_id', value: author.accountId };
  return null;
}

async function reasonFrom(
  deps: StatusChangeDeps,
  issueKey: string,
  identity: string,
): Promise<string | undefined> {
  const prefix = deps.config.reason_prefix.toLowerCase();
  for (const comment of await deps.api.recentComments(issueKey)) {
    if (identityOf(comment.author) !== identity) continue;
    const body = comment.body.trim();
    if (body.toLowerCase().startsWith(prefix)) return body.slice(prefix.length).trim();
  }
  return undefined;
}

export async function handleStatusChange(
  deps: StatusChangeDeps,
  issueIdOrKey: string,
  changelogId: string | undefined,
): Promise<StatusChangeResult> {
  const { api, config } = deps;
  const issue = await api.issue(issueIdOrKey, true);
  if (!issue) return { handled: false, why: 'issue not found' };
  const owner = await api.property<{ requestId?: unknown }>(issue.key, REQUEST_PROPERTY);
  const requestId = typeof owner?.requestId === 'string' ? owner.requestId : undefined;
  if (!requestId) return { handled: false, why: 'not an accessbot issue' };
  // The property is editable by anyone who can edit the issue; our own record of the issue wins.
  const project = issue.fields.project?.key ?? issue.key.split('-')[0]!;
  const known = await deps.kv.get(issueKvKey(project, requestId));
  if (known && (JSON.parse(known) as IssueRef).issueKey !== issue.key)
    return { handled: false, why: 'issue property names a request that belongs to another issue' };

  const move = await statusMove(api, issue, changelogId);
  if (!move?.history.author) return { handled: false, why: 'no status change in the changelog' };
  const identity = identityOf(move.history.author);
  if (!identity) return { handled: false, why: 'the changelog does not say who moved the issue' };
  const action = actionForStatus(config.statuses, move.to);
  if (identity === (await deps.botIdentity()))
    return action === null
      ? { handled: false, why: 'moved by accessbot itself' }
      : ownAccountMove(deps, issue.key, requestId, move.to, move.history.author.displayName ?? identity);
  if (!action) return { handled: false, why: `status "${move.to}" decides nothing` };

  const label = move.history.author.displayName ?? identity;
  const person = await personOf(api, move.history.author);
  if (!person) {
    await answer(
      deps,
      issue.key,
      requestId,
      label,
      move.to,
      'Jira does not tell who you are (no email, no account id)',
    );
    return { handled: true, outcome: 'unknown_user', requestId };
  }
  const reason = await reasonFrom(deps, issue.key, identity);
  const outcome = await deps.decide({
    requestId,
    action,
    person,
    personLabel: label,
    ...(reason ? { reason } : {}),
  });
  deps.log.info(
    { issue: issue.key, requestId, action, outcome: outcome.kind },
    'jira move handed over as a review',
  );
  const card = outcome.card ?? (await deps.getCard(requestId));

  if (outcome.kind === 'done' && card && card.state !== 'PENDING') {
    // Decided: the host's update comments the resolution; just make sure the status agrees.
    await deps.issues.moveToMatch(issue.key, card);
    return { handled: true, outcome: outcome.kind, requestId, state: card.state };
  }
  const message =
    outcome.kind === 'done'
      ? `the ${action === 'approve' ? 'approval' : 'denial'} is recorded; the request stays pending until enough reviews decide it.`
      : `the review was not recorded: ${outcome.message}`;
  await answer(deps, issue.key, requestId, label, move.to, message, card);
  return { handled: true, outcome: outcome.kind, requestId, ...(card ? { state: card.state } : {}) };
}

/**
 * A move made with the plugin's own Jira account. Most are the plugin's own (keeping the issue
 * in step with the request): those land where the request already is and are passed over
 * quietly. One that disagrees with the request was made by a person signed in with the bot
 * account (typically while trying the set-up out): it can never be a review, because Jira cannot
 * tell who that person is, so say so in the answer, the log and on the issue, and move it back.
 */
async function ownAccountMove(
  deps: StatusChangeDeps,
  issueKey: string,
  requestId: string,
  movedTo: string,
  label: string,
): Promise<StatusChangeResult> {
  const card = await deps.getCard(requestId);
  if (!card || sameStatus(movedTo, statusForState(deps.config.statuses, card.state)))
    return { handled: false, why: 'moved by accessbot itself' };
  const why =
    `moved to "${movedTo}" with accessbot's own Jira account (${label}); moves made with that account ` +
    'are never reviews: move the issue signed in as a reviewer with their own account';
  deps.log.warn({ issue: issueKey, requestId, movedTo }, `jira move ignored: ${why}`);
  await answer(
    deps,
    issueKey,
    requestId,
    label,
    movedTo,
    "the review was not recorded: this move was made with accessbot's own Jira account, which never reviews. Move the issue signed in with your own account.",
    card,
  );
  return { handled: false, why };
}

/** Moves the issue back to the status matching the request (when known) and says why. */
async function answer(
  deps: StatusChangeDeps,
  issueKey: string,
  requestId: string,
  label: string,
  movedTo: string,
  message: string,
  known?: Card | null,
): Promise<void> {
  const card = known ?? (await deps.getCard(requestId));
  let backTo: string | null = null;
  if (card) {
    const moved = await deps.issues.moveToMatch(issueKey, card);
    if (moved && moved.from !== moved.to) backTo = statusForState(deps.config.statuses, card.state);
  }
  await deps.api.addComment(issueKey, moveAnswerComment(label, movedTo, message, backTo));
}
