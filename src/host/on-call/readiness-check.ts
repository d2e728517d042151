// What /readyz says about a plugin's automatic reviews: whether its review_as user can review,
// and (on-call) whether the provider knows every schedule `auto_approval.schedules` names.
// Answered from memory (/readyz must answer within its budget); a probe refreshes it in the
// background at most every 30 s (DEFAULT_REFRESH_MS), so fixing the user clears it without a restart.

import type { AccessClient } from '../../client/types.js';
import type { OnCallPolicy } from '../../config/schema.js';
import type { Logger as PinoLogger } from '../../log.js';
import type { OnCallProvider } from '../../plugin-sdk/index.js';
import { reviewAsStatus } from './review-as-check.js';

const DEFAULT_REFRESH_MS = 30_000;

export interface AutoReviewSetup {
  pluginId: string;
  reviewAs: string;
  /** Given for on-call plugins. */
  onCall?: { provider: OnCallProvider; policy: OnCallPolicy };
}

/** One thing that keeps automatic reviews from working: the config key, and what is wrong and how to fix it. */
export interface AutoReviewProblem {
  path: string;
  message: string;
}

/** Problems of an automatic-review set-up; [] when fine. `reviewAs: false` skips the user check. */
export async function autoReviewProblems(
  client: AccessClient,
  setup: AutoReviewSetup,
  opts: { reviewAs?: boolean } = {},
): Promise<AutoReviewProblem[]> {
  const problems: AutoReviewProblem[] = [];
  if (opts.reviewAs !== false) {
    const status = await reviewAsStatus(client, setup.reviewAs);
    if (status.ok === false)
      problems.push({ path: `plugins.${setup.pluginId}.review_as`, message: status.problem });
  }
  const schedules = setup.onCall?.policy.schedules;
  const lookup = setup.onCall?.provider.unknownSchedules;
  if (schedules && lookup) {
    try {
      const unknown = await lookup.call(setup.onCall!.provider, schedules);
      if (unknown.length > 0)
        problems.push({
          path: `plugins.${setup.pluginId}.auto_approval.schedules`,
          message: `${setup.onCall!.provider.label} has no schedule ${unknown.join(', ')} (use a schedule id or exact name)`,
        });
    } catch {
      // The platform is down or refuses the key: the plugin's own health check reports that.
    }
  }
  return problems;
}

export class AutoReviewReadiness {
  private problems: AutoReviewProblem[] = [];
  private checkedAt = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: AccessClient,
    private readonly setup: AutoReviewSetup,
    private readonly log: PinoLogger,
    private readonly refreshMs = DEFAULT_REFRESH_MS,
  ) {}

  /** `ok`, or `missing: …` naming each problem and its fix. Starts a refresh when stale. */
  status(): string {
    if (Date.now() - this.checkedAt > this.refreshMs) void this.refresh();
    if (this.problems.length === 0) return 'ok';
    return `missing: ${this.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  }

  refresh(): Promise<void> {
    this.running ??= (async () => {
      try {
        const found = await autoReviewProblems(this.client, this.setup);
        if (JSON.stringify(found) !== JSON.stringify(this.problems))
          for (const p of found)
            this.log.error({ path: p.path }, `automatic reviews cannot work: ${p.message}`);
        this.problems = found;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not check the automatic review set-up');
      } finally {
        this.checkedAt = Date.now();
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
