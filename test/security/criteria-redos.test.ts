import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';

/**
 * A rule's regex criterion meets a payload crafted against it: `^(a+)+$` on forty `a`s and a `!`
 * backtracks for minutes in JavaScript's regex engine. The rules engine runs in the runtime's
 * process (`packrun up`), so one webhook held it, and the API with it, for as long. Each match now
 * runs under a watchdog: the criterion fails to match, saying why, and the next trigger is served.
 */
let deployment: EmbeddedDeployment;
let packDir: string;

const pack: Record<string, string> = {
  'pack.yaml': 'ref: redos\nname: redos\ndescription: rules with hostile patterns\nversion: 1.0.0\nauthor: tests\n',
  'actions/say.yaml': 'name: say\nrunner_type: local-shell-cmd\nparameters:\n  cmd: {type: string, default: "echo said"}\n',
  'rules/nested.yaml': [
    'name: nested',
    'pack: redos',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: redos/nested}}',
    "criteria: {trigger.body.text: {type: regex, pattern: '^(a+)+$'}}",
    'action: {ref: redos.say}',
  ].join('\n'),
  'rules/globbed.yaml': [
    'name: globbed',
    'pack: redos',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: redos/globbed}}',
    "criteria: {trigger.body.text: {type: matchregex, pattern: '(x+x+)+y'}}",
    'action: {ref: redos.say}',
  ].join('\n'),
  'rules/plain.yaml': [
    'name: plain',
    'pack: redos',
    'enabled: true',
    'trigger: {type: core.st2.webhook, parameters: {url: redos/plain}}',
    'action: {ref: redos.say}',
  ].join('\n'),
};

beforeAll(async () => {
  packDir = await writePack(pack);
  deployment = await startEmbeddedDeployment({ name: 'security-redos', packDirs: [packDir] });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  await rm(packDir, { recursive: true, force: true });
});

describe('a regex criterion against a payload crafted to backtrack', () => {
  it('does not match, says why, and the next trigger is served at once', async () => {
    const started = Date.now();
    for (const [url, text] of [['redos/nested', `${'a'.repeat(40)}!`], ['redos/globbed', 'x'.repeat(40)]] as const) {
      expect((await deployment.call('POST', `/api/v1/webhooks/${url}`, { text })).statusCode).toBe(202);
    }
    expect((await deployment.call('POST', '/api/v1/webhooks/redos/plain', {})).statusCode).toBe(202);
    const served = await deployment.executionOf('redos.plain', 30_000);
    expect(served.status).toBe('succeeded');
    // Two watchdogs of a second each, not minutes.
    expect(Date.now() - started).toBeLessThan(30_000);
    await retryUntil(async () => (await deployment.store.triggerInstances.find({ status: 'processed' })).length >= 3, { what: 'all three trigger instances processed' });
    expect(await deployment.store.ruleEnforcements.find({ rule: { $in: ['redos.nested', 'redos.globbed'] } })).toEqual([]);
  }, 60_000);
});
