// `accessbot deliveries ls|retry`: the delivery queues and their dead-letter list, read
// straight from Redis (no running host needed). Uses the config for Redis and plugin ids.

import type { Command } from 'commander';
import { AccessbotError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { renderTable } from '../format/table.js';
import { formatUtc, safeText } from '../format/text.js';

// BullMQ and ioredis load only for these commands.
const deliveriesModule = () => import('../../host/ops/deliveries-cli.js');

export function registerDeliveryCommands(program: Command, ctx: CliContext): void {
  const deliveries = program.command('deliveries').description('plugin deliveries and the dead-letter list');

  deliveries
    .command('ls')
    .description('list deliveries (only the failed ones with --failed)')
    .option('--failed', 'only deliveries that used up their attempts')
    .action(async (flags: { failed?: boolean }, cmd: Command) => {
      const { config } = await ctx.config(cmd);
      const rows = await (await deliveriesModule()).listDeliveries(config, { failed: Boolean(flags.failed) });
      ctx.emit(cmd, rows, () => [
        ...renderTable({
          columns: [
            { title: 'ID' },
            { title: 'Plugin' },
            { title: 'Op' },
            { title: 'Request' },
            { title: 'State' },
            { title: 'Attempts' },
            { title: 'Created At (UTC)' },
            { title: 'Error', maxCellLength: 60, footnoteLabel: '[*]' },
          ],
          rows: rows.map((r) => [
            safeText(r.id),
            safeText(r.plugin),
            safeText(r.op),
            safeText(r.requests ? `${r.requestId} (+${r.requests - 1} more)` : r.requestId),
            r.state,
            String(r.attempts),
            r.created ? formatUtc(r.created) : '',
            safeText(r.error ?? ''),
          ]),
          footnotes: { '[*]': 'Error truncated, use `--format json` to see all of it' },
        }),
        '',
        "hint: use 'accessbot deliveries retry <id>' or '--all' to put failed deliveries back in their queue",
      ]);
    });

  deliveries
    .command('retry')
    .description('put failed deliveries back in their queue with fresh attempts')
    .argument('[id]', 'delivery ID (from deliveries ls)')
    .option('--all', 'every failed delivery')
    .action(async (id: string | undefined, flags: { all?: boolean }, cmd: Command) => {
      if (Boolean(id) === Boolean(flags.all)) {
        throw new AccessbotError('BAD_REQUEST', 'give either a delivery ID or --all');
      }
      const { config } = await ctx.config(cmd);
      const count = await (await deliveriesModule()).retryDeliveries(config, id ? { id } : { all: true });
      ctx.emit(cmd, { requeued: count }, () => [
        `${count} ${count === 1 ? 'delivery' : 'deliveries'} requeued`,
      ]);
    });
}
