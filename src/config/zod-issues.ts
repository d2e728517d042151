// zod issues → ConfigIssue with dotted paths. Unknown keys get one line each, named by their
// own path, so `host.delivery.atempts: unknown key` points straight at the typo.

import type { z } from 'zod';
import { type ConfigIssue, joinPath } from './issues.js';

export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath([...path, key]), message: 'unknown key' });
      continue;
    }
    out.push({ path: joinPath(path), message: issue.message });
  }
  return out;
}
