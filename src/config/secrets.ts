// Secrets stay out of the config file: `${ENV_VAR}` inside any string value is replaced by the
// variable, and a value that is exactly `file:/path` by that file's trimmed content (Docker and
// Kubernetes secrets are mounted as files). Every resolved value is remembered so error text
// can be scrubbed of it.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type ConfigIssue, joinPath } from './issues.js';

/** `$${X}` is a literal `${X}`; `${X}` is the variable X. */
const ENV_REF = /\$(\$?)\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FILE_PREFIX = 'file:';

export interface SecretResolution {
  issues: ConfigIssue[];
  /** Every value that came from the environment or a file. */
  secrets: Set<string>;
}

type Visit = (value: string, path: PropertyKey[]) => string;

function walk(node: unknown, path: PropertyKey[], visit: Visit): unknown {
  if (typeof node === 'string') return visit(node, path);
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = walk(node[i], [...path, i], visit);
    return node;
  }
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) obj[key] = walk(obj[key], [...path, key], visit);
  }
  return node;
}

/** Replaces `${NAME}` references in every string of `tree` (in place). */
export function interpolateEnv(tree: unknown, env: NodeJS.ProcessEnv, out: SecretResolution): unknown {
  return walk(tree, [], (value, path) =>
    value.replace(ENV_REF, (whole, escaped: string, name: string) => {
      if (escaped) return whole.slice(1);
      if (!ENV_NAME.test(name)) {
        out.issues.push({
          path: joinPath(path),
          message: `"\${${name}}" is not a valid environment variable reference`,
        });
        return '';
      }
      const v = env[name];
      if (v === undefined) {
        out.issues.push({ path: joinPath(path), message: `environment variable ${name} is not set` });
        return '';
      }
      out.secrets.add(v);
      return v;
    }),
  );
}

/** Replaces values of the form `file:/path` by the trimmed file content (in place). */
export function resolveFileRefs(tree: unknown, baseDir: string, out: SecretResolution): unknown {
  return walk(tree, [], (value, path) => {
    if (!value.startsWith(FILE_PREFIX)) return value;
    const ref = value.slice(FILE_PREFIX.length).trim();
    if (ref === '') {
      out.issues.push({
        path: joinPath(path),
        message: 'file: needs a path, e.g. file:/run/secrets/slack-token',
      });
      return value;
    }
    const file = isAbsolute(ref) ? ref : resolve(baseDir, ref);
    try {
      const content = readFileSync(file, 'utf8').trim();
      out.secrets.add(content);
      return content;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      out.issues.push({ path: joinPath(path), message: `cannot read secret file ${file} (${code})` });
      return value;
    }
  });
}

/** Replaces every known secret value in `text` (short values are left: they would mangle words). */
export function scrubSecrets(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}
