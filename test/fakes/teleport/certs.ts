// Throwaway certificate authorities for the Teleport tests, made by openssl at test time
// (scripts/ensure-system.sh --tests installs it): a cluster CA, the auth service's certificate
// (SAN teleport.cluster.local, as Teleport's own), and user certificates whose subject CN is the
// Teleport user, written as an identity file in the layout `tctl auth sign --format=file` uses.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Ca {
  dir: string;
  key: string;
  cert: string;
  certPem: Buffer;
}

export interface Issued {
  keyPem: Buffer;
  certPem: Buffer;
}

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'accessbot-tp-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function makeCa(dir: string, name: string): Promise<Ca> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/O=${name}/CN=${name}`,
  ]);
  return { dir, key, cert, certPem: await readFile(cert) };
}

let serial = 0;

/** A certificate signed by `ca`: for the server (SAN teleport.cluster.local) or a user (CN = name). */
export async function issue(ca: Ca, cn: string, kind: 'server' | 'client'): Promise<Issued> {
  const base = join(ca.dir, `${cn.replace(/[^a-z0-9.-]/gi, '_')}-${++serial}`);
  const ext = `${base}.ext`;
  await writeFile(
    ext,
    kind === 'server'
      ? 'subjectAltName=DNS:teleport.cluster.local,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    `/O=test/CN=${cn}`,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    `${base}.crt`,
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  return { keyPem: await readFile(`${base}.key`), certPem: await readFile(`${base}.crt`) };
}

/**
 * The identity file layout of `tctl auth sign --format=file`: key, SSH certificate line, TLS
 * certificate, `@cert-authority` line, TLS CA. The SSH lines are placeholders (never used).
 * Written to a temporary name and renamed, as tbot replaces its files.
 */
export async function writeIdentityFile(path: string, user: Issued, clusterCa: Ca): Promise<void> {
  const text = [
    user.keyPem.toString().trim(),
    'ssh-ed25519-cert-v01@openssh.com AAAAplaceholder',
    user.certPem.toString().trim(),
    '@cert-authority *.example.com ssh-ed25519 AAAAplaceholder type=host',
    clusterCa.certPem.toString().trim(),
    '',
  ].join('\n');
  await writeFile(`${path}.tmp`, text, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
