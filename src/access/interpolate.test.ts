import { describe, expect, it } from 'vitest';
import { interpolateValue, mergeInterpolated, parseTemplate } from './interpolate.js';

const traits = { groups: ['admins', 'devs'], 'team name': ['sre'], logins: [] as string[] };

describe('trait interpolation', () => {
  it('expands external and internal traits, one value per trait value, with literal text around', () => {
    expect(interpolateValue('{{external.groups}}', traits)).toEqual(['admins', 'devs']);
    expect(interpolateValue('{{internal.groups}}', traits)).toEqual(['admins', 'devs']);
    expect(interpolateValue('team-{{external["team name"]}}-x', traits)).toEqual(['team-sre-x']);
    expect(interpolateValue('bar', traits)).toEqual(['bar']);
  });

  it('drops a value whose trait is missing or empty, and never leaks an unexpanded template', () => {
    expect(interpolateValue('{{external.nope}}', traits)).toEqual([]);
    expect(interpolateValue('{{internal.logins}}', traits)).toEqual([]);
    expect(interpolateValue('{{external.toString}}', traits)).toEqual([]);
    expect(interpolateValue('{{nonsense}}', traits)).toEqual([]);
  });

  it('parseTemplate refuses expressions it cannot read', () => {
    expect(() => parseTemplate('{{external.}}')).toThrow(/invalid trait expression/);
    expect(() => parseTemplate('{{email.local(external.email)}}')).toThrow(/invalid trait expression/);
    expect(() => parseTemplate('{{external.a}}{{external.b}}')).toThrow(/invalid trait expression/);
    expect(parseTemplate('x')).toBeNull();
  });

  it('merges annotations from several roles without duplicates and ignores __proto__', () => {
    const into: Record<string, string[]> = {};
    mergeInterpolated(into, { foo: ['bar'], groups: ['{{external.groups}}'] }, traits);
    mergeInterpolated(into, { foo: ['bar', 'baz'], gone: ['{{external.nope}}'] }, traits);
    mergeInterpolated(into, JSON.parse('{"__proto__": ["polluted"]}'), traits);
    expect(into).toEqual({ foo: ['bar', 'baz'], groups: ['admins', 'devs'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(into)).toBe(Object.prototype);
  });
});
