import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSensorWrapper } from './node-sensor-wrapper.ts';

/** The Node sensor wrapper run by hand, as docs/sensors.md tells a pack author to debug a sensor. */
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'packrun-node-sensor-'));
  await writeFile(
    path.join(dir, 'counter.mjs'),
    `export class Counter {
  constructor(service, config) { this.service = service; this.config = config; this.n = 0; }
  async setup() { await this.service.setValue('started', 'yes'); }
  addTrigger(trigger) { this.service.dispatch('seen', { ref: trigger.ref }); }
  async poll() {
    this.n += 1;
    this.service.dispatch('count', { n: this.n, greeting: this.config.greeting, started: await this.service.getValue('started') });
  }
  async cleanup() { this.service.dispatch('mypack.bye', { n: this.n }); }
}
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Node sensor wrapper by hand', () => {
  it('polls, prints each dispatch as a JSON line, and runs cleanup on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [
        nodeSensorWrapper,
        '--entry-point', path.join(dir, 'counter.mjs'),
        '--class-name', 'Counter',
        '--pack', 'mypack',
        '--poll-interval', '0.05',
        '--config', '{"greeting": "hi"}',
        '--triggers', '[{"ref": "mypack.watch.1", "type": "mypack.watch", "parameters": {}}]',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split('\n').length > 4) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { trigger: string; payload: Record<string, unknown> });
    expect(code).toBe(0);
    expect(lines[0]).toEqual({ trigger: 'mypack.seen', payload: { ref: 'mypack.watch.1' }, trace_tag: null });
    expect(lines[1]).toMatchObject({ trigger: 'mypack.count', payload: { n: 1, greeting: 'hi', started: 'yes' } });
    expect(lines.at(-1)).toMatchObject({ trigger: 'mypack.bye' });
  });
});
