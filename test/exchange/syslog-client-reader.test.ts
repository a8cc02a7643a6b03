import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { apiProbePackDir, packCodeApiFixture, resultOf, type PackCodeApiFixture } from '../st2client/pack-code-api-fixture.ts';

/**
 * StackStorm-Exchange/stackstorm-syslog_client, unmodified, its format_execution_result and the
 * log_via_syslog chain around it, inside a real `packrun up` with every sandbox layer. Both read
 * an execution they did not start (the one a rule names) through st2client with the job's token:
 * the operator lists the pack in PACKRUN_ACTION_API_EXECUTION_READERS as well as in
 * PACKRUN_ACTION_API_PACKS, and the executions run as a user who reads every execution: the CLI
 * key's (a system_admin), or for the pack's own rule `packrun`, once the operator gives it an
 * observer key. What the grant still refuses is test/security/pack-code-execution-reader.test.ts.
 */
const syslogPackDir = path.join(repoRoot, 'test/fixtures/exchange/syslog_client');
let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;
const received: string[] = [];
const listener = net.createServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk.toString('utf8'))));

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => listener.listen(0, '127.0.0.1', () => resolve((listener.address() as net.AddressInfo).port)));
  const made = await packCodeApiFixture({
    warm: true,
    packs: [syslogPackDir, apiProbePackDir],
    env: {
      PACKRUN_ACTION_API_PACKS: 'syslog_client,apiprobe',
      PACKRUN_ACTION_API_EXECUTION_READERS: 'syslog_client',
      PACKRUN_SANDBOX_HOST_PORTS: `syslog_client=${port}`,
    },
  });
  if ('skip' in made) {
    skipReason = made.skip;
    return;
  }
  fixture = made.fixture;
  const configured = await fixture.api.call('PUT', '/api/v1/configs/syslog_client', { server: '127.0.0.1', port, protocol: 'TCP' });
  expect(configured.status, JSON.stringify(configured.body)).toBe(200);
}, 600_000);

afterAll(async () => {
  listener.close();
  await fixture?.close();
});

describe.runIf(process.getuid?.() === 0)('syslog_client reading another execution (PACKRUN_ACTION_API_EXECUTION_READERS)', () => {
  it('format_execution_result formats an execution it did not start', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('apiprobe.probe', { case: 'hold', seconds: 0 });
    const record = await fixture!.execute('syslog_client.format_execution_result', { execution_id: other.id });
    const { message } = resultOf<{ message: string }>(record);
    // The pack's default.j2 as StackStorm renders it: its python-script branch keeps `result`, and
    // st2's to_human_time_from_seconds writes a time under a second as microseconds.
    const lines = [
      '',
      'Action apiprobe.probe completed.',
      'status : succeeded',
      `execution: ${other.id}`,
      '',
      `web_url: http://127.0.0.1:${fixture!.apiPort}/executions/${other.id}`,
      '',
      /Took \d+(\.\d+)?(μs|s) to complete\./,
      '',
      'result :',
      '--------',
      'result : ',
      '  held : 0',
      '',
      '',
    ];
    const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(message).toMatch(new RegExp(`^${lines.map((line) => (typeof line === 'string' ? literal(line) : line.source)).join('\n')}$`));
  });

  it('log_via_syslog sends that text to the syslog listener', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('apiprobe.probe', { case: 'hold', seconds: 0 });
    const record = await fixture!.execute('syslog_client.log_via_syslog', { execution_id: other.id });
    expect(record.status, JSON.stringify(record.result)).toBe('succeeded');
    await retryUntil(async () => received.join('').includes(`execution: ${other.id}`), { what: 'the formatted execution over syslog', withinMs: 30_000 });
    expect(received.join('')).toContain('Action apiprobe.probe completed.');
  });

  it("the pack's own rule (write_log, on a notify route) logs an execution once the user rules run as may read it", async (context) => {
    if (skipReason) return context.skip(skipReason);
    /** The log_via_syslog the rule started for a probe run with a `syslog` notify route, once it ended. */
    async function loggedBy(): Promise<{ probe: string; log: St2Execution }> {
      const probe = await fixture!.api.call<St2Execution>('POST', '/api/v1/executions', {
        action: 'apiprobe.probe',
        parameters: { case: 'hold', seconds: 0 },
        notify: { 'on-complete': { routes: ['syslog'] } },
      });
      expect(probe.status, JSON.stringify(probe.body)).toBe(201);
      let log: St2Execution | undefined;
      await retryUntil(
        async () => {
          const listed = await fixture!.api.call<St2Execution[]>('GET', '/api/v1/executions?action=syslog_client.log_via_syslog&limit=20');
          log = listed.body.find((item) => item.parameters['execution_id'] === probe.body.id);
          return log !== undefined;
        },
        { what: 'the rule to start log_via_syslog', withinMs: 60_000 },
      );
      expect(log!.context['user']).toBe('packrun');
      return { probe: probe.body.id, log: await fixture!.waitFor(log!.id) };
    }
    // `packrun` holds no key: its pack code reads no execution it did not start.
    const refused = await loggedBy();
    // The API answered 404, as for an id that does not exist: st2client gives None, the pack fails on it.
    expect(refused.log.status).toBe('failed');
    expect(JSON.stringify(refused.log.result)).toContain("TypeError: 'NoneType' object is not subscriptable");
    expect(received.join('')).not.toContain(`execution: ${refused.probe}`);
    const key = await fixture!.api.call('POST', '/api/v1/apikeys', { user: 'packrun', role: 'observer' });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const logged = await loggedBy();
    expect(logged.log.status, JSON.stringify(logged.log.result)).toBe('succeeded');
    await retryUntil(async () => received.join('').includes(`execution: ${logged.probe}`), { what: 'the rule\'s syslog line', withinMs: 30_000 });
  });
});
