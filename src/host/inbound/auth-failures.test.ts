import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../log.js';
import { AUTH_FAILURES_PER_SOURCE, AuthFailures, MAX_TRACKED_SOURCES, sourceOf } from './auth-failures.js';

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

const failure = (source: string) => ({ plugin: 'hooks-a', source, code: 'INVALID_SIGNATURE', why: 'forged' });

describe('failed authentication per source', () => {
  it('keeps at most MAX_TRACKED_SOURCES sources however many addresses fail, dropping the oldest', () => {
    const { log } = capturedLog();
    const failures = new AuthFailures(log);
    const now = Date.now();
    for (let i = 0; i < MAX_TRACKED_SOURCES * 5; i++)
      failures.record(failure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`), now + i);
    expect(failures.trackedSources).toBe(MAX_TRACKED_SOURCES);
    failures.close();
  });

  it('throttles a source past its budget within the window, and forgets it after the window', () => {
    const { log } = capturedLog();
    const failures = new AuthFailures(log, { windowMs: 60_000 });
    const t0 = Date.now();
    const verdicts = Array.from({ length: AUTH_FAILURES_PER_SOURCE + 1 }, (_, i) =>
      failures.record(failure('192.0.2.7'), t0 + i),
    );
    expect(verdicts.slice(0, AUTH_FAILURES_PER_SOURCE).every((v) => !v.throttled)).toBe(true);
    expect(verdicts.at(-1)).toMatchObject({ throttled: true, retryAfterSeconds: 60 });
    expect(failures.record(failure('192.0.2.7'), t0 + 60_000).throttled).toBe(false);
    failures.close();
  });

  it('logs the first failure of a window and one sum when it ends, whatever the count', () => {
    const { log, lines } = capturedLog();
    const failures = new AuthFailures(log);
    for (let i = 0; i < 5000; i++) failures.record(failure(`198.51.100.${i % 50}`));
    expect(lines).toHaveLength(1);
    failures.close();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ refused: 5000, sources: 50, plugins: { 'hooks-a': 5000 } });
  });

  it('counts an IPv6 address by its /64 and an IPv4-mapped address as IPv4', () => {
    expect(sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2::9')).toBe(sourceOf('2001:db8:1:2:ffff::1'));
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(sourceOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('unknown');
  });
});
