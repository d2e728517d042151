// A throwaway CA made with openssl in a temp folder, and certificates it signs, for tests of
// TLS against real servers (redis-server --tls-port). Node checks names against subjectAltName.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IssuedCert {
  certFile: string;
  keyFile: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A self-signed CA `<name>.crt` / `<name>.key` in `dir`. */
export function makeCa(dir: string, name: string): IssuedCert {
  openssl(
    dir,
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`],
    ...['-days', '1', '-subj', `/CN=${name}`],
  );
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** A certificate `<name>.crt` for DNS name `dnsName`, signed by the CA `ca` in `dir`. */
export function issueCert(dir: string, name: string, dnsName: string, ca = 'ca'): IssuedCert {
  writeFileSync(join(dir, `${name}.san`), `subjectAltName=DNS:${dnsName}\n`);
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${dnsName}`,
  );
  openssl(
    dir,
    ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial'],
    ...['-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.san`],
  );
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}
