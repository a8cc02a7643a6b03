import { describe, expect, it } from 'vitest';
import { operators } from './operators.ts';

const now = Date.parse('2026-01-10T12:00:00Z');
const clock = () => now;

/** [operator, payload value, pattern, expected]: answers StackStorm's Python operators give. */
const cases: Array<[string, unknown, unknown, boolean]> = [
  ['equals', 'a', 'a', true],
  ['equals', 'a', 'b', false],
  ['eq', 1, 1.0, true],
  ['eq', true, 1, true],
  ['eq', 1, '1', false],
  ['eq', { a: [1, 2] }, { a: [1, 2] }, true],
  ['eq', { a: [1, 2] }, { a: [2, 1] }, false],
  ['eq', undefined, null, false],
  ['eq', null, undefined, false],
  ['equals', 0, 0, true],
  ['nequals', 'a', 'b', true],
  ['neq', 'a', 'a', false],
  ['neq', undefined, null, false],
  ['neq', 'x', null, true],
  ['iequals', 'HeLLo', 'hello', true],
  ['ieq', 'hello', 'world', false],
  ['iequals', 5, '5', false],
  ['contains', 'hello world', 'lo w', true],
  ['contains', 'hello', 'z', false],
  ['contains', ['a', 'b'], 'b', true],
  ['contains', [1, 2], 2.0, true],
  ['contains', { key: 1 }, 'key', true],
  ['contains', { key: 1 }, 'other', false],
  ['contains', 'hello', 1, false],
  ['contains', 12, '1', false],
  ['contains', undefined, 'a', false],
  ['icontains', 'Hello World', 'WORLD', true],
  ['icontains', ['Hello'], 'hello', false],
  ['ncontains', 'hello', 'z', true],
  ['ncontains', 'hello', 'ell', false],
  ['ncontains', ['a'], 'a', false],
  ['ncontains', undefined, 'a', false],
  ['incontains', 'Hello', 'XYZ', true],
  ['incontains', 'Hello', 'HELL', false],
  ['startswith', 'foobar', 'foo', true],
  ['startswith', 'foobar', 'bar', false],
  ['startswith', 123, '1', false],
  ['istartswith', 'FooBar', 'foo', true],
  ['endswith', 'foobar', 'bar', true],
  ['endswith', 'foobar', 'foo', false],
  ['iendswith', 'FooBAR', 'bar', true],
  ['lessthan', 1, 2, true],
  ['lt', 2, 2, false],
  ['lt', 1.5, 2, true],
  ['lt', 'a', 'b', true],
  ['lt', 1, '2', false],
  ['lt', undefined, 2, false],
  ['lt', [1, 2], [1, 3], true],
  ['greaterthan', 3, 2, true],
  ['gt', 2, 2, false],
  ['gt', 'b', 'a', true],
  ['gt', true, 0, true],
  ['matchwildcard', 'server-01.example.com', 'server-*.example.com', true],
  ['matchwildcard', 'db-01', 'server-*', false],
  ['matchwildcard', 'a1', 'a?', true],
  ['matchwildcard', 'a12', 'a?', false],
  ['matchwildcard', 'b', '[abc]', true],
  ['matchwildcard', 'd', '[!abc]', true],
  ['matchwildcard', 'a', '[!abc]', false],
  ['matchwildcard', '[x', '[x', true],
  ['matchwildcard', 'a.b', 'a?b', true],
  ['matchwildcard', 'axb', 'a.b', false],
  ['matchwildcard', 'line1\nline2', 'line1*', true],
  ['matchwildcard', 'ABC', 'abc', false],
  ['matchwildcard', 5, '5', false],
  ['regex', 'the quick fox', 'quick', true],
  ['regex', 'the quick fox', '^quick', false],
  ['regex', 'abc123', '\\d+$', true],
  ['regex', 'abc\n', 'abc$', true],
  ['regex', 'ABC', 'abc', false],
  ['regex', 'ABC', '(?i)abc', true],
  ['regex', 'ab-ab', '(?P<x>ab)-(?P=x)', true],
  ['regex', 'abc', '(', false],
  ['regex', 1, '1', false],
  ['iregex', 'The QUICK fox', 'quick', true],
  ['iregex', 'The fox', 'quick', false],
  ['matchregex', 'hello world', 'hello', true],
  ['matchregex', 'say hello', 'hello', false],
  ['matchregex', 'a\nb', 'a.b', true],
  ['matchregex', 'b', 'a|b', true],
  ['matchregex', 'xb', 'a|b', false],
  ['regex', 'a\nb', 'a.b', false],
  ['exists', 'x', undefined, true],
  ['exists', 0, undefined, true],
  ['exists', false, undefined, true],
  ['exists', '', undefined, true],
  ['exists', null, undefined, false],
  ['exists', undefined, undefined, false],
  ['nexists', undefined, undefined, true],
  ['nexists', null, undefined, true],
  ['nexists', 'x', undefined, false],
  ['inside', 'b', ['a', 'b'], true],
  ['in', 'c', ['a', 'b'], false],
  ['in', 'ell', 'hello', true],
  ['in', 1, 'hello', false],
  ['in', 'key', { key: 1 }, true],
  ['in', 2, [1, 2, 3], true],
  ['in', undefined, ['a'], false],
  ['ninside', 'c', ['a', 'b'], true],
  ['nin', 'a', ['a', 'b'], false],
  ['nin', 'z', 'hello', true],
  ['timediff_lt', '2026-01-10T11:59:30Z', 60, true],
  ['td_lt', '2026-01-10T11:58:00Z', 60, false],
  ['timediff_gt', '2026-01-10T11:58:00Z', 60, true],
  ['td_gt', '2026-01-10T11:59:30Z', 60, false],
  // A date without a zone is UTC, never the host's local time.
  ['td_lt', '2026-01-10T11:59:30', 60, true],
  ['td_lt', '2026-01-10 11:59:30.123456', 60, true],
  // 13:59:30+02:00 is 11:59:30Z.
  ['td_lt', '2026-01-10T13:59:30+02:00', 60, true],
  ['td_gt', '2026-01-10T13:59:30+02:00', 60, false],
  ['td_lt', '2026-01-10T06:59:30-0500', 60, true],
  ['td_gt', '2026-01-10T13:59:30Z', 60, false],
  ['td_lt', 'Sat, 10 Jan 2026 11:59:30 GMT', 60, true],
  ['td_lt', 'not a date', 60, false],
  ['td_lt', '2026-13-40T00:00:00Z', 60, false],
  ['td_lt', '2026-01-10T11:59:30Z', '60', false],
  ['td_lt', 1768046370, 60, false],
  ['td_lt', undefined, 60, false],
];

