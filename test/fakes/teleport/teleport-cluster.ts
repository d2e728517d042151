// A throwaway Teleport cluster for tests: its CA, the fake auth service with that CA's server
// certificate, and the plugin's identity file (renewable on disk, as tbot renews it).

import { join } from 'node:path';
import { type Ca, issue, makeCa, tempDir, writeIdentityFile } from './certs.js';
import { type FakeAuthOptions, FakeTeleportAuth } from './fake-auth.js';

export const PLUGIN_USER = 'access-plugin';

export interface TestCluster {
  auth: FakeTeleportAuth;
  ca: Ca;
  dir: string;
  identityFile: string;
  /** Writes a new certificate for the plugin user into the identity file (a renewal). */
  renewIdentity(): Promise<void>;
  /** Writes an identity file for `user` signed by another CA, at a new path. */
  foreignIdentity(user: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestCluster(
  opts: Omit<FakeAuthOptions, 'ca' | 'server' | 'pluginUser'> & { users: string[] },
): Promise<TestCluster> {
  const tmp = await tempDir();
  const ca = await makeCa(tmp.dir, 'cluster-ca');
  const server = await issue(ca, 'auth', 'server');
  const auth = new FakeTeleportAuth({
    ...opts,
    ca,
    server,
    pluginUser: PLUGIN_USER,
    users: [...opts.users, PLUGIN_USER],
  });
  await auth.start();
  const identityFile = join(tmp.dir, 'identity');
  const renewIdentity = async () =>
    writeIdentityFile(identityFile, await issue(ca, PLUGIN_USER, 'client'), ca);
  await renewIdentity();
  return {
    auth,
    ca,
    dir: tmp.dir,
    identityFile,
    renewIdentity,
    async foreignIdentity(user) {
      const other = await makeCa(tmp.dir, 'other-ca');
      const path = join(tmp.dir, `identity-${user}-foreign`);
      // The cluster CA is the one trusted for the server; only the client certificate is foreign.
      await writeIdentityFile(path, await issue(other, user, 'client'), ca);
      return path;
    },
    async stop() {
      await auth.stop();
      await tmp.remove();
    },
  };
}
