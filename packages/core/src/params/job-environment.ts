import { PackrunError } from '../errors.ts';

/**
 * The `env` runner parameter: variables a caller, a rule or a pack default gives an action. They
 * reach only the job itself, after the sandbox boundary (launchJob), never the processes that set
 * the sandbox up. Even there some would hand the giver code execution the action never offered:
 * variables that make a loader or an interpreter run code, or load a library, before the program's
 * own first line. Those are refused, whoever gives them.
 *
 * The line is drawn at start-up: variables a program reads later for its own purposes (PATH,
 * HOME, proxies, GIT_SSH_COMMAND, EDITOR...) are the action's business; an action that runs what
 * its parameters say already gives its caller that much. PATH stays allowed: the job's command and
 * its interpreter are resolved with the runtime's own PATH, so the given one only affects what the
 * job itself looks up, inside the sandbox, where the caller has no files to point it at.
 */
const refusedExactly: ReadonlyMap<string, string> = new Map([
  // glibc: iconv modules and locale archives are loaded from these folders (the loader ignores
  // both for setuid programs for that reason); MALLOC_* and GLIBC_TUNABLES are read by the
  // allocator and the loader before main (CVE-2023-4911 came in through GLIBC_TUNABLES).
  ['GCONV_PATH', 'makes glibc load iconv modules (shared objects) from the given folder'],
  ['GETCONF_DIR', 'makes glibc run getconf helpers from the given folder'],
  ['LOCPATH', 'makes glibc parse locale data from the given folder'],
  ['NLSPATH', 'makes glibc open message catalogs from the given paths'],
  ['GLIBC_TUNABLES', 'is parsed by the dynamic loader before any program code runs'],
  // Shells: bash sources BASH_ENV before a non-interactive script; sh, dash and bash in POSIX mode
  // source ENV; SHELLOPTS/BASHOPTS turn on xtrace, which expands PS4 (command substitution
  // included) before every command.
  ['BASH_ENV', 'makes bash run the named file before the script'],
  ['ENV', 'makes sh, dash and bash (POSIX mode) run the named file at start-up'],
  ['SHELLOPTS', 'sets bash options at start-up (xtrace runs PS4 as code)'],
  ['BASHOPTS', 'sets bash options at start-up'],
  ['PS4', 'is expanded, command substitutions included, before every traced command'],
  ['PROMPT_COMMAND', 'is run by bash as a command'],
  // Other interpreters' "options from the environment" and module paths.
  ['PERL5OPT', 'adds command-line options (-M loads a module) to every perl'],
  ['PERL5LIB', 'puts the given folders first on perl\'s module path'],
  ['PERLLIB', 'puts the given folders first on perl\'s module path'],
  ['PERL5DB', 'is run by perl as debugger code'],
  ['RUBYOPT', 'adds command-line options (-r loads a library) to every ruby'],
  ['RUBYLIB', 'puts the given folders first on ruby\'s load path'],
  ['JAVA_TOOL_OPTIONS', 'adds JVM options (-javaagent loads code) to every java'],
  ['_JAVA_OPTIONS', 'adds JVM options (-javaagent loads code) to every java'],
  ['JDK_JAVA_OPTIONS', 'adds JVM options (-javaagent loads code) to the java launcher'],
]);

/**
 * Families refused by prefix: new members appear with every release (NODE_COMPILE_CACHE,
 * PYTHONSAFEPATH...), so naming them one by one would fall behind.
 */
const refusedPrefixes: ReadonlyArray<{ prefix: string; reason: string; allowed?: ReadonlySet<string> }> = [
  // LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, LD_DEBUG_OUTPUT, LD_PROFILE...: the dynamic loader.
  { prefix: 'LD_', reason: 'is read by the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT load shared objects into every program)' },
  // The macOS loader's; harmless here, refused so a pack written for both behaves the same.
  { prefix: 'DYLD_', reason: 'is read by the macOS dynamic loader' },
  // MALLOC_CHECK_, MALLOC_TRACE (writes a file), MALLOC_ARENA_MAX...: glibc's allocator.
  { prefix: 'MALLOC_', reason: 'configures glibc\'s allocator before any program code runs (MALLOC_TRACE writes to the named file)' },
  // PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONINSPECT, PYTHONUSERBASE, PYTHONBREAKPOINT,
  // PYTHONWARNINGS (imports the named category's module)... The wrapper runs Python with -I and
  // ignores them, but a script the action starts would not. The ones kept only change how output
  // is encoded or buffered.
  {
    prefix: 'PYTHON',
    reason: 'changes how Python starts (PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONINSPECT, PYTHONWARNINGS run or import code)',
    allowed: new Set(['PYTHONUNBUFFERED', 'PYTHONIOENCODING', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUTF8', 'PYTHONHASHSEED']),
  },
  // NODE_OPTIONS (--require, --import), NODE_PATH (where bare imports resolve),
  // NODE_REPL_EXTERNAL_MODULE, NODE_ICU_DATA, NODE_PRESERVE_SYMLINKS, NODE_COMPILE_CACHE...
  {
    prefix: 'NODE_',
    reason: 'changes how Node starts (NODE_OPTIONS --require/--import runs code, NODE_PATH decides which module a bare import loads)',
    allowed: new Set(['NODE_ENV', 'NODE_NO_WARNINGS', 'NODE_TLS_REJECT_UNAUTHORIZED']),
  },
  // bash imports exported functions from BASH_FUNC_<name>%% variables: a command a script runs
  // by name becomes the giver's function.
  { prefix: 'BASH_FUNC_', reason: 'defines a bash function that replaces a command the script runs' },
];

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` may not be given to a job, or undefined when it may. */
function refusedVariable(name: string): string | undefined {
  if (!variableName.test(name)) {
    return 'is not a valid environment variable name (letters, digits and "_", not starting with a digit; no "=" or NUL)';
  }
  const exact = refusedExactly.get(name);
  if (exact !== undefined) return exact;
  for (const family of refusedPrefixes) {
    if (name.startsWith(family.prefix) && !family.allowed?.has(name)) return family.reason;
  }
  return undefined;
}

/**
 * Checks an `env` value given to an action and turns it into the variables the job gets (values
 * that are not strings as JSON, as StackStorm passes them). Throws PARAMETER_INVALID naming the
 * parameter and the variable.
 */
export function jobEnvironment(value: unknown, where: { action: string; parameter: string }): Record<string, string> {
  const fail = (problem: string, variable?: string): never => {
    throw new PackrunError('PARAMETER_INVALID', `parameter "${where.parameter}" of ${where.action}: ${problem}`, {
      hint: variable === undefined
        ? 'give env as a mapping of variable names to values'
        : `remove ${variable} from ${where.parameter}; variables that change how a loader or interpreter starts are never passed to a job (docs/sandbox.md)`,
      details: { action: where.action, parameter: where.parameter, ...(variable === undefined ? {} : { variable }) },
    });
  };
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return fail('must be a mapping of variable names to values');
  const env: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const shown = JSON.stringify(name.slice(0, 80));
    const problem = refusedVariable(name);
    if (problem !== undefined) fail(`variable ${shown} ${problem}`, name);
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw) ?? '';
    if (text.includes('\0')) fail(`the value of variable ${shown} contains a NUL byte`, name);
    env[name] = text;
  }
  return env;
}
