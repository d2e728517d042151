// `accessbot teams manifest --app-id <GUID> --out teams-app.zip`: writes the Teams app package
// an admin uploads. Bad input is one error line, exit code 1, and no file written.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type PluginCommand, PluginCommandError } from '../../src/plugin-sdk/index.js';
import { buildAppPackage, ManifestInputError } from './manifest.js';

/** Teams wants a developer website; without --website-url the package names a placeholder. */
const PLACEHOLDER_WEBSITE = 'https://www.example.com/accessbot';

function text(value: string | true | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export const manifestCommand: PluginCommand = {
  name: 'manifest',
  description: 'write the Teams app package (manifest.json and icons) to upload in Teams',
  options: [
    {
      name: 'app-id',
      value: 'GUID',
      required: true,
      description: 'the Entra application (client) id of the bot',
    },
    {
      name: 'out',
      value: 'FILE',
      required: true,
      description: 'where to write the package, e.g. teams-app.zip',
    },
    {
      name: 'name',
      value: 'NAME',
      default: 'accessbot',
      description: 'app name shown in Teams (≤ 30 characters)',
    },
    {
      name: 'version',
      value: 'X.Y.Z',
      default: '1.0.0',
      description: 'package version; raise it to upload an update',
    },
    {
      name: 'developer-name',
      value: 'NAME',
      default: 'accessbot',
      description: 'publisher name shown in Teams',
    },
    {
      name: 'website-url',
      value: 'URL',
      description: `https developer website (default ${PLACEHOLDER_WEBSITE})`,
    },
    { name: 'privacy-url', value: 'URL', description: 'https privacy statement (default: the website)' },
    { name: 'terms-url', value: 'URL', description: 'https terms of use (default: the website)' },
  ],
  run(values, io) {
    const website = text(values['website-url']) ?? PLACEHOLDER_WEBSITE;
    let zip: Uint8Array;
    try {
      zip = buildAppPackage({
        appId: text(values['app-id']) ?? '',
        name: text(values.name) ?? '',
        version: text(values.version) ?? '',
        developerName: text(values['developer-name']) ?? '',
        websiteUrl: website,
        privacyUrl: text(values['privacy-url']) ?? website,
        termsUrl: text(values['terms-url']) ?? website,
      });
    } catch (err) {
      if (err instanceof ManifestInputError)
        throw new PluginCommandError('VALIDATION_FAILED', err.message, err.hint);
      throw err;
    }
    const path = resolve(io.cwd, text(values.out) ?? '');
    try {
      writeFileSync(path, zip);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unwritable';
      throw new PluginCommandError(
        'VALIDATION_FAILED',
        `cannot write ${path} (${reason})`,
        'give --out a file path in a directory you can write',
      );
    }
    io.out(`wrote ${path}: upload it in Teams (Apps → Manage your apps → Upload an app)`);
  },
};
