import { Command, CommanderError } from 'commander';
import { commandNamed, registerCommands } from './commands/index.ts';
import { registerCompletion } from './completion.ts';
import { CliExit, exitCodeForError, exitCodes } from './exit.ts';
import { setVerbose } from './verbose.ts';
import { versionText } from './version.ts';

/** Builds the `packrun` program for these arguments; every subcommand lives in its own module under commands/. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const versionAsked = argv.slice(2).some((arg) => arg === '-V' || arg === '--version');
  const program = new Command('packrun')
    .description('Packrun: run integration packs (actions, sensors, rules), each in its own environment')
    .option('-v, --verbose', 'say on stderr which path each command takes: the server it talks to (and how it found it) or the store it uses directly')
    // The version is looked up only when asked for: from source it costs a git call.
    .version(versionAsked ? versionText() : '', '-V, --version', 'print the version (and the git commit it was built from, when known)')
    .exitOverride()
    .showHelpAfterError()
    .hook('preAction', (command) => setVerbose(command.opts()['verbose'] === true));
  // `packrun --version` alone needs no command module (loading them all is most of a start's time).
  if (versionAsked && commandNamed(argv) === undefined) return program;
  await registerCommands(program, argv);
  // Registered after the modules: `completion` names no module, so every one is loaded and the
  // script covers the whole tree.
  registerCompletion(program);
  return program;
}

/** Runs the CLI and returns the process exit code. User errors are printed plainly, with their code and hint. */
export async function main(argv: string[]): Promise<number> {
  // `packrun execution list | head`: the reader left, which ends the command quietly (as cat does).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(exitCodes.ok);
  });
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    // Help and --version end with 0; every usage error (unknown command or option, missing
    // argument) is a refusal, whichever commander raised.
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.refused;
    // Core is loaded by the command that failed; `packrun --version` and the like never load it.
    const { isPackrunError } = await import('@packrun/core');
    if (isPackrunError(error) && error.userError) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n`);
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
      return exitCodeForError(error.code, error.details?.['status']);
    }
    process.stderr.write(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitCodes.internal;
  }
}
