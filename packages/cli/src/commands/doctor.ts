import type { Command } from 'commander';
import { detectSandbox, loadConfig, operatorSandboxPolicy, warmSpawnStatus, type SandboxLimits } from '@packrun/core';
import { CliExit } from '../exit.ts';

/**
 * `packrun doctor`: what this host gives the sandbox. Each layer is probed for real (a namespace
 * created, a cgroup made and removed, a uid switched to), then printed active or not, with why.
 * Exits 1 when a layer the configuration marks `required` is missing.
 */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check which sandbox layers this host provides and why any is missing')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const host = await detectSandbox(config);
      const limits = operatorSandboxPolicy(config);
      const warmSpawn = warmSpawnStatus(config, host);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ layers: host.layers, missingRequired: host.missingRequired, limits, warmSpawn }, null, 2)}\n`);
      } else {
        const width = Math.max(...host.layers.map((layer) => layer.name.length));
        for (const layer of host.layers) {
          const state = layer.active ? 'active  ' : 'inactive';
          process.stdout.write(`${layer.name.padEnd(width)}  ${state}  ${layer.reason}${layer.mode === 'required' ? ' [required]' : ''}\n`);
        }
        process.stdout.write(`\njob limits (default / largest a pack may ask for): ${describeLimits(limits.defaults, limits.caps)}\n`);
        process.stdout.write(`warm spawning: ${warmSpawn.active ? 'on' : 'off'}, ${warmSpawn.reason}\n`);
        if (host.missingRequired.length > 0) process.stdout.write(`\nrequired but missing: ${host.missingRequired.join(', ')}\n`);
      }
      if (host.missingRequired.length > 0) throw new CliExit(1);
    });
}

function describeLimits(defaults: SandboxLimits, caps: SandboxLimits): string {
  return [
    `memory ${defaults.memoryMb} / ${caps.memoryMb} MiB`,
    `pids ${defaults.pids} / ${caps.pids}`,
    `cpu ${defaults.cpu} / ${caps.cpu} cores`,
    `timeout ${defaults.timeoutSeconds} / ${caps.timeoutSeconds} s`,
    `network ${caps.network ? 'allowed unless a pack turns it off' : 'off for every job'}`,
  ].join(', ');
}
