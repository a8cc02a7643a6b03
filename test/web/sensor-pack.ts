import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { retryUntil } from '../helpers/retry-until.ts';
import type { BrowserStack } from './browser-stack.ts';

/**
 * A pack of Node sensors for the web UI's sensors and triggers views, installed through the API
 * from a folder: `websense.Quiet` runs and dispatches nothing, declaring `websense.order` (a
 * payload schema with a required string, an integer, an enum and a boolean); `websense.Crasher`
 * writes `stderr` lines and exits 3 at once, every time.
 */
export async function installSensorPack(stack: BrowserStack, stderr: string[]): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'packrun-web-sensors-'));
  const files: Record<string, string> = {
    'pack.yaml': 'ref: websense\nname: websense\nversion: 0.1.0\ndescription: Sensors the web UI shows\nauthor: tests\nemail: tests@example.com\n',
    'sensors/quiet.yaml': [
      'class_name: Quiet',
      'entry_point: quiet.mjs',
      'description: Waits, dispatching nothing',
      'trigger_types:',
      '  - name: order',
      '    description: An order came in',
      '    payload_schema:',
      '      type: object',
      '      properties:',
      '        order_id: {type: string, description: The order}',
      '        amount: {type: integer, minimum: 1}',
      '        speed: {type: string, enum: [normal, rush], default: normal}',
      '        gift: {type: boolean}',
      '      required: [order_id]',
    ].join('\n'),
    // A pending promise alone would let node exit: the interval keeps the process alive.
    'sensors/quiet.mjs': 'export default class Quiet {\n  async run() {\n    await new Promise(() => setInterval(() => undefined, 60_000));\n  }\n}\n',
    'sensors/crasher.yaml': 'class_name: Crasher\nentry_point: crasher.js\ndescription: Fails at once\ntrigger_types: []\n',
    'sensors/crasher.js': `class Crasher {\n  async run() {\n${stderr.map((line) => `    process.stderr.write(${JSON.stringify(`${line}\n`)});\n`).join('')}    process.exit(3);\n  }\n}\nmodule.exports = { Crasher };\n`,
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), content);
  }
  const install = await stack.api<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [folder] });
  if (install.status !== 202 && install.status !== 201 && install.status !== 200) throw new Error(`install refused: ${JSON.stringify(install.body)}`);
  await retryUntil(async () => (await stack.api<{ status: string }>('GET', `/api/v1/executions/${install.body.execution_id}`)).body.status === 'succeeded', {
    what: 'the sensor pack installed',
    withinMs: 120_000,
    everyMs: 250,
  });
  return folder;
}

/** Waits until the API reports a sensor in this state. */
export async function sensorState(stack: BrowserStack, ref: string, wanted: (sensor: { status: string; stderr_tail?: string[] }) => boolean, what: string): Promise<void> {
  await retryUntil(async () => wanted((await stack.api<{ status: string; stderr_tail?: string[] }>('GET', `/api/v1/sensortypes/${ref}`)).body), { what, withinMs: 40_000, everyMs: 200 });
}
