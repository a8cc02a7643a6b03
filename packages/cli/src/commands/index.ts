import type { Command } from 'commander';

interface CommandModule {
  /** The top-level command names the module registers. */
  names: string[];
  load: () => Promise<{ register: (program: Command) => void }>;
}

/**
 * Every subcommand module exports a `register(program)` function; add yours to this list.
 * Modules are imported only when their command runs: loading every service (fastify, the store
 * drivers, the sandbox) for `packrun run` would cost the user about a second on each call.
 */
const modules: CommandModule[] = [
  { names: ['doctor'], load: () => import('./doctor.ts') },
  { names: ['run'], load: () => import('./run.ts') },
  { names: ['action'], load: () => import('./action.ts') },
  { names: ['up'], load: () => import('./up.ts') },
  { names: ['api'], load: () => import('./api.ts') },
  { names: ['action-runner'], load: () => import('./action-runner.ts') },
  { names: ['api-key'], load: () => import('./api-key.ts') },
  { names: ['execution'], load: () => import('./execution.ts') },
  { names: ['key'], load: () => import('./key.ts') },
  { names: ['pack'], load: () => import('./pack.ts') },
  { names: ['rule', 'rules-engine'], load: () => import('./rule.ts') },
  { names: ['sensor', 'sensor-container'], load: () => import('./sensor.ts') },
  { names: ['trigger'], load: () => import('./trigger.ts') },
  { names: ['inquiry'], load: () => import('./inquiry.ts') },
  { names: ['workflow-engine'], load: () => import('./workflow-engine.ts') },
];

/** The first word of argv after the program that is not an option: the command asked for, if any. */
export function commandNamed(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}

/**
 * Registers the module of the command named in argv, or every module when none is named (help,
 * an unknown command), so that help always lists the whole surface.
 */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const named = commandNamed(argv);
  const chosen = modules.filter((module) => named !== undefined && module.names.includes(named));
  for (const module of chosen.length > 0 ? chosen : modules) (await module.load()).register(program);
}
