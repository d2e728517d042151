// `accessbot teams manifest` writes a Teams app package an admin can upload: manifest.json naming
// the bot in every scope, and the two icons at the sizes Teams insists on. Bad input is one error
// line, exit code 1, and no file. Driven through the real accessbot command, the way an admin
// runs it: the command comes from the plugin's definition, mounted by the CLI.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'teams-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const APP_ID = '6F1C2A3B-1111-4222-8333-944455556666';

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

async function run(argv: string[]) {
  const result = await runCli(argv, { cwd: dir });
  return { code: result.code, out: lines(result.stdout), err: lines(result.stderr) };
}

const pngSize = (png: Uint8Array) => {
  const view = Buffer.from(png);
  expect(view.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [view.readUInt32BE(16), view.readUInt32BE(20)];
};

describe('teams manifest', () => {
  it('writes a package with the bot in team, group chat and personal scopes, and both icons', async () => {
    const result = await run([
      // A global option before the plugin's name must not hide the plugin from the CLI.
      '--format',
      'json',
      'teams',
      'manifest',
      '--app-id',
      APP_ID,
      '--out',
      'teams-app.zip',
      '--website-url',
      'https://access.example.com/',
    ]);
    expect(result).toMatchObject({ code: 0, err: [] });
    expect(result.out).toEqual([
      `wrote ${join(dir, 'teams-app.zip')}: upload it in Teams (Apps → Manage your apps → Upload an app)`,
    ]);
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
    [['--app-id', 'not-a-guid', '--out', 'bad.zip'], 'VALIDATION_FAILED', 'not an Entra application'],
    [['--out', 'bad.zip'], 'BAD_REQUEST', "'--app-id <GUID>' not specified"],
    [
      ['--app-id', APP_ID, '--out', 'bad.zip', '--website-url', 'http://plain.example.com'],
      'VALIDATION_FAILED',
      '--website-url must be https',
    ],
    [['--app-id', APP_ID, '--out', 'bad.zip', '--colour', 'red'], 'BAD_REQUEST', "unknown option '--colour'"],
    [['--app-id', APP_ID, '--out', 'no-such-dir/bad.zip'], 'VALIDATION_FAILED', 'cannot write'],
  ])('refuses %j with one error line and writes nothing', async (argv, code, what) => {
    const result = await run(['teams', 'manifest', ...argv]);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([]);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(new RegExp(`^error \\[${code}\\]: .+ \\(.+\\)$`));
    expect(result.err[0]).toContain(what);
    // Usage errors point at the command's own help.
    if (code === 'BAD_REQUEST') expect(result.err[0]).toMatch(/\(see 'accessbot teams manifest --help'\)$/);
    expect(existsSync(join(dir, 'bad.zip'))).toBe(false);
  });

  it('is listed in the help of the teams plugin, with its options', async () => {
    const result = await run(['teams', 'manifest', '--help']);
    expect(result.code).toBe(0);
    expect(result.out.join('\n')).toMatch(/--app-id <GUID>[\s\S]*--out <FILE>[\s\S]*--website-url <URL>/);
    for (const argv of [
      ['teams', '--help'],
      ['help', 'teams'],
    ]) {
      const group = await run(argv);
      expect(group.code).toBe(0);
      expect(group.out.join('\n')).toMatch(/manifest .*write the Teams app package/);
    }
  });

  it('is not a command of a plugin that declares none', async () => {
    // slack adds no commands: its name stays an unknown command, answered in the one-line form.
    const result = await run(['slack', 'manifest', '--app-id', APP_ID, '--out', 'bad.zip']);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      expect.stringMatching(/^error \[BAD_REQUEST\]: unknown command 'slack' \(.+\)$/),
    ]);
    expect(existsSync(join(dir, 'bad.zip'))).toBe(false);
  });
});