const noPattern: Array<[string, boolean]> = [
  ['equals', false],
  ['iequals', false],
  ['contains', false],
  ['icontains', false],
  ['ncontains', false],
  ['incontains', false],
  ['startswith', false],
  ['istartswith', false],
  ['endswith', false],
  ['iendswith', false],
  ['lt', false],
  ['gt', false],
  ['matchwildcard', false],
  ['regex', false],
  ['iregex', false],
  ['matchregex', false],
  ['td_lt', false],
  ['td_gt', false],
  ['inside', false],
  ['ninside', false],
  ['nequals', true],
  ['exists', true],
];

function apply(name: string, value: unknown, pattern: unknown): boolean {
  const operator = operators[name];
  if (!operator) throw new Error(`no operator ${name}`);
  try {
    return operator(value, pattern, clock);
  } catch {
    return false;
  }
}

describe('criteria operators', () => {
  it.each(cases)('%s(%j, %j) is %s', (name, value, pattern, expected) => {
    expect(apply(name, value, pattern)).toBe(expected);
  });

  it.each(noPattern)('%s with no pattern is %s (value "x")', (name, expected) => {
    expect(apply(name, 'x', null)).toBe(expected);
  });

  it('raises on a type mismatch instead of guessing (the evaluator turns it into no match)', () => {
    expect(() => operators['lt']!(1, 'a', clock)).toThrow();
    expect(() => operators['startswith']!(1, 'a', clock)).toThrow();
  });
});
