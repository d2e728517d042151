// The host's on-call policy over a provider's answer, case by case (pure: no provider, no API).
// The whole path through a real host is suite.ts; this pins the rules it applies.

import { describe, expect, it } from 'vitest';
import { onCallPolicySchema } from '../../src/config/schema.js';
import { judgeAnswer, rolesOutsideLimit } from '../../src/host/on-call/policy.js';
import type { OnCallAnswer, OnCallShift } from '../../src/plugin-sdk/index.js';

const provider = { label: 'Rota', scopeKind: 'schedule' };
const policy = (limits: Record<string, unknown> = {}) => onCallPolicySchema.parse(limits);
const found = (shifts: OnCallShift[], unknownScopes: string[] = []): OnCallAnswer => ({
  person: 'found',
  shifts,
  unknownScopes,
});
const shift = (scope: string, level: number, schedule: string | null): OnCallShift => ({
  scope,
  level,
  schedule: schedule === null ? null : { id: `id-${schedule}`, name: schedule },
});

describe('on-call policy', () => {
  it('approves the lowest shift and names every scope held at that level through that schedule', () => {
    const v = judgeAnswer(
      found([shift('db', 2, 'Primary'), shift('pay', 1, 'Primary'), shift('web', 1, 'Primary')]),
      ['db', 'pay', 'web'],
      policy(),
      provider,
    );
    expect(v).toMatchObject({ approve: true, level: 1, scopes: ['pay', 'web'] });
    if (v.approve)
      expect(v.reason).toBe('On call in Rota for pay, web (escalation level 1 through schedule Primary)');
  });

  it('matches allowed schedules by id, or by name whatever its case; a direct assignment never', () => {
    const shifts = [shift('db', 1, 'Primary')];
    expect(judgeAnswer(found(shifts), ['db'], policy({ schedules: ['id-Primary'] }), provider).approve).toBe(
      true,
    );
    expect(judgeAnswer(found(shifts), ['db'], policy({ schedules: ['PRIMARY'] }), provider).approve).toBe(
      true,
    );
    expect(judgeAnswer(found(shifts), ['db'], policy({ schedules: ['id-primary'] }), provider)).toMatchObject(
      {
        why: 'schedule_not_allowed',
      },
    );
    const direct = found([shift('db', 1, null)]);
    expect(judgeAnswer(direct, ['db'], policy(), provider).approve).toBe(true);
    expect(judgeAnswer(direct, ['db'], policy({ schedules: ['Primary'] }), provider)).toMatchObject({
      why: 'schedule_not_allowed',
      detail: 'on call only through direct assignment, not an allowed schedule',
    });
  });

  it('applies the level limit before the schedule limit, and says the best level it saw', () => {
    const v = judgeAnswer(
      found([shift('db', 3, 'Other'), shift('db', 2, 'Primary')]),
      ['db'],
      policy({ max_escalation_level: 1, schedules: ['Primary'] }),
      provider,
    );
    expect(v).toMatchObject({
      why: 'level_too_high',
      detail: 'on call at escalation level 2, above the limit of 1',
    });
  });

  it('tells "no named scope exists" from "some exist but not on call", and passes an unknown person through', () => {
    expect(judgeAnswer(found([], ['a', 'b']), ['a', 'b'], policy(), provider)).toMatchObject({
      why: 'scopes_not_found',
      detail: 'no Rota schedule named a, b',
    });
    expect(judgeAnswer(found([], ['a']), ['a', 'b'], policy(), provider)).toMatchObject({
      why: 'not_on_call',
    });
    expect(
      judgeAnswer(
        { person: 'unknown', why: 'no_identity', detail: 'no rota id trait' },
        ['a'],
        policy(),
        provider,
      ),
    ).toEqual({ approve: false, why: 'no_identity', detail: 'no rota id trait' });
  });

  it('role globs: `*` is the only wildcard, and every requested role must match', () => {
    expect(rolesOutsideLimit(['db-read', 'dba'], ['db-*'])).toEqual(['dba']);
    expect(rolesOutsideLimit(['db.read'], ['db?read', 'db.*'])).toEqual([]);
    expect(rolesOutsideLimit(['dbXread'], ['db.read'])).toEqual(['dbXread']);
    expect(rolesOutsideLimit(['anything'], undefined)).toEqual([]);
  });
});
