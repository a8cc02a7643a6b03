import { renderValue } from '@packrun/core';
import { describe, expect, it } from 'vitest';
import { evaluateCriteria, type CriteriaOptions } from './criteria.ts';
import { criteriaProblems } from './criteria-check.ts';

const options: CriteriaOptions = {
  render: (template, context) => renderValue(template, context),
  templateContext: { st2kv: { system: { env: 'prod', threshold: '10' } } },
  now: () => Date.parse('2026-01-10T12:00:00Z'),
};

const payload = {
  name: 'deploy',
  env: 'prod',
  count: 7,
  expected: 7,
  at: '2026-01-10T11:59:50Z',
  body: { user: { login: 'Alice' }, labels: ['bug', 'urgent'] },
  fields: [
    { field_name: 'Status', to_value: 'Approved' },
    { field_name: 'Assignee', to_value: 'bob' },
  ],
};

const matches = (criteria: Record<string, unknown>, data: unknown = payload): boolean => evaluateCriteria(criteria, data, options).matched;

describe('evaluateCriteria', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['no criteria', {}, true],
    ['one that holds', { 'trigger.name': { type: 'equals', pattern: 'deploy' } }, true],
    ['one that fails', { 'trigger.name': { type: 'equals', pattern: 'build' } }, false],
    [
      'all must hold',
      { 'trigger.name': { type: 'equals', pattern: 'deploy' }, 'trigger.count': { type: 'gt', pattern: 10 } },
      false,
    ],
    ['operator names are case-insensitive', { 'trigger.name': { type: 'Equals', pattern: 'deploy' } }, true],
    ['a criterion without a type never matches', { 'trigger.name': { pattern: 'deploy' } }, false],
    ['an unknown operator never matches', { 'trigger.name': { type: 'sounds_like', pattern: 'deploy' } }, false],
    ['a criterion that is not a mapping never matches', { 'trigger.name': 'deploy' }, false],
    ['nested paths', { 'trigger.body.user.login': { type: 'iequals', pattern: 'alice' } }, true],
    ['list index paths', { 'trigger.body.labels[1]': { type: 'eq', pattern: 'urgent' } }, true],
    ['a missing key is None', { 'trigger.body.nothing': { type: 'nexists' } }, true],
    ['a missing key does not equal a value', { 'trigger.body.nothing': { type: 'equals', pattern: 'x' } }, false],
    ['a missing key with a string operator', { 'trigger.body.nothing': { type: 'contains', pattern: 'x' } }, false],
    ['exists on a present key', { 'trigger.count': { type: 'exists' } }, true],
    ['a lone expression keeps its type', { 'trigger.count': { type: 'equals', pattern: '{{ trigger.expected }}' } }, true],
    ['a numeric comparison against a rendered number', { 'trigger.count': { type: 'lessthan', pattern: '{{ trigger.expected + 1 }}' } }, true],
    ['a mixed template renders to a string', { 'trigger.name': { type: 'equals', pattern: 'de{{ "ploy" }}' } }, true],
    ['st2kv in a pattern', { 'trigger.env': { type: 'equals', pattern: '{{ st2kv.system.env }}' } }, true],
    ['a pattern that cannot render never matches', { 'trigger.env': { type: 'equals', pattern: '{{ nothing.here }}' } }, false],
    ['a number pattern against a string value', { 'trigger.count': { type: 'equals', pattern: '7' } }, false],
    ['timediff against the injected clock', { 'trigger.at': { type: 'timediff_lt', pattern: 60 } }, true],
    ['timediff_gt against the injected clock', { 'trigger.at': { type: 'timediff_gt', pattern: 60 } }, false],
    ['a malformed path never matches', { 'trigger..name': { type: 'exists' } }, false],
  ])('%s', (_name, criteria, expected) => {
    expect(matches(criteria)).toBe(expected);
  });

  it('never matches criteria against an empty payload, as StackStorm', () => {
    expect(matches({ 'trigger.x': { type: 'nexists' } }, {})).toBe(false);
    expect(matches({}, {})).toBe(true);
  });

  it('says which criterion failed and why', () => {
    const result = evaluateCriteria({ 'trigger.count': { type: 'gt', pattern: 'ten' } }, payload, options);
    expect(result).toMatchObject({ matched: false, key: 'trigger.count', type: 'gt', value: 7, pattern: 'ten' });
    expect(result.matched === false && result.reason).toMatch(/compare/);
  });
});

