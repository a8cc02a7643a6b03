import { describe, expect, it } from 'vitest';
import type { ActionOutcome } from '@packrun/core';
import { applyOutputSchema } from './output-schema.ts';

const outcome = (result: Record<string, unknown>, status: ActionOutcome['status'] = 'succeeded'): ActionOutcome => ({ status, result, durationMs: 5 });
const action = (outputSchema: Record<string, unknown>, runnerType = 'python-script') => ({ ref: 'p.a', runnerType, outputSchema });

describe('output_schema', () => {
  const schema = {
    type: 'object',
    properties: { items: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, key: { type: 'string', secret: true } } } } },
    patternProperties: { '^pw_': { type: 'string', secret: true } },
    additionalProperties: { type: 'object', properties: { token: { secret: true } } },
  };

  it('masks what the schema marks secret, in properties, array items, patternProperties and additionalProperties', () => {
    const done = applyOutputSchema(action(schema), outcome({ result: { items: [{ id: 1, key: 'k1' }], pw_db: 'p', other: { token: 't', keep: 1 } }, stdout: '' }));
    expect(done).toMatchObject({ status: 'succeeded', result: { result: { items: [{ id: 1, key: '********' }], pw_db: '********', other: { token: '********', keep: 1 } }, stdout: '' } });
  });

  it('fails a succeeded execution whose output breaks the schema, naming the output path and the schema path', () => {
    const done = applyOutputSchema(action(schema), outcome({ result: { items: [{ id: 'x', key: 'k' }] }, stdout: 'out', exit_code: 0 }));
    expect(done.status).toBe('failed');
    expect(done.result).toEqual({
      error: 'p.a: output does not match its output_schema: result.items.0.id must be integer (schema path #/properties/items/items/properties/id/type)',
      message: 'Error validating output. See error output for more details.',
      stdout: 'out',
      exit_code: 0,
    });
    expect(JSON.stringify(done)).not.toContain('"k"');
  });

  it('checks http-request output under body, leaves shell runners and failed executions unchecked, and legacy schemas unenforced but masked', () => {
    expect(applyOutputSchema(action({ type: 'object', required: ['x'] }, 'http-request'), outcome({ body: {}, status_code: 200 })).status).toBe('failed');
    expect(applyOutputSchema(action({ type: 'object', required: ['x'] }, 'local-shell-cmd'), outcome({ stdout: {} })).status).toBe('succeeded');
    expect(applyOutputSchema(action({ type: 'object', required: ['x'] }), outcome({ result: {} }, 'failed')).status).toBe('failed');
    const legacy = applyOutputSchema(action({ count: { type: 'integer' }, secret_key: { type: 'string', secret: true } }), outcome({ result: { count: 'not a number', secret_key: 's' } }));
    expect(legacy).toMatchObject({ status: 'succeeded', result: { result: { count: 'not a number', secret_key: '********' } } });
  });

  it('a schema pattern that backtracks on the output never holds the caller past the watchdog', () => {
    const key = `${'a'.repeat(40)}!`;
    for (const [schema, mismatch] of [
      [{ type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } }, 'succeeded'],
      [{ type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } }, 'failed'],
    ] as const) {
      const started = Date.now();
      const done = applyOutputSchema(action(schema), outcome({ result: { [key]: 'value', name: key } }));
      expect(Date.now() - started).toBeLessThan(3000);
      // Cut off by the watchdog, the execution fails saying why; when V8 gives up on the
      // backtracking itself (its linear fallback), the pattern simply does not match.
      if (done.status === 'failed' && String(done.result['error']).includes('backtracks')) continue;
      expect(done.status).toBe(mismatch);
    }
  });

  it('masking a failed execution\'s output: a backtracking patternProperties pattern masks the field instead of hanging', () => {
    const key = `${'a'.repeat(40)}!`;
    const started = Date.now();
    const done = applyOutputSchema(action({ type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } }), outcome({ result: { [key]: 'value' } }, 'failed'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(done.result['result']).toEqual({ [key]: '********' });
  });
});
