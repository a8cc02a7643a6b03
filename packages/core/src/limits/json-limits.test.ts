import { describe, expect, it } from 'vitest';
import { checkJsonBytes, checkJsonValue, JsonLimitError, parseBoundedJson, type JsonLimits } from './json-limits.ts';
import { inputSubject } from './configured-limits.ts';

const limits: JsonLimits = { maxBytes: 1024 * 1024, maxDepth: 4, maxStringBytes: 16, maxItems: 5 };
const subject = inputSubject('the body');

function refusal(check: () => void): JsonLimitError {
  try {
    check();
  } catch (error) {
    if (error instanceof JsonLimitError) return error;
    throw error;
  }
  throw new Error('not refused');
}

const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const both = (value: unknown): JsonLimitError[] => [refusal(() => checkJsonBytes(bytes(value), limits, subject)), refusal(() => checkJsonValue(value, limits, subject))];

describe('JSON limits', () => {
  it('accept what is within every limit, in text and in hand', () => {
    const value = { a: [1, 2, { b: 'sixteen bytes ok' }], 'k"q\\': 'x\\"y', n: null };
    expect(() => checkJsonBytes(bytes(value), limits, subject)).not.toThrow();
    expect(() => checkJsonValue(value, limits, subject)).not.toThrow();
    expect(parseBoundedJson(bytes(value), limits, subject)).toEqual(value);
  });

  it('refuse nesting one level too deep, naming the setting, with a 400', () => {
    for (const error of both({ a: { b: { c: { d: {} } } } })) {
      expect(error).toMatchObject({ code: 'INPUT_TOO_DEEP', limit: 'depth', httpStatus: 400, details: { max: 4, setting: 'PACKRUN_JSON_MAX_DEPTH' } });
      expect(error.message).toBe('the body is nested more than 4 levels deep (PACKRUN_JSON_MAX_DEPTH)');
    }
    expect(() => checkJsonBytes(bytes({ a: { b: { c: {} } } }), limits, subject)).not.toThrow();
  });

  it('do not count brackets inside strings, escaped quotes included', () => {
    const tricky = { s: '\\"[[[[[[' };
    expect(() => checkJsonBytes(bytes(tricky), { ...limits, maxStringBytes: 100 }, subject)).not.toThrow();
  });

  it('refuse a long string, key or value, and too many items', () => {
    for (const error of both({ s: 'x'.repeat(17) })) expect(error).toMatchObject({ code: 'INPUT_STRING_TOO_LONG', httpStatus: 413 });
    for (const error of both({ ['k'.repeat(17)]: 1 })) expect(error.code).toBe('INPUT_STRING_TOO_LONG');
    for (const error of both([1, 2, 3, 4, 5, 6])) expect(error).toMatchObject({ code: 'INPUT_TOO_MANY_ITEMS', details: { max: 5 } });
    for (const error of both({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })) expect(error.code).toBe('INPUT_TOO_MANY_ITEMS');
    expect(() => checkJsonBytes(bytes([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]), limits, subject)).not.toThrow();
  });

  it('measure strings in UTF-8 bytes', () => {
    for (const error of both({ s: 'é'.repeat(9) })) expect(error.code).toBe('INPUT_STRING_TOO_LONG');
  });

  it('refuse a body over the byte limit before looking inside', () => {
    const error = refusal(() => checkJsonBytes(Buffer.alloc(2000, 0x20), { ...limits, maxBytes: 1000 }, subject));
    expect(error).toMatchObject({ code: 'INPUT_TOO_LARGE', httpStatus: 413, details: { found: 2000, max: 1000 } });
    expect(refusal(() => checkJsonValue(['x'.repeat(10)].concat(Array(4).fill('y'.repeat(10))), { ...limits, maxBytes: 40 }, subject)).code).toBe('INPUT_TOO_LARGE');
  });

  it('refuse 500,000 levels of arrays, and a value that holds itself, without recursion', () => {
    const deep = Buffer.from(`${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    expect(refusal(() => checkJsonBytes(deep, { ...limits, maxBytes: deep.length }, subject)).code).toBe('INPUT_TOO_DEEP');
    let nested: unknown = [];
    for (let level = 0; level < 500_000; level += 1) nested = [nested];
    expect(refusal(() => checkJsonValue(nested, limits, subject)).code).toBe('INPUT_TOO_DEEP');
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(refusal(() => checkJsonValue(cycle, limits, subject)).code).toBe('INPUT_TOO_DEEP');
  });

  it('name results as results', () => {
    const error = refusal(() => checkJsonBytes(bytes([[[[[]]]]]), limits, { what: 'the result', family: 'RESULT', settings: { depth: 'PACKRUN_JSON_MAX_DEPTH' } }));
    expect(error.code).toBe('RESULT_TOO_DEEP');
  });

  it('report text that is not JSON as JSON_INVALID', () => {
    expect(() => parseBoundedJson(Buffer.from('{"a":'), limits, subject)).toThrow(expect.objectContaining({ code: 'JSON_INVALID' }));
  });
});
