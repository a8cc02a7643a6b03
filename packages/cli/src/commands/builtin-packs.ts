import { createSandboxDecorator, detectSandbox, type PackrunConfig, type SpawnDecorator } from '@packrun/core';

/**
 * Every start of Packrun (`packrun up`, `packrun api`, `packrun action-runner`, `packrun run`)
 * makes sure the built-in packs it ships (core) are installed at the shipped version, and says so
 * on stderr when it installed or upgraded one.
 */
export async function installBuiltinPacks(config: PackrunConfig, decorator?: SpawnDecorator): Promise<void> {
  // Loaded here, when a command starts, never for --help.
  const { ensureBuiltinPacks, outdatedBuiltinPacks } = await import('@packrun/pack-installer');
  // Checked first so that the sandbox is only probed when there is something to install.
  if ((await outdatedBuiltinPacks(config.home)).length === 0) return;
  const result = await ensureBuiltinPacks({
    config,
    decorator: decorator ?? createSandboxDecorator({ host: await detectSandbox(config), config }),
  });
  for (const pack of result?.installed ?? []) process.stderr.write(`built-in pack ${pack.ref} ${pack.version} installed\n`);
}
