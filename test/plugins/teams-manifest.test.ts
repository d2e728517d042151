// `teams manifest` writes a Teams app package an admin can upload: manifest.json naming the bot
// in every scope, and the two icons at the sizes Teams insists on. Bad input is one error line,
// exit code 1, and no file.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { runManifestCli } from '../../plugins/teams/manifest-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'teams-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const APP_ID = '6F1C2A3B-1111-4222-8333-944455556666';

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runManifestCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir });
  return { code, out, err };
}

const pngSize = (png: Uint8Array) => {
  const view = Buffer.from(png);
  expect(view.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [view.readUInt32BE(16), view.readUInt32BE(20)];
};

describe('teams manifest', () => {
  it('writes a package with the bot in team, group chat and personal scopes, and both icons', () => {
    const result = run([
      'manifest',
      '--app-id',
      APP_ID,
      '--out',
      'teams-app.zip',
      '--website-url',
      'https://access.example.com/',
    ]);
    expect(result).toMatchObject({ code: 0, err: [] });
    const files = unzipSync(readFileSync(join(dir, 'teams-app.zip')));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json'])) as {
      id: string;
      bots: unknown[];
      developer: { websiteUrl: string };
      icons: unknown;
      authorization: { permissions: { resourceSpecific: { name: string }[] } };
    };
    expect(manifest.id).toBe(APP_ID.toLowerCase());
    expect(manifest.bots).toEqual([
      expect.objectContaining({ botId: APP_ID.toLowerCase(), scopes: ['team', 'groupChat', 'personal'] }),
    ]);
    expect(manifest.developer.websiteUrl).toBe('https://access.example.com/');
    expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    // Reading its own conversations back is how a lost post is found instead of posted twice.
    expect(manifest.authorization.permissions.resourceSpecific.map((p) => p.name).sort()).toEqual([
      'ChannelMessage.Read.Group',
      'ChatMessage.Read.Chat',
    ]);
    expect(pngSize(files['color.png']!)).toEqual([192, 192]);
    expect(pngSize(files['outline.png']!)).toEqual([32, 32]);
  });

  it.each([
    [['--app-id', 'not-a-guid', '--out', 'bad.zip'], 'VALIDATION_FAILED'],
    [['--out', 'bad.zip'], 'BAD_REQUEST'],
    [
      ['--app-id', APP_ID, '--out', 'bad.zip', '--website-url', 'http://plain.example.com'],
      'VALIDATION_FAILED',
    ],
    [['--app-id', APP_ID, '--out', 'bad.zip', '--colour', 'red'], 'BAD_REQUEST'],
  ])('refuses %j with one error line and writes nothing', (argv, code) => {
    const result = run(argv);
    expect(result.code).toBe(1);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(new RegExp(`^error \\[${code}\\]: .+ \\(.+\\)$`));
    expect(existsSync(join(dir, 'bad.zip'))).toBe(false);
  });
});
