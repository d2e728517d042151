// `accessbot request create|ls|show|review`: the requester's and reviewer's verbs, after tsh.

import { type Command, Option } from 'commander';
import { parseDuration } from '../../access/duration.js';
import { parseResourceId } from '../../access/resource-id.js';
import type { AccessRequest, RequestState } from '../../access/types.js';
import type { CreateRequestInput, ReviewInput } from '../../client/types.js';
import { AccessbotError } from '../../errors.js';
import { collect, parseList } from '../args.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { requestBlock, requestDetails, requestTable, SHOW_HINT } from '../format/request-text.js';
import { quoted, safeText, terminalJson } from '../format/text.js';
import { CLI_PAGE_SIZE, moreHint, readPages } from '../paging.js';
import { waitForDecision } from '../wait-for-decision.js';

const STATES: RequestState[] = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED'];

interface CreateFlags {
  roles?: string;
  resource?: string[];
  reason?: string;
  reviewers?: string;
  requestTtl?: string;
  nowait?: boolean;
}

/** Checks everything that can be checked without the API, so bad input never reaches it. */
export function buildCreateInput(flags: CreateFlags): CreateRequestInput {
  const roles = flags.roles === undefined ? [] : parseList(flags.roles);
  const resources = flags.resource ?? [];
  if (roles.length > 0 && resources.length > 0) {
    throw new AccessbotError(
      'MIXED_ROLES_AND_RESOURCES',
      'a request asks for roles or for resources, not both',
    );
  }
  if (roles.length === 0 && resources.length === 0) {
    throw new AccessbotError('EMPTY_REQUEST', 'nothing requested');
  }
  for (const id of resources) parseResourceId(id);
  if (flags.requestTtl !== undefined) parseDuration(flags.requestTtl);
  const input: CreateRequestInput = roles.length > 0 ? { roles } : { resources };
  if (flags.reason !== undefined) input.reason = flags.reason;
  if (flags.reviewers !== undefined) input.suggestedReviewers = parseList(flags.reviewers);
  if (flags.requestTtl !== undefined) input.requestTtl = flags.requestTtl;
  return input;
}

function decisionReason(req: AccessRequest): string | undefined {
  if (req.resolveReason) return req.resolveReason;
  const deciding = req.reviews.filter((r) => r.proposedState === req.state && r.reason);
  return deciding[deciding.length - 1]?.reason;
}

function outcomeLines(req: AccessRequest): string[] {
  const reason = decisionReason(req);
  const why = reason === undefined ? '' : `, reason=${quoted(reason)}`;
  if (req.state === 'APPROVED') return [`Approval received${why}`];
  if (req.state === 'DENIED') return [`Request denied${why}`];
  return ['Request expired before it was approved'];
}

