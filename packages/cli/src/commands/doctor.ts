import type { Command } from 'commander';
import { checkHostPathGrants, describeHostPathGrants, detectSandbox, loadConfig, operatorSandboxPolicy, refuseExposedGuest, warmSpawnStatus, type PackrunConfig, type SandboxHost, type SandboxLimits } from '@packrun/core';
import type { hostPythons, PythonInterpreter } from '@packrun/pack-installer';
import { CliExit, exitCodes } from '../exit.ts';
import { renderTable } from '../output/table.ts';

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
      const broker = await brokerReport(config, host);
      // A grant the services would refuse at start is refused here too, with the same error.
      checkHostPathGrants(config);
      const hostPaths = config.sandboxHostPaths;
      // The installer (and the workflow checks it carries) only when doctor runs, never for --help.
      const { describePython, hostPythons } = await import('@packrun/pack-installer');
      const pythons = await hostPythons(config);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ layers: host.layers, missingRequired: host.missingRequired, limits, warmSpawn, hostPaths, pythons, ...broker }, null, 2)}\n`);
      } else {
        const rows = host.layers.map((layer) => [
          layer.name,
          // A missing layer the configuration requires is the one that fails the check: red.
          { text: layer.active ? 'active' : 'inactive', colour: layer.active ? ('green' as const) : layer.mode === 'required' ? ('red' as const) : ('yellow' as const) },
          `${layer.reason}${layer.mode === 'required' ? ' [required]' : ''}`,
        ]);
        process.stdout.write(`${renderTable(undefined, rows)}\n`);
        process.stdout.write(`\njob limits (default / largest a pack may ask for): ${describeLimits(limits.defaults, limits.caps)}\n`);
        process.stdout.write(`warm spawning: ${warmSpawn.active ? 'on' : 'off'}, ${warmSpawn.reason}\n`);
        process.stdout.write(`host paths: ${describeHostPathGrants(hostPaths).join('; ')}\n`);
        process.stdout.write(`${describePythons(config, pythons, describePython)}\n`);
        if (broker.brokerCredentials) process.stdout.write(`broker credentials: ${broker.brokerCredentials.ok ? 'ok' : `refused, ${broker.brokerCredentials.reason}`}\n`);
        if (broker.sensorPublishing) {
          const { path, reason } = broker.sensorPublishing;
          process.stdout.write(`sensor publishing: ${path === 'direct' ? 'direct, each pack with a broker user of its own' : path === 'container' ? 'through the sensor container' : 'refused'} (${reason})\n`);
        }
        if (host.missingRequired.length > 0) process.stdout.write(`\nrequired but missing: ${host.missingRequired.join(', ')}\n`);
      }
      if (host.missingRequired.length > 0) throw new CliExit(exitCodes.failed);
    });
}

interface BrokerReport {
  /** Whether a service would accept PACKRUN_RABBITMQ_URL's user (guest is refused where jobs could reach the broker). */
  brokerCredentials?: { ok: boolean; reason?: string };
  /** How the sensor container would get sensors' dispatches to RabbitMQ. */
  sensorPublishing?: { path: 'direct' | 'container' | 'refused'; via?: string; reason: string };
}

/** The distributed deployment's broker checks, as the services would make them at start-up. */
async function brokerReport(config: PackrunConfig, host: SandboxHost): Promise<BrokerReport> {
  if (config.rabbitmqUrl === undefined) return {};
  const brokerCredentials = await refuseExposedGuest(config, host).then(
    () => ({ ok: true }),
    (error: Error) => ({ ok: false, reason: error.message }),
  );
  // The sensor container's code (fastify among it) only when a broker is configured.
  const { chooseSensorPublishing } = await import('@packrun/sensor-container');
  const sensorPublishing = await chooseSensorPublishing(config).then(
    (choice) => (choice.path === 'direct' ? { path: choice.path, via: choice.via, reason: choice.reason } : { path: choice.path, reason: choice.reason }),
    (error: Error) => ({ path: 'refused' as const, reason: error.message }),
  );
  return { brokerCredentials, sensorPublishing };
}

/** The interpreters pack envs can be built with (docs/configuration.md, "Python per pack"). */
function describePythons(config: PackrunConfig, pythons: Awaited<ReturnType<typeof hostPythons>>, describePython: (python: PythonInterpreter) => string): string {
  const one = (python: PythonInterpreter | undefined, name: string) => (python ? `${describePython(python)} (${python.executable})` : `${name} cannot be run`);
  const lines = [`python (PACKRUN_PYTHON): ${one(pythons.configured, config.python)}`];
  for (const [ref, python] of Object.entries(pythons.perPack)) lines.push(`python for pack ${ref} (PACKRUN_PACK_PYTHON): ${one(python, config.packPython[ref] ?? '')}`);
  const search = Array.isArray(config.pythonSearch) ? config.pythonSearch.join(', ') : config.pythonSearch;
  lines.push(`pythons packs' python_versions may pick (PACKRUN_PYTHON_SEARCH ${search}): ${pythons.found.map((python) => one(python, '')).join(', ') || 'none'}`);
  return lines.join('\n');
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
