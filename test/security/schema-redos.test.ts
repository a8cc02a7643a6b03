import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * A pack's parameter schema carries a `pattern` that backtracks (`^(a+)+$`), and a caller sends the
 * value crafted against it. The schema validator tested it in the API's process with JavaScript's
 * regex engine: thirty characters held the API for half a minute, forty for hours. Every schema
 * pattern is now tested under V8's watchdog and a value it cannot clear in time is refused.
 */
let deployment: EmbeddedDeployment;
let packDir: string;

beforeAll(async () => {
  packDir = await writePack({
    'pack.yaml': 'ref: redos_schema\nname: redos_schema\ndescription: hostile parameter patterns\nversion: 1.0.0\nauthor: tests\n',
    'actions/match.yaml': [
      'name: match',
      'runner_type: local-shell-cmd',
      'parameters:',
      '  cmd: {type: string, default: "echo matched"}',
      "  text: {type: string, pattern: '^(a+)+$'}",
      '  labels:',
      '    type: object',
      "    patternProperties: {'^(x+x+)+y$': {type: string}}",
      '    additionalProperties: {type: integer}',
    ].join('\n'),
  });
  deployment = await startEmbeddedDeployment({ name: 'security-schema-redos', packDirs: [packDir] });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  await rm(packDir, { recursive: true, force: true });
});

describe('a parameter pattern against a value crafted to backtrack', () => {
  it('is refused at once, naming the parameter, and the API goes on serving', async () => {
    const started = Date.now();
    const refused = await deployment.call('POST', '/api/v1/executions', { action: 'redos_schema.match', parameters: { text: `${'a'.repeat(40)}!` } });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.body).toMatch(/text/);
    const keyed = await deployment.call('POST', '/api/v1/executions', { action: 'redos_schema.match', parameters: { labels: { [`${'x'.repeat(40)}`]: 'not an integer' } } });
    expect(keyed.statusCode, keyed.body).toBe(400);
    expect(Date.now() - started).toBeLessThan(10_000);
    // A value the pattern clears in time still runs.
    const accepted = await deployment.call('POST', '/api/v1/executions', { action: 'redos_schema.match', parameters: { text: 'aaaa' } });
    expect(accepted.statusCode, accepted.body).toBe(201);
  }, 60_000);
});
