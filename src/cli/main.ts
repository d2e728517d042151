// Entry point of the `accessbot` command (bin/accessbot.js runs the compiled copy).
// Exits explicitly: an idle keep-alive socket or a closed watch stream must not hold the
// terminal after the answer is printed (stdout to a pipe or file is synchronous on Linux).
import { processIo } from './io.js';
import { runCli } from './run.js';

process.exit(await runCli(process.argv.slice(2), processIo()));
