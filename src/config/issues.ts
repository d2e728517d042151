// One report of everything wrong with the configuration, so an operator fixes it in one pass
// instead of one restart per mistake.

import { AccessbotError } from '../errors.js';

export interface ConfigIssue {
  /** Dotted path into the config (`host.delivery.attempts`), or `(file)` for the file as a whole. */
  path: string;
  message: string;
}

export class ConfigError extends AccessbotError {
  declare readonly details: ConfigIssue[];

  constructor(issues: ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const noun = issues.length === 1 ? 'problem' : 'problems';
    super('CONFIG_INVALID', `configuration has ${issues.length} ${noun}${where}`, issues);
    this.name = 'ConfigError';
  }

  /** Every issue as `path: message`, one per line. */
  describe(): string[] {
    return this.details.map((i) => `${i.path}: ${i.message}`);
  }
}

export function joinPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}