export function registerRequestCommands(program: Command, ctx: CliContext): void {
  const request = program.command('request').description('create, list, show and review access requests');

  request
    .command('create')
    .description('request roles or resources; waits for the decision unless --nowait')
    .option('--roles <roles>', 'comma-separated roles to request')
    .option('--resource <id>', 'resource ID to request (repeatable), /CLUSTER/KIND/NAME', collect)
    .option('--reason <text>', 'why you need it')
    .option('--reviewers <users>', 'comma-separated suggested reviewers')
    .option('--request-ttl <duration>', 'how long the request may stay pending (e.g. 2h)')
    .option('--nowait', 'return as soon as the request is created')
    .action(async (flags: CreateFlags, cmd: Command) => {
      const input = buildCreateInput(flags);
      const client = await ctx.client(cmd);
      const json = ctx.format(cmd) === 'json';
      // Read before creating, so a decision made the instant after creation is still seen.
      // Callers who may not follow the event log get undefined and are polled instead.
      const since = flags.nowait ? undefined : await client.latestSeq().catch(() => undefined);
      if (!json) ctx.io.out('Creating request...');
      const created = await client.createRequest(input);
      // On stderr in both formats, so stdout stays the request (or its JSON) alone.
      for (const warning of created.warnings ?? [])
        ctx.io.err(`warning [${safeText(warning.code)}]: ${safeText(warning.message)}`);
      if (!json) {
        for (const line of requestBlock(created)) ctx.io.out(line);
        ctx.io.out('');
        ctx.io.out("hint: use 'accessbot request show <request-id>' to follow the request");
      }
      if (flags.nowait || created.state !== 'PENDING') {
        if (json) ctx.io.out(terminalJson(created));
        if (created.state === 'DENIED' || created.state === 'EXPIRED') ctx.exitCode = EXIT.NOT_APPROVED;
        return;
      }
      if (!json) for (const line of ['', 'Waiting for request approval...', '']) ctx.io.out(line);
      const final = await waitForDecision(client, created.id, since === undefined ? {} : { since });
      ctx.emit(cmd, final, () => outcomeLines(final));
      if (final.state !== 'APPROVED') ctx.exitCode = EXIT.NOT_APPROVED;
    });

  request
    .command('ls')
    .description(
      'list pending requests and your own (first page); --state for one state; --all for every page of every request you can see',
    )
    .addOption(new Option('--state <state>', 'only requests in this state').choices(STATES))
    .option('--all', 'every request you can see, in any state (or in --state), page after page')
    .action(async (flags: { state?: RequestState; all?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const pagesOf = (filter: { state?: RequestState; user?: string }) =>
        readPages(Boolean(flags.all), async (after) => {
          const page = await client.listRequestsPage({
            ...filter,
            limit: CLI_PAGE_SIZE,
            ...(after ? { after } : {}),
          });
          return { items: page.requests, ...(page.next ? { next: page.next } : {}) };
        });
      let requests: AccessRequest[];
      let more: boolean;
      if (flags.all || flags.state) {
        ({ items: requests, more } = await pagesOf(flags.state ? { state: flags.state } : {}));
      } else {
        // Pending and the caller's own: two bounded reads, merged in store order (oldest first).
        const me = (await client.whoami()).user.name;
        const [pending, mine] = await Promise.all([pagesOf({ state: 'PENDING' }), pagesOf({ user: me })]);
        const byId = new Map([...pending.items, ...mine.items].map((r) => [r.id, r]));
        requests = [...byId.values()].sort((a, b) => a.created.localeCompare(b.created));
        more = pending.more || mine.more;
      }
      if (more) moreHint(ctx.io, requests.length, 'requests');
      ctx.emit(cmd, requests, () => [...requestTable(requests), '', SHOW_HINT]);
    });

  request
    .command('show')
    .description('show one request with its reviews')
    .argument('<id>', 'request ID')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const req = await (await ctx.client(cmd)).getRequest(id);
      ctx.emit(cmd, req, () => requestDetails(req));
    });

  request
    .command('rm')
    .description('delete a request (needs delete on access_request); its messages show it withdrawn')
    .argument('<id>', 'request ID')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      await (await ctx.client(cmd)).deleteRequest(id);
      ctx.emit(cmd, { deleted: id }, () => [`request ${quoted(id)} has been deleted`]);
    });

  request
    .command('review')
    .description('approve or deny a request as yourself')
    .argument('<id>', 'request ID')
    .option('--approve', 'approve the request')
    .option('--deny', 'deny the request')
    .option('--reason <text>', 'why')
    .option('--roles <roles>', 'approve only these of the requested roles')
    .action(
      async (
        id: string,
        flags: { approve?: boolean; deny?: boolean; reason?: string; roles?: string },
        cmd,
      ) => {
        if (Boolean(flags.approve) === Boolean(flags.deny)) {
          throw new AccessbotError('BAD_REQUEST', 'pass exactly one of --approve or --deny');
        }
        const proposedState = flags.approve ? 'APPROVED' : 'DENIED';
        if (flags.roles !== undefined && proposedState === 'DENIED') {
          throw new AccessbotError('INVALID_REVIEW_ROLES', '--roles applies to --approve only');
        }
        const input: ReviewInput = { proposedState };
        if (flags.reason !== undefined) input.reason = flags.reason;
        if (flags.roles !== undefined) input.roles = parseList(flags.roles);
        const req = await (await ctx.client(cmd)).submitReview(id, input);
        ctx.emit(cmd, req, () =>
          req.state === 'PENDING' || req.state === proposedState
            ? [`Successfully submitted review.  Request state: ${req.state}`]
            : [`Warning: ineffectual review. Request state: ${req.state}`],
        );
      },
    );
}
