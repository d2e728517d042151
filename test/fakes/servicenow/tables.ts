// The fake instance's tables and ServiceNow's encoded queries over them: `a=b`, `a!=b`,
// `aINx,y`, `aSTARTSWITHx`, `a>=b`, `^` (and), `^OR` (or with the term before), `ORDERBY` /
// `ORDERBYDESC`, and dot-walked reference fields (`sysapproval.correlation_id`) in queries and in
// sysparm_fields, as the Table API takes them. Rows are strings, as the Table API answers them
// with sysparm_exclude_reference_link=true.

import { randomBytes } from 'node:crypto';

export type Row = Record<string, string>;

/** Reference fields and the table they point at. */
const REFERENCES: Record<string, Record<string, string>> = {
  incident: {
    caller_id: 'sys_user',
    assignment_group: 'sys_user_group',
    assigned_to: 'sys_user',
    resolved_by: 'sys_user',
  },
  sysapproval_approver: { approver: 'sys_user', sysapproval: 'incident', document_id: 'incident' },
  sys_user: {},
  sys_user_group: {},
  sys_journal_field: {},
  cmn_rota: { group: 'sys_user_group' },
};

export const TABLES = Object.keys(REFERENCES);
export const JOURNAL_FIELDS = new Set(['work_notes', 'comments']);

export const newSysId = () => randomBytes(16).toString('hex');

/** `YYYY-MM-DD HH:MM:SS` (UTC), as the Table API shows dates. */
export const glideNow = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

interface Term {
  field: string;
  op: '=' | '!=' | 'IN' | 'STARTSWITH' | '>=' | '<=' | '>' | '<';
  value: string;
}

export class Tables {
  readonly rows = new Map<string, Row[]>(TABLES.map((t) => [t, []]));
  /** Insertion order, so rows created in the same second still sort as created. */
  private readonly seq = new WeakMap<Row, number>();
  private nextSeq = 0;

  table(name: string): Row[] | undefined {
    return this.rows.get(name);
  }

  insert(table: string, row: Row): Row {
    this.seq.set(row, this.nextSeq++);
    this.rows.get(table)!.push(row);
    return row;
  }

  /** Marks a row as just changed (for ORDERBY on sys_updated_on). */
  touch(row: Row): void {
    this.seq.set(row, this.nextSeq++);
  }

  byId(table: string, sysId: string): Row | undefined {
    return this.rows.get(table)?.find((r) => r.sys_id === sysId);
  }

  /** A field's value, following references for dot-walked names. */
  value(table: string, row: Row, field: string): string {
    const [head, ...rest] = field.split('.');
    const v = row[head!] ?? '';
    if (rest.length === 0) return v;
    const target = REFERENCES[table]?.[head!];
    const ref = target ? this.byId(target, v) : undefined;
    return ref ? this.value(target!, ref, rest.join('.')) : '';
  }

  query(table: string, encoded: string): Row[] {
    const rows = this.rows.get(table) ?? [];
    const groups: Term[][] = [];
    let order: { field: string; desc: boolean } | undefined;
    for (const part of encoded ? encoded.split('^') : []) {
      if (part.startsWith('ORDERBYDESC')) order = { field: part.slice(11), desc: true };
      else if (part.startsWith('ORDERBY')) order = { field: part.slice(7), desc: false };
      else if (part.startsWith('OR') && groups.length > 0) groups.at(-1)!.push(parseTerm(part.slice(2)));
      else if (part !== '') groups.push([parseTerm(part)]);
    }
    const matches = rows.filter((row) =>
      groups.every((any) => any.some((term) => test(this.value(table, row, term.field), term))),
    );
    if (order) {
      const { field, desc } = order;
      matches.sort((a, b) => {
        const av = this.value(table, a, field);
        const bv = this.value(table, b, field);
        const c = av < bv ? -1 : av > bv ? 1 : (this.seq.get(a) ?? 0) - (this.seq.get(b) ?? 0);
        return desc ? -c : c;
      });
    }
    return matches;
  }

  /** The row as the Table API shows it: the asked fields (dot-walked too), journals read as ''. */
  view(table: string, row: Row, fields: string[] | undefined): Row {
    const names = fields ?? Object.keys(row);
    const out: Row = {};
    for (const f of names) out[f] = JOURNAL_FIELDS.has(f) ? '' : this.value(table, row, f);
    return out;
  }
}

function parseTerm(text: string): Term {
  const m = /^([a-z_][a-z0-9_.]*)(!=|>=|<=|=|>|<|IN|STARTSWITH)(.*)$/s.exec(text);
  if (!m) throw new Error(`bad query term "${text}"`);
  return { field: m[1]!, op: m[2] as Term['op'], value: m[3]! };
}

function test(actual: string, term: Term): boolean {
  switch (term.op) {
    case '=':
      return actual === term.value;
    case '!=':
      return actual !== term.value;
    case 'IN':
      return term.value.split(',').includes(actual);
    case 'STARTSWITH':
      return actual.startsWith(term.value);
    case '>=':
      return actual >= term.value;
    case '<=':
      return actual <= term.value;
    case '>':
      return actual > term.value;
    case '<':
      return actual < term.value;
  }
}