describe('search', () => {
  const item = (field: string, to: string) => ({
    'item.field_name': { type: 'equals', pattern: field },
    'item.to_value': { type: 'equals', pattern: to },
  });
  it.each<[string, string, Record<string, unknown>, boolean]>([
    ['any: one item matches every pattern', 'any', item('Status', 'Approved'), true],
    ['any: no item matches every pattern', 'any', item('Status', 'bob'), false],
    ['all: every item must match', 'all', { 'item.to_value': { type: 'exists' } }, true],
    ['all: one item fails', 'all', { 'item.field_name': { type: 'equals', pattern: 'Status' } }, false],
    [
      'all2any: each pattern matched by some item',
      'all2any',
      { 'item.field_name': { type: 'equals', pattern: 'Status' }, 'item.to_value': { type: 'equals', pattern: 'bob' } },
      true,
    ],
    [
      'all2any: one pattern matched by no item',
      'all2any',
      { 'item.field_name': { type: 'equals', pattern: 'Status' }, 'item.to_value': { type: 'equals', pattern: 'carol' } },
      false,
    ],
    [
      'any2any: some pattern matched by some item',
      'any2any',
      { 'item.field_name': { type: 'equals', pattern: 'Nope' }, 'item.to_value': { type: 'equals', pattern: 'bob' } },
      true,
    ],
    ['any2any: nothing matches', 'any2any', { 'item.field_name': { type: 'equals', pattern: 'Nope' } }, false],
    ['an unknown condition never matches', 'most', item('Status', 'Approved'), false],
  ])('%s', (_name, condition, pattern, expected) => {
    expect(matches({ 'trigger.fields': { type: 'search', condition, pattern } })).toBe(expected);
  });

  it('on an empty list: all holds, the others do not (Python any/all)', () => {
    const data = { fields: [] as unknown[] };
    const pattern = { 'item.x': { type: 'exists' } };
    expect(matches({ 'trigger.fields': { type: 'search', condition: 'all', pattern } }, data)).toBe(true);
    expect(matches({ 'trigger.fields': { type: 'search', condition: 'any', pattern } }, data)).toBe(false);
    expect(matches({ 'trigger.fields': { type: 'search', condition: 'all2any', pattern } }, data)).toBe(false);
  });

  it('on a value that is not a list never matches', () => {
    expect(matches({ 'trigger.count': { type: 'search', condition: 'any', pattern: { 'item.x': { type: 'nexists' } } } })).toBe(false);
  });
});

describe('criteriaProblems', () => {
  it('accepts valid criteria', () => {
    expect(
      criteriaProblems({
        'trigger.a': { type: 'eq', pattern: 1 },
        'trigger.list': { type: 'search', condition: 'any', pattern: { 'item.b': { type: 'exists' } } },
      }),
    ).toEqual([]);
  });

  it('names each problem by its key', () => {
    const problems = criteriaProblems({
      'trigger.a': { pattern: 1 },
      'trigger.b': { type: 'sounds_like' },
      'trigger..c': { type: 'eq' },
      'trigger.d': { type: 'search', condition: 'some', pattern: { 'item.e': { type: 'bogus' } } },
    });
    expect(problems.join('\n')).toMatch(/criteria\.trigger\.a\.type: is required/);
    expect(problems.join('\n')).toMatch(/criteria\.trigger\.b\.type: unknown operator "sounds_like"/);
    expect(problems.join('\n')).toMatch(/criteria\.trigger\.\.c: empty field/);
    expect(problems.join('\n')).toMatch(/criteria\.trigger\.d\.condition/);
    expect(problems.join('\n')).toMatch(/criteria\.trigger\.d\.pattern\.item\.e\.type: unknown operator/);
  });
});
