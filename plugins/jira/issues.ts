// One issue per request and project, kept in step with the request: found again on a retried
// delivery (our kv first, then the request label, because Jira's search index lags), moved to
// the status matching the request, commented per review (the host calls once per review) and
// once per resolution (looked for before posting).

import {
  type Card,
  type CardReview,
  DEFAULT_REQUEST_RETENTION_SECONDS,
  type DeliveryContext,
  type Logger,
  PluginError,
  type PluginKv,
  transient,
} from '../../src/plugin-sdk/index.js';
import type { JiraApi } from './client.js';
import type { JiraConfig } from './config.js';
import {
  issueDescription,
  issueSummary,
  resolutionComment,
  reviewComment,
  withdrawnComment,
} from './render.js';
import { sameStatus, statusForState } from './status.js';

export interface IssueRef {
  issueKey: string;
  issueId: string;
  project: string;
  requestId: string;
}

/** Entity property holding the request an issue belongs to. */
export const REQUEST_PROPERTY = 'accessbot.request';

export function requestLabel(requestId: string): string {
  return `accessbot-${requestId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export const issueKvKey = (project: string, requestId: string) => `issue:${project}:${requestId}`;
/** When a create of this request's issue was last sent to Jira (ms since epoch). */
const createAttemptKey = (project: string, requestId: string) => `create-attempt:${project}:${requestId}`;

export class IssueSync {
  constructor(
    private readonly api: JiraApi,
    private readonly config: JiraConfig,
    private readonly kv: PluginKv,
    private readonly log: Logger,
    /**
     * How long the request → issue map and the create-attempt marks are kept: as long as the
     * host keeps the request's records (a missing map entry is found again by label).
     */
    private readonly mapSeconds = DEFAULT_REQUEST_RETENTION_SECONDS,
  ) {}

  /**
   * The request's issue in `project`, created when there is none yet. A create whose answer
   * was lost may still have made the issue, and Jira Cloud's search finds a new issue only
   * seconds later: so the attempt is recorded before calling Jira, and a retry that finds
   * nothing within `search_lag_seconds` of it waits (a temporary error) instead of creating a
   * second issue.
   */
  async ensureIssue(project: string, card: Card): Promise<IssueRef> {
    const existing = await this.findIssue(project, card.requestId);
    if (existing) return existing;
    await this.waitOutSearchLag(project, card.requestId);
    // Two deliveries racing for one request would both miss the search and create twice.
    const lock = `creating:${project}:${card.requestId}`;
    if (!(await this.kv.setIfAbsent(lock, '1', 60)))
      throw transient('jira: another delivery is creating this issue');
    try {
      const attemptKey = createAttemptKey(project, card.requestId);
      await this.kv.set(attemptKey, String(Date.now()), this.mapSeconds);
      let created: { key: string; id: string };
      try {
        created = await this.api.createIssue(project, this.config.issue_type, {
          summary: issueSummary(card),
          description: issueDescription(card, this.config.statuses, this.config.reason_prefix),
          labels: ['accessbot', requestLabel(card.requestId)],
        });
      } catch (err) {
        // Jira answered with a refusal (4xx): nothing was created, a retry may create at once.
        if (err instanceof PluginError && (err.kind === 'permanent' || err.kind === 'auth'))
          await this.kv.delete(attemptKey);
        throw err;
      }
      const ref: IssueRef = {
        issueKey: created.key,
        issueId: created.id,
        project,
        requestId: card.requestId,
      };
      await this.kv.set(issueKvKey(project, card.requestId), JSON.stringify(ref), this.mapSeconds);
      await this.api.setProperty(created.key, REQUEST_PROPERTY, { requestId: card.requestId, project });
      this.log.info({ issue: created.key, requestId: card.requestId }, 'jira issue created');
      return ref;
    } finally {
      await this.kv.delete(lock);
    }
  }

  /** Throws a temporary error while an earlier create may still be missing from search. */
  private async waitOutSearchLag(project: string, requestId: string): Promise<void> {
    const attempted = Number(await this.kv.get(createAttemptKey(project, requestId)));
    if (!attempted) return;
    const lagMs = this.config.search_lag_seconds * 1000;
    const waitedMs = Date.now() - attempted;
    if (waitedMs >= lagMs) {
      this.log.warn(
        { project, requestId, waitedMs },
        'jira: an earlier create left no issue that search can find; creating it again',
      );
      return;
    }
    throw transient(
      `jira: an earlier create of this request's issue may have succeeded; search finds nothing yet ` +
        `(${Math.round(waitedMs / 1000)}s of the ${this.config.search_lag_seconds}s search lag window), retrying later`,
    );
  }

  private async findIssue(project: string, requestId: string): Promise<IssueRef | null> {
    const cached = await this.kv.get(issueKvKey(project, requestId));
    if (cached) {
      const ref = JSON.parse(cached) as IssueRef;
      if (await this.api.issue(ref.issueKey)) {
        // The property may be missing when the call after creation failed.
        await this.api.setProperty(ref.issueKey, REQUEST_PROPERTY, { requestId, project });
        return ref;
      }
    }
    const found = await this.api.issuesWithLabel(project, requestLabel(requestId));
    const first = found.sort((a, b) => Number(a.id) - Number(b.id))[0];
    if (!first) return null;
    const ref: IssueRef = { issueKey: first.key, issueId: first.id, project, requestId };
    await this.kv.set(issueKvKey(project, requestId), JSON.stringify(ref), this.mapSeconds);
    await this.api.setProperty(ref.issueKey, REQUEST_PROPERTY, { requestId, project });
    return ref;
  }

  /** Moves the issue to the status matching `state`; returns the status it had, or null if gone. */
  async moveToMatch(issueKey: string, card: Card): Promise<{ from: string; to: string } | null> {
    const issue = await this.api.issue(issueKey);
    if (!issue) return null;
    const from = issue.fields.status.name;
    const to = statusForState(this.config.statuses, card.state);
    if (sameStatus(from, to)) return { from, to };
    let moved: boolean;
    try {
      moved = await this.api.transitionTo(issueKey, to);
    } catch (err) {
      // A webhook answer and a delivery update may both move the issue at once; Jira refuses
      // the second transition because the status already changed. Where it ended is what counts.
      const now = await this.api.issue(issueKey);
      if (now && sameStatus(now.fields.status.name, to)) return { from, to };
      throw err;
    }
    if (!moved) {
      const now = await this.api.issue(issueKey);
      if (now && sameStatus(now.fields.status.name, to)) return { from, to };
      throw transient(`jira: the workflow of ${issueKey} has no transition from "${from}" to "${to}"`);
    }
    return { from, to };
  }

  /** Status and resolution comment for the card as it stands now; safe to repeat. */
  async sync(ref: IssueRef, card: Card): Promise<void> {
    const moved = await this.moveToMatch(ref.issueKey, card);
    if (!moved) {
      this.log.warn({ issue: ref.issueKey }, 'jira issue no longer exists; nothing to update');
      return;
    }
    if (card.state === 'PENDING') return;
    await this.commentUnlessPresent(ref.issueKey, resolutionComment(card), true);
  }

  /**
   * A review as a comment. The host calls once per review and marks it sent after this returns;
   * when an earlier try may have reached Jira, the comment is looked for first (Jira takes no
   * idempotency key).
   */
  async commentReview(ref: IssueRef, review: CardReview, delivery: DeliveryContext): Promise<void> {
    await this.commentUnlessPresent(ref.issueKey, reviewComment(review), delivery.mayHaveBeenSent);
  }

  /** The request was deleted: one comment says so (the issue's status is left to the team). */
  async commentWithdrawn(ref: IssueRef, card: Card): Promise<void> {
    await this.commentUnlessPresent(ref.issueKey, withdrawnComment(card), true);
  }

  /**
   * Adds `body` unless the issue already shows that exact comment. Resolution and withdrawal
   * comments are looked for every time (they ride on edits that any retry repeats); a review
   * comment only when an earlier try may have posted it.
   */
  private async commentUnlessPresent(issueKey: string, body: string, look: boolean): Promise<void> {
    if (look) {
      const comments = await this.api.recentComments(issueKey);
      if (comments.some((comment) => comment.body.trim() === body.trim())) return;
    }
    await this.api.addComment(issueKey, body);
  }
}
