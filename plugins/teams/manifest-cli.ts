// `teams manifest`: writes the Teams app package. The accessbot CLI takes no commands from
// plugins (its host never names one), so this is the plugin's own small command:
//   node --import tsx plugins/teams/manifest-cli.ts --app-id <GUID> --out teams-app.zip
// (or `node dist/plugins/teams/manifest-cli.js …` from a build). Errors are one line,
// `error [CODE]: what (how to fix)`, exit code 1; nothing is written then.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAppPackage, ManifestInputError } from './manifest.js';

export interface ManifestCliIo {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
}

const USAGE =
  'usage: teams manifest --app-id <Entra app id> --out <file.zip> [--name accessbot] [--version 1.0.0] [--developer-name …] [--website-url https://…] [--privacy-url https://…] [--terms-url https://…]';

export function runManifestCli(argv: string[], io: ManifestCliIo): number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv[0] === 'manifest' ? argv.slice(1) : argv,
      options: {
        'app-id': { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string', default: 'accessbot' },
        version: { type: 'string', default: '1.0.0' },
        'developer-name': { type: 'string', default: 'accessbot' },
        'website-url': { type: 'string' },
        'privacy-url': { type: 'string' },
        'terms-url': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    io.err(`error [BAD_REQUEST]: ${(err as Error).message} (${USAGE})`);
    return 1;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const appId = values['app-id'];
  const out = values.out;
  if (typeof appId !== 'string' || typeof out !== 'string') {
    io.err(`error [BAD_REQUEST]: --app-id and --out are required (${USAGE})`);
    return 1;
  }
  const website =
    typeof values['website-url'] === 'string' ? values['website-url'] : 'https://www.example.com/accessbot';
  try {
    const zip = buildAppPackage({
      appId,
      name: String(values.name),
      version: String(values.version),
      developerName: String(values['developer-name']),
      websiteUrl: website,
      privacyUrl: typeof values['privacy-url'] === 'string' ? values['privacy-url'] : website,
      termsUrl: typeof values['terms-url'] === 'string' ? values['terms-url'] : website,
    });
    const path = resolve(io.cwd, out);
    writeFileSync(path, zip);
    io.out(`wrote ${path}: upload it in Teams (Apps → Manage your apps → Upload an app)`);
    return 0;
  } catch (err) {
    if (err instanceof ManifestInputError) {
      io.err(`error [VALIDATION_FAILED]: ${err.message} (${err.hint})`);
      return 1;
    }
    io.err(`error [INTERNAL]: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = runManifestCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    cwd: process.cwd(),
  });
}
