import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionOutcome } from '@packrun/core';
import { processPrespawnPool, processZygotePool } from '@packrun/action-runner';
import { hostilePackDir, sandboxFixture, testUidRange, type SandboxFixture } from './sandbox-fixture.ts';

/**
 * Case 24 of docs/sandbox.md: a job connects to another job's control or output channel. The
 * hostile pack's `hijack` attack watches /proc/net/unix for the runner's listening job sockets
 * (and tries those not listed there, in another network namespace, by the addresses this test
 * names) and poses as the forked child on each new one (control stream first, as the real child
 * connects it last), reads whatever frames the runner sends (a victim's `start` and `job`
 * frames: its environment, parameters, config) and answers with a forged result. Its victims,
 * while it watches: executions of another pack, of its own pack (the same zygote when warm), and
 * of another Packrun installation on the same host. Under test/warm-modes.config.ts this runs with
 * warm spawning on and off.
 *
 * Other Packrun runtimes may run on this host meanwhile (other test runs): the attack must not
 * take over their executions. So this process writes every address its runtimes listen on into a
 * file in the hostile pack, which the attack reads to tell this test's sockets from the others.
 */
const victimAction = `from st2common.runners.base_action import Action


class Victim(Action):
    def run(self, password):
        return {"genuine": True}
`;

function writeVictimPack(root: string): string {
  const dir = path.join(root, 'victim');
  mkdirSync(path.join(dir, 'actions'), { recursive: true });
  writeFileSync(path.join(dir, 'pack.yaml'), 'ref: victim\nname: victim\ndescription: executions a hostile job tries to hijack\nversion: 0.1.0\nauthor: Packrun tests\nemail: tests@example.invalid\n');
  writeFileSync(path.join(dir, 'actions', 'victim.py'), victimAction);
  writeFileSync(path.join(dir, 'actions', 'victim.yaml'), 'name: victim\nrunner_type: python-script\nentry_point: victim.py\nparameters:\n  password:\n    type: string\n    secret: true\n    required: true\n');
  return dir;
}

interface HijackReport {
  seen: string[];
  refused: string[];
  connected: number;
  frames: string[];
  forged: number;
}

let fixture: SandboxFixture;
let otherInstallation: SandboxFixture;
let stopRecording: (() => void) | undefined;

/**
 * Appends each address a server of this process listens on to `file` (NUL shown as "@", as
 * /proc/net/unix shows it), before the socket exists. The servers still listen for real.
 */
function recordListenAddresses(file: string): () => void {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    if (typeof args[0] === 'string') appendFileSync(file, `${args[0].replaceAll('\0', '@')}\n`);
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  return () => {
    net.Server.prototype.listen = listen;
    rmSync(file, { force: true });
  };
}
let allLayers = false;
let notAllLayers = '';

beforeAll(async () => {
  // Two installations on one host, each with a uid range of its own (half of this test process's).
  const range = testUidRange();
  const half = Number(range.PACKRUN_SANDBOX_UID_COUNT) / 2;
  const victimPack = writeVictimPack(mkdtempSync(path.join(os.tmpdir(), 'packrun-victim-')));
  fixture = await sandboxFixture({ PACKRUN_SANDBOX_UID: range.PACKRUN_SANDBOX_UID, PACKRUN_SANDBOX_UID_COUNT: String(half) }, [hostilePackDir, victimPack]);
  allLayers = fixture.host.layers.every((layer) => layer.active);
  if (!allLayers) {
    notAllLayers = `not every layer is active on this host (${fixture.host.layers.filter((layer) => !layer.active).map((layer) => layer.name).join(', ')})`;
    return;
  }
  otherInstallation = await sandboxFixture({ PACKRUN_SANDBOX_UID: String(Number(range.PACKRUN_SANDBOX_UID) + half), PACKRUN_SANDBOX_UID_COUNT: String(half) }, [victimPack]);
  stopRecording = recordListenAddresses(path.join(realpathSync(path.join(fixture.paths.packs, 'hostile')), 'hijack-targets.txt'));
}, 600_000);

afterAll(async () => {
  stopRecording?.();
  await processZygotePool(fixture.config).close();
  await processPrespawnPool(fixture.config).close();
});

describe.runIf(process.getuid?.() === 0)('24: a job connecting to another job channel', () => {
  it('is refused: it gets no frame of another pack, its own pack or another installation, and forges no result', async (context) => {
    if (!allLayers) return context.skip(notAllLayers);
    const secrets: string[] = [];
    const secret = (): string => {
      const value = `secret${randomBytes(8).toString('hex')}`;
      secrets.push(value);
      return value;
    };
    const watchSeconds = 5;
    const attacker = fixture.run('hostile.attack_network', { case: 'hijack', paths: [String(watchSeconds)] });
    let watching = true;
    void attacker.finally(() => (watching = false));
    // The attacker's process has started and watches before the first victim arrives.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const victims: ActionOutcome[] = [];
    while (watching) {
      // Two of a kind at once: one takes the child forked ahead, the other gets one forked on the spot.
      victims.push(
        ...(await Promise.all([
          fixture.run('victim.victim', { password: secret() }),
          fixture.run('victim.victim', { password: secret() }),
          fixture.run('hostile.attack_network', { case: 'victim', canary: secret() }),
          otherInstallation.run('victim.victim', { password: secret() }),
          otherInstallation.run('victim.victim', { password: secret() }),
        ])),
      );
    }
    const stolen = await attacker;
    expect(stolen.status, JSON.stringify(stolen.result)).toBe('succeeded');
    const report = stolen.result['result'] as HijackReport;
    expect(victims.length).toBeGreaterThanOrEqual(10);
    for (const victim of victims) {
      expect(victim.status, JSON.stringify(victim.result)).toBe('succeeded');
      expect(victim.result['result']).toEqual({ genuine: true });
    }
    expect(report.frames).toEqual([]);
    expect(report.forged).toBe(0);
    const everythingTheAttackerGot = JSON.stringify(stolen);
    for (const value of secrets) expect(everythingTheAttackerGot).not.toContain(value);
    // Warm, the attack was tried on the zygotes' stream sockets, and the kernel refused each
    // connection. They are not even listed in the attacker's /proc/net/unix (its zygote has a
    // network namespace of its own), so it went by the paths this test names.
    if (fixture.config.warmSpawn) expect(report.refused.length).toBeGreaterThan(0);
  });
});
