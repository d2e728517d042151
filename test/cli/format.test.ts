// The terminal output against the seeds' own samples, and the error line + exit code rules.
// Pure functions: no API needed.

import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/access/types.js';
import { buildCreateInput } from '../../src/cli/commands/request.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { describeFailure } from '../../src/cli/failure.js';
import { requestBlock, requestTable } from '../../src/cli/format/request-text.js';
import { formatUtc } from '../../src/cli/format/text.js';
import { AccessbotError } from '../../src/errors.js';

function request(over: Partial<AccessRequest>): AccessRequest {
  return {
    id: 'f406f5d8-3c2a-428f-8547-a1d091a4ddab',
    user: 'alice',
    roles: ['access'],
    resources: ['/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f'],
    reason: 'responding to incident 123',
    suggestedReviewers: [],
    annotations: {},
    thresholds: [{ approve: 1, deny: 1 }],
    roleThresholds: { access: [0] },
    state: 'PENDING',
    reviews: [],
    created: '2022-06-23T18:25:41.000Z',
    requestExpires: '2022-06-24T18:25:41.000Z',
    accessExpires: '2022-06-24T06:25:41.000Z',
    approvedRoles: [],
    version: 1,
    ...over,
  };
}

describe('seed output', () => {
  it('the request block matches tsh request create / show', () => {
    expect(requestBlock(request({})).join('\n')).toBe(
      [
        'Request ID: f406f5d8-3c2a-428f-8547-a1d091a4ddab',
        'Username:   alice',
        'Roles:      access',
        'Resources:  ["/teleport.example.com/node/bbb56211-7b54-4f9e-bee9-b68ea156be5f"]',
        'Reason:     "responding to incident 123"',
        'Reviewers:  [none] (suggested)',
        'Status:     PENDING',
      ].join('\n'),
    );
  });

  it('the request table matches tsh request ls, column for column', () => {
    expect(requestTable([request({})])).toEqual([
      'ID                                   User  Roles  Resources                   Created At (UTC)    Status',
      '------------------------------------ ----- ------ --------------------------- ------------------- -------',
      'f406f5d8-3c2a-428f-8547-a1d091a4ddab alice access ["/teleport.example.... [+] 23 Jun 22 18:25 UTC PENDING',
      '',
      '[+] Requested resources truncated, use `accessbot request show <request-id>` to view the full list',
    ]);
  });

  it('lists newest first and prints the footnote only when something was cut', () => {
    const older = request({ id: 'a', resources: [], roles: ['dba'], created: '2022-06-23T10:00:00Z' });
    const newer = request({
      id: 'b',
      resources: [],
      roles: ['dba', 'analyst'],
      created: '2022-06-23T11:00:00Z',
    });
    const lines = requestTable([older, newer]);
    expect(lines.slice(2).map((l) => l.split(' ')[0])).toEqual(['b', 'a']);
    expect(lines.join('\n')).not.toContain('[+]');
    expect(lines[2]).toContain(' dba,analyst ');
  });

  it('formats times like Go RFC 822 in UTC', () => {
    expect(formatUtc('2019-11-07T19:38:05Z')).toBe('07 Nov 19 19:38 UTC');
    expect(formatUtc('2026-01-02T03:04:05+02:00')).toBe('02 Jan 26 01:04 UTC');
  });
});

describe('one line per failure, with an exit code by kind', () => {
  it.each([
    ['REASON_REQUIRED', EXIT.INPUT],
    ['INVALID_RESOURCE_ID', EXIT.INPUT],
    ['CONFIG_INVALID', EXIT.INPUT],
    ['INVALID_TOKEN', EXIT.REFUSED],
    ['FORBIDDEN', EXIT.REFUSED],
    ['REQUEST_NOT_FOUND', EXIT.REFUSED],
    ['ALREADY_REVIEWED', EXIT.REFUSED],
    ['API_UNAVAILABLE', EXIT.UNREACHABLE],
    ['REDIS_UNAVAILABLE', EXIT.UNREACHABLE],
  ] as const)('%s exits %i', (code, exit) => {
    const f = describeFailure(new AccessbotError(code, 'something\nwent wrong'));
    expect(f.exitCode).toBe(exit);
    expect(f.line).toMatch(new RegExp(`^error \\[${code}\\]: something; went wrong \\(.+\\)$`));
  });

  it('a refused connection is API_UNAVAILABLE naming the URL, exit 3', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    const f = describeFailure(err, { apiUrl: 'http://127.0.0.1:9' });
    expect(f.exitCode).toBe(EXIT.UNREACHABLE);
    expect(f.line).toMatch(
      /^error \[API_UNAVAILABLE\]: cannot reach the API at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\) \(/,
    );
  });

  it('an unexpected error is still one line, marked as a bug', () => {
    const f = describeFailure(new RangeError('boom\n    at x (file.ts:1:1)'));
    expect(f.line.split('\n')).toHaveLength(1);
    expect(f.line).toMatch(/^error \[INTERNAL\]: boom; at x/);
    expect(f.line).toContain('(this is a bug in accessbot; please report it)');
  });
});

describe('request create input', () => {
  it('refuses mixed, empty and malformed input before any call', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as AccessbotError).code;
      }
      return 'no error';
    };
    expect(code(() => buildCreateInput({ roles: 'dba', resource: ['/c/node/n'] }))).toBe(
      'MIXED_ROLES_AND_RESOURCES',
    );
    expect(code(() => buildCreateInput({ roles: ' , ' }))).toBe('EMPTY_REQUEST');
    expect(code(() => buildCreateInput({ resource: ['c/node/n'] }))).toBe('INVALID_RESOURCE_ID');
    expect(code(() => buildCreateInput({ roles: 'dba', requestTtl: 'tomorrow' }))).toBe('INVALID_DURATION');
  });

  it('builds the API input from flags', () => {
    expect(
      buildCreateInput({ roles: 'dba, analyst', reason: 'r', reviewers: 'bob,dana', requestTtl: '2h' }),
    ).toEqual({
      roles: ['dba', 'analyst'],
      reason: 'r',
      suggestedReviewers: ['bob', 'dana'],
      requestTtl: '2h',
    });
  });
});
