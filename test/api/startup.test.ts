// Start-up: bootstrap only on an empty database, roles_file applied with the same
// validation as the API, and a restart on the same data keeps requests, tokens and seq.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { HttpAccessClient } from '../../src/client/http-access-client.js';
import { apiConfigSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { CONTRACTOR_ROLES_YAML } from '../access/fixtures.js';
import { expectRejectCode } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'accessbot-startup-'));
  dirs.push(dir);
  const config = apiConfigSchema.parse({
    listen: '127.0.0.1:0',
    store: { path: join(dir, 'db', 'accessbot.db') },
    data_dir: join(dir, 'data'),
    ...extra,
  });
  return { dir, config };
}

const silent = createLogger({ level: 'silent' });

it('applies api.roles_file at start, and restarts keep requests, tokens and the event sequence', async () => {
  const rolesFile = join(tmpdir(), `accessbot-roles-${process.pid}-${Date.now()}.yaml`);
  writeFileSync(rolesFile, CONTRACTOR_ROLES_YAML);
  try {
    const { config } = setup({ roles_file: rolesFile });
    const first = await startApiServer({ config, log: silent });
    const adminToken = readFileSync(first.adminTokenFile, 'utf8').trim();
    let admin = new HttpAccessClient({ baseUrl: first.url, token: adminToken });
    expect((await admin.listRoles()).map((r) => r.metadata.name)).toEqual(
      expect.arrayContaining([
        'accessbot-admin',
        'accessbot-plugin',
        'contractor',
        'dba',
        'approver',
        'admin',
      ]),
    );
    await admin.upsertUser({ name: 'alice', roles: ['contractor'] });
    const { token } = await admin.issueToken('alice');
    const created = await new HttpAccessClient({ baseUrl: first.url, token }).createRequest({
      roles: ['dba'],
    });
    await first.close();

    const second = await startApiServer({ config, log: silent });
    try {
      expect(readFileSync(second.adminTokenFile, 'utf8').trim()).toBe(adminToken);
      admin = new HttpAccessClient({ baseUrl: second.url, token: adminToken });
      expect((await admin.listUsers()).map((u) => u.name).sort()).toEqual(['admin', 'alice']);
      const alice = new HttpAccessClient({ baseUrl: second.url, token });
      expect((await alice.getRequest(created.id)).state).toBe('PENDING');
      const seq = await admin.latestSeq();
      await alice.createRequest({ roles: ['dba'] });
      expect(await admin.latestSeq()).toBe(seq + 1);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(rolesFile, { force: true });
  }
});

it('refuses to start with a bad roles file, naming the problem', async () => {
  const rolesFile = join(tmpdir(), `accessbot-badroles-${process.pid}-${Date.now()}.yaml`);
  writeFileSync(
    rolesFile,
    'kind: role\nmetadata:\n  name: x\nspec:\n  allow:\n    request:\n      thresholds:\n        - approve: 0\n',
  );
  try {
    const { config } = setup({ roles_file: rolesFile });
    await expectRejectCode(startApiServer({ config, log: silent }), 'INVALID_ROLE');
  } finally {
    rmSync(rolesFile, { force: true });
  }
});

it('never writes the admin token to the log', async () => {
  const { config } = setup();
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => lines.push(s) } as never });
  const api = await startApiServer({ config, log });
  try {
    const token = readFileSync(api.adminTokenFile, 'utf8').trim();
    const admin = new HttpAccessClient({ baseUrl: api.url, token });
    await admin.whoami();
    await expectRejectCode(admin.getUser('ghost'), 'USER_NOT_FOUND');
    expect(lines.join('')).toContain(api.adminTokenFile);
    expect(lines.join('')).not.toContain(token);
  } finally {
    await api.close();
  }
});
