// Jira: one issue per access request; moving it to Approved or Denied is a review submitted as
// the person who moved it (so thresholds and review rights still apply), and every webhook is
// verified. See README.md for the config keys and the security notes.

import { definePlugin, permanent, requestMemoSeconds, type Target } from '../../src/plugin-sdk/index.js';
import { identityOf, JiraApi } from './client.js';
import { type JiraConfig, jiraConfigSchema } from './config.js';
import { checkJira } from './health.js';
import { jiraWebhookRoute } from './inbound.js';
import { type IssueRef, IssueSync } from './issues.js';
import { sameStatus } from './status.js';

const PROJECT_KEY = /^[A-Z][A-Z0-9_]{0,254}$/;

export default definePlugin<typeof jiraConfigSchema, IssueRef>({
  id: 'jira',
  description: 'A Jira issue per access request; moving it to Approved or Denied submits a review',
  configSchema: jiraConfigSchema,
  create(ctx) {
    const config: JiraConfig = ctx.config;
    const api = new JiraApi(config);
    const issues = new IssueSync(api, config, ctx.kv, ctx.log, requestMemoSeconds(ctx));
    let bot: Promise<string | undefined> | undefined;
    const botIdentity = () => {
      bot ??= api.myself().then(identityOf, (err) => {
        bot = undefined;
        throw err;
      });
      return bot;
    };

    return {
      async healthCheck() {
        const me = await checkJira(api, config);
        bot = Promise.resolve(identityOf(me));
      },

      async checkSetup() {
        // The plugin creates issues and waits for moves out of the pending status: an issue that
        // starts elsewhere is never shown as pending, and a move back to pending may not exist.
        const initial = await api.initialStatus(config.project, config.issue_type);
        if ('unreadable' in initial) {
          ctx.log.info(
            { why: initial.unreadable },
            'jira: cannot read the workflow; its first status is unchecked',
          );
          return [];
        }
        if (sameStatus(initial.status, config.statuses.pending)) return [];
        return [
          {
            problem: `the workflow of "${config.issue_type}" in ${config.project} starts in "${initial.status}", not in the pending status "${config.statuses.pending}"`,
            fix: `set statuses.pending to "${initial.status}", or make the workflow start in "${config.statuses.pending}"`,
          },
        ];
      },

      async resolveRecipient(raw: string, audience: Target['audience']): Promise<Target> {
        const key = raw.trim().toUpperCase();
        if (!PROJECT_KEY.test(key)) throw permanent(`jira: "${raw}" is not a project key (like SEC)`);
        return { id: key, kind: 'project', audience };
      },

      defaultRecipients() {
        return [config.project];
      },

      async deliver(target, card) {
        const ref = await issues.ensureIssue(target.id, card);
        if (card.state !== 'PENDING') await issues.sync(ref, card);
        return { ...ref };
      },

      async update(_target, ref, card) {
        await issues.sync(ref, card);
        return undefined;
      },

      async reply(_target, ref, review, _card, delivery) {
        await issues.commentReview(ref, review, delivery);
      },

      async withdraw(_target, ref, card) {
        await issues.commentWithdrawn(ref, card);
      },

      routes() {
        return [
          jiraWebhookRoute({
            api,
            config,
            kv: ctx.kv,
            log: ctx.log,
            issues,
            decide: (d) => ctx.decide(d),
            getCard: (id) => ctx.getCard(id),
            botIdentity,
          }),
        ];
      },
    };
  },
});
