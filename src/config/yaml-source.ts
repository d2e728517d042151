// Reads the config file as YAML. Syntax errors are reported with their line and column but
// without the source snippet the yaml library appends: that line may hold a secret.

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ConfigIssue } from './issues.js';

export interface YamlSource {
  tree: Record<string, unknown>;
  issues: ConfigIssue[];
}

interface YamlErrorLike {
  message: string;
  linePos?: [{ line: number; col: number }, ...unknown[]];
}

function describeYamlError(err: YamlErrorLike): ConfigIssue {
  const message = err.message.split(/ at line \d+, column \d+/)[0]!.trim();
  const pos = err.linePos?.[0];
  const where = pos ? `line ${pos.line}, column ${pos.col}` : '(file)';
  return { path: where, message: `YAML syntax: ${message}` };
}

export function parseConfigYaml(text: string): YamlSource {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { tree: {}, issues: doc.errors.map(describeYamlError) };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias expanded past the count ("billion laughs"): refuse the file, name the cause.
    return {
      tree: {},
      issues: [{ path: '(file)', message: `YAML: ${(err as Error).message.split('\n')[0]}` }],
    };
  }
  if (value === null || value === undefined) return { tree: {}, issues: [] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      tree: {},
      issues: [{ path: '(root)', message: 'the config file must be a YAML mapping (key: value)' }],
    };
  }
  return { tree: value as Record<string, unknown>, issues: [] };
}

export function readConfigYaml(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return { tree: {}, issues: [{ path: '(file)', message: `cannot read config file ${file} (${code})` }] };
  }
  return parseConfigYaml(text);
}
