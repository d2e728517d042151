// The Teams app package an admin uploads (Teams admin center → Manage apps → Upload, or Apps →
// Manage your apps → Upload an app): manifest.json naming the bot (the Entra app id) in the
// team, group chat and personal scopes (with resource-specific consent to read its own
// conversations' messages), and its two icons, zipped together at the top level.

import { zipSync } from 'fflate';
import { ACCENT_COLOR, colorIcon, outlineIcon } from './icons.js';

/** Teams app manifest schema this package follows. */
export const MANIFEST_VERSION = '1.17';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Teams' limits: short name 30, full name 100, short description 80, full description 4000. */
const SHORT_NAME_MAX = 30;

export interface ManifestOptions {
  appId: string;
  /** Short app name shown in Teams. */
  name: string;
  /** The package version; bump it to upload an update. */
  version: string;
  developerName: string;
  websiteUrl: string;
  privacyUrl: string;
  termsUrl: string;
}

export class ManifestInputError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ManifestInputError';
  }
}

function httpsUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ManifestInputError(`${flag} is not a URL: ${value}`, `give an https:// URL`);
  }
  if (url.protocol !== 'https:')
    throw new ManifestInputError(`${flag} must be https: ${value}`, 'Teams accepts https URLs only');
  return url.toString();
}

export function buildManifest(opts: ManifestOptions): Record<string, unknown> {
  if (!GUID.test(opts.appId)) {
    throw new ManifestInputError(
      `--app-id is not an Entra application (client) id: ${opts.appId}`,
      'copy the Application (client) ID from the app registration in Entra',
    );
  }
  const name = opts.name.trim();
  if (name === '' || name.length > SHORT_NAME_MAX) {
    throw new ManifestInputError(`--name must be 1 to ${SHORT_NAME_MAX} characters`, 'pick a shorter name');
  }
  if (!/^\d+\.\d+\.\d+$/.test(opts.version)) {
    throw new ManifestInputError(`--version must look like 1.0.0: ${opts.version}`, 'use three numbers');
  }
  return {
    $schema: `https://developer.microsoft.com/en-us/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
    manifestVersion: MANIFEST_VERSION,
    version: opts.version,
    id: opts.appId.toLowerCase(),
    developer: {
      name: opts.developerName,
      websiteUrl: httpsUrl(opts.websiteUrl, '--website-url'),
      privacyUrl: httpsUrl(opts.privacyUrl, '--privacy-url'),
      termsOfUseUrl: httpsUrl(opts.termsUrl, '--terms-url'),
    },
    name: { short: name, full: `${name}: just-in-time access requests` },
    description: {
      short: 'Approve or deny access requests in Teams',
      full: 'Posts each just-in-time access request as a card in your approvers\u2019 channel and in suggested reviewers\u2019 chats. Type a reason and approve or deny in the card; the card updates for everyone and each review is replied in its thread.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: ACCENT_COLOR,
    bots: [
      {
        botId: opts.appId.toLowerCase(),
        scopes: ['team', 'groupChat', 'personal'],
        supportsFiles: false,
        isNotificationOnly: false,
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [],
    // Resource-specific consent to read the messages of the teams and chats the app is in: how a
    // retry finds a card or reply whose post's answer was lost, instead of posting it twice.
    webApplicationInfo: { id: opts.appId.toLowerCase(), resource: `api://botid-${opts.appId.toLowerCase()}` },
    authorization: {
      permissions: {
        resourceSpecific: [
          { name: 'ChannelMessage.Read.Group', type: 'Application' },
          { name: 'ChatMessage.Read.Chat', type: 'Application' },
        ],
      },
    },
  };
}

/** The zip Teams takes: manifest.json, color.png and outline.png at the top level. */
export function buildAppPackage(opts: ManifestOptions): Uint8Array {
  const manifest = buildManifest(opts);
  return zipSync({
    'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    'color.png': colorIcon(),
    'outline.png': outlineIcon(),
  });
}
