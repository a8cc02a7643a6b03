import { PackrunError, type PackMeta, type PackPythonChoice } from '@packrun/core';
import { describePython, resolvePython, type PythonInterpreter } from './interpreter.ts';
import { discoverPythons, type DiscoveryOptions } from './python-discovery.ts';
import { locateUv } from './uv-locate.ts';
import { fitsPythonVersions, parsePythonVersions } from './python-versions.ts';

export interface ChosenPython extends PythonInterpreter {
  chosenBy: PackPythonChoice['chosenBy'];
}

export interface PythonChoiceInput {
  meta: Pick<PackMeta, 'ref' | 'version' | 'pythonVersions'>;
  /** PACKRUN_PYTHON. */
  configured: string;
  /** PACKRUN_PACK_PYTHON. */
  overrides: Readonly<Record<string, string>>;
  discovery: DiscoveryOptions;
  /** --force: a pack no interpreter fits gets PACKRUN_PYTHON (with a warning) instead of a refusal. */
  force: boolean;
}

/**
 * The interpreter a pack's env is built with, in order: the operator's PACKRUN_PACK_PYTHON entry
 * for the pack; PACKRUN_PYTHON when it fits the pack's `python_versions` (or the pack names
 * none); else the best interpreter discovered on the host that fits (CPython first, newest
 * first). The pack's metadata only ever filters what the operator's settings and the host offer:
 * no value from pack.yaml is run, looked up on PATH or read as a path.
 */
export async function choosePackPython(input: PythonChoiceInput): Promise<{ python: ChosenPython; warnings: string[] }> {
  const { meta } = input;
  const specs = parsePythonVersions(meta);
  const override = input.overrides[meta.ref];
  if (override !== undefined) return { python: { ...(await resolvePython(override)), chosenBy: 'operator' }, warnings: [] };
  const configured = await resolvePython(input.configured);
  if (fitsPythonVersions(configured.version, specs)) return { python: { ...configured, chosenBy: 'default' }, warnings: [] };

  const found = await discoverPythons(input.discovery);
  const fitting = found.find((python) => fitsPythonVersions(python.version, specs));
  if (fitting) return { python: { ...fitting, chosenBy: 'python_versions' }, warnings: [] };

  const foundText = [configured, ...found.filter((python) => python.executable !== configured.executable)].map((python) => `${describePython(python)} (${python.executable})`).join(', ');
  const message = `pack "${meta.ref}" ${meta.version} supports Python ${meta.pythonVersions.join(', ')}, and no interpreter on this host fits: found ${foundText}`;
  if (input.force) return { python: { ...configured, chosenBy: 'default' }, warnings: [`${message}; its env uses ${describePython(configured)}`] };
  throw new PackrunError('PYTHON_VERSION_UNAVAILABLE', message, {
    hint:
      `install a fitting Python (e.g. \`uv python install ${suggestion(meta.pythonVersions)}\`, pyenv, or the distribution's python3.X package), ` +
      `or name one for this pack with PACKRUN_PACK_PYTHON=${meta.ref}=/path/to/python; PACKRUN_PYTHON_SEARCH says where Packrun looks`,
    details: { pack: meta.ref, version: meta.version, pythonVersions: meta.pythonVersions, found: [configured, ...found].map((python) => ({ executable: python.executable, version: python.version, implementation: python.implementation })) },
  });
}

/**
 * What packs can be given, as `packrun doctor` shows it: PACKRUN_PYTHON (undefined when it cannot
 * run), each pack's PACKRUN_PACK_PYTHON entry, and what PACKRUN_PYTHON_SEARCH finds.
 */
export async function hostPythons(config: { python: string; packPython: Readonly<Record<string, string>>; pythonSearch: DiscoveryOptions['search']; uv: string | undefined }): Promise<{
  configured: PythonInterpreter | undefined;
  perPack: Record<string, PythonInterpreter | undefined>;
  found: PythonInterpreter[];
}> {
  const tryResolve = (name: string) => resolvePython(name).catch(() => undefined);
  const perPack: Record<string, PythonInterpreter | undefined> = {};
  for (const [ref, python] of Object.entries(config.packPython)) perPack[ref] = await tryResolve(python);
  return {
    configured: await tryResolve(config.python),
    perPack,
    found: await discoverPythons({ search: config.pythonSearch, uv: await locateUv(config.uv) }),
  };
}

/** A version to name in the hint: the first plain one the pack lists. */
function suggestion(wanted: string[]): string {
  return wanted.map((item) => item.trim()).find((item) => /^\d+(?:\.\d+)*$/.test(item)) ?? '3';
}
