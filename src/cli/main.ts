// Entry point of the `accessbot` command (bin/accessbot.js runs the compiled copy).
// Exits explicitly: an idle keep-alive socket or a closed watch stream must not hold the
// terminal after the answer is printed. The empty writes wait until earlier output is
// flushed (pipes are asynchronous on some platforms), so nothing is cut off.
import { processIo } from './io.js';
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), processIo());
const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
