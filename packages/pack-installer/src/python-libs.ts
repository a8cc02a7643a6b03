import { readFile, rm, writeFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, pythonRuntime } from '@packrun/core';
import { withLockFiles } from './install-lock.ts';
import { describePython, pythonSiteTag, resolvePython, type PythonInterpreter } from './interpreter.ts';
import { runTool } from './run-tool.ts';

const pythonDir = path.dirname(pythonRuntime.actionWrapper);

/**
 * Packrun's per-interpreter library sets, each appended to pack code's sys.path or imported
 * privately by the wrappers (never installed into a pack env): the st2 fallback libraries and
 * Packrun's own (pika for sensors). Each is built once per interpreter implementation and
 * version, into `<set>/site/<tag>` beside the wrappers, where the wrappers look for it.
 */
const librarySets = (root: string): LibrarySet[] => [
  // st2client pins requests and urllib3 exactly: it and what its library modules import go in
  // after the rest, without dependencies (st2-fallback/no-deps-requirements.txt says why).
  { name: 'the st2 fallback libraries', folder: path.join(root, 'st2-fallback'), noDeps: 'no-deps-requirements.txt' },
  { name: "Packrun's Python libraries", folder: path.join(root, 'packrun-libs') },
];

interface LibrarySet {
  name: string;
  folder: string;
  /** A second requirements file beside requirements.txt, installed after it with --no-deps. */
  noDeps?: string;
}

/** Pins recorded in a finished build: the build is redone when requirements.txt changes. */
const builtPins = '.requirements.txt';

export interface PythonLibsBuild {
  /** The folder holding st2-fallback/ and packrun-libs/: the wrappers' own unless given (tests build into a copy). */
  root?: string;
  python: PythonInterpreter;
  uv: string | undefined;
  /** PACKRUN_PYTHON, whose pip installs when there is no uv (the pack's interpreter may have none). */
  pipHost: string;
  onMessage: (message: string, tool?: 'uv' | 'pip') => void;
  onLine: (line: string) => void;
  signal?: AbortSignal;
}

async function readOptional(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

/** What a finished build records: requirements.txt, and after it the no-deps file (as scripts/setup.sh writes it). */
async function pinsOf(set: LibrarySet): Promise<string> {
  const pins = await readFile(path.join(set.folder, 'requirements.txt'), 'utf8');
  if (set.noDeps === undefined) return pins;
  return `${(pins + (await readFile(path.join(set.folder, set.noDeps), 'utf8'))).replace(/\n+$/, '')}\n`;
}

async function isCurrent(set: LibrarySet, tag: string): Promise<boolean> {
  return (await readOptional(path.join(set.folder, 'site', tag, builtPins))) === (await pinsOf(set));
}

/**
 * Makes sure the library sets exist for `python`, building the missing ones: the first pack
 * whose env uses an interpreter builds them, every later pack on it shares them. Concurrent
 * installs (any process on this PACKRUN_HOME) build each set once, under a lock of its own.
 * The pins are Packrun's (requirements.txt beside each set), never a pack's, so the build runs
 * as the runtime itself, like scripts/setup.sh.
 */
export async function ensurePythonLibs(build: PythonLibsBuild): Promise<void> {
  const tag = pythonSiteTag(build.python);
  for (const set of librarySets(build.root ?? pythonDir)) {
    if (await isCurrent(set, tag)) continue;
    // The build goes beside the wrappers, shared by every PACKRUN_HOME on this installation: so
    // is its lock.
    const lock = { file: path.join(set.folder, 'site', `.${tag}.lock`), name: tag, holder: `another install building ${set.name} for ${describePython(build.python)}` };
    await withLockFiles([lock], async () => {
      if (await isCurrent(set, tag)) return;
      build.onMessage(`building ${set.name} for ${describePython(build.python)} (once per Python version)`, build.uv ? 'uv' : 'pip');
      await installSet(build, set, tag);
    }, {
      onWait: () => build.onMessage(`waiting for another install building ${set.name} for ${describePython(build.python)}`),
      ...(build.signal && { signal: build.signal }),
    });
  }
}

async function installSet(build: PythonLibsBuild, set: LibrarySet, tag: string): Promise<void> {
  const site = path.join(set.folder, 'site', tag);
  const staging = `${site}.building-${process.pid}`;
  try {
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await installInto(build, staging, ['-r', path.join(set.folder, 'requirements.txt')]);
    if (set.noDeps !== undefined) await installInto(build, staging, ['--no-deps', '-r', path.join(set.folder, set.noDeps)]);
    await writeFile(path.join(staging, builtPins), await pinsOf(set));
    await rm(site, { recursive: true, force: true });
    await rename(staging, site);
  } catch (cause) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (build.signal?.aborted) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new PackrunError('PYTHON_LIBS_BUILD_FAILED', `building Packrun's libraries for ${describePython(build.python)} (${build.python.executable}) into ${site} failed: ${reason}`, {
      hint: 'the folder must be writable by the installing user and PyPI reachable; scripts/setup.sh builds them for its own Python',
      details: { python: build.python.executable, folder: site, ...(cause instanceof PackrunError ? cause.details : {}) },
      cause,
    });
  }
}

/** One uv (or pip) install into `target`. */
async function installInto(build: PythonLibsBuild, target: string, what: string[]): Promise<void> {
  const common = { onLine: build.onLine, ...(build.signal && { signal: build.signal }) };
  if (build.uv) {
    await runTool({
      command: build.uv,
      args: ['pip', 'install', '--quiet', '--python', build.python.executable, '--target', target, ...what],
      env: { ...process.env, UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1' },
      ...common,
    });
    return;
  }
  const host = await resolvePython(build.pipHost);
  await runTool({
    command: host.executable,
    args: ['-m', 'pip', '--python', build.python.executable, 'install', '--disable-pip-version-check', '--no-input', '--target', target, ...what],
    ...common,
  });
}
