// `accessbot version`: the package version and the Node version.

import type { Command } from 'commander';
import { packageVersion } from '../../package-version.js';
import type { CliContext } from '../context.js';

export function registerVersionCommand(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('print the accessbot version')
    .action((_flags: unknown, cmd: Command) => {
      const version = packageVersion();
      ctx.emit(cmd, { version, node: process.version }, () => [
        `accessbot v${version} (node ${process.version})`,
      ]);
    });
}
