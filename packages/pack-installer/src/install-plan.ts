import semver from 'semver';
import path from 'node:path';
import { PackrunError, checkBuiltinRef, readPackMeta, type PackMeta } from '@packrun/core';
import { checkCompatibility } from './compatibility.ts';
import type { InstalledPackState } from './installed-packs.ts';
import { choosePackPython, type ChosenPython, type PythonChoiceInput } from './python-choice.ts';
import type { ProgressListener } from './progress.ts';
import { createFetcher, type FetchContext } from './sources/fetch-source.ts';
import { formatSource, parseDependency, parseSource, type SourceSpec } from './sources/source-spec.ts';

export interface PlannedPack {
  ref: string;
  meta: PackMeta;
  /** Staged pack folder. */
  dir: string;
  /** Recorded source (re-resolved by an upgrade). */
  source: string;
  /** Refs of packs this one depends on that are part of this install or already installed. */
  dependsOn: Set<string>;
  warnings: string[];
  /** The interpreter its env is built with, and who chose it (python-choice.ts). */
  python: ChosenPython;
}

export interface Constraint {
  range: string;
  by: string;
  /** The pack whose dependency this is (planned or installed); none for the command line. */
  owner?: string;
}

export interface InstallPlan {
  /** Dependencies before the packs that need them. */
  packs: PlannedPack[];
  /** Dependencies already installed at a fitting version, left as they are. */
  kept: Array<{ ref: string; version: string }>;
  constraints: Map<string, Constraint[]>;
}

export interface PlanContext extends FetchContext {
  installed: ReadonlyMap<string, InstalledPackState>;
  /** How each pack's interpreter is chosen: PACKRUN_PYTHON, PACKRUN_PACK_PYTHON and where to search. */
  python: Omit<PythonChoiceInput, 'meta' | 'force'>;
  force: boolean;
  onProgress: ProgressListener;
}

interface Wanted {
  spec: SourceSpec;
  /** The source as the user wrote it on the command line. */
  given?: string;
  by: string;
  /** Named on the command line: always (re)installed, even when installed already. */
  explicit: boolean;
  parent?: string;
  /** Choose the version again although one was chosen or kept: a later constraint ruled it out. */
  rechoose?: boolean;
}

/** The version constraint a source carries: `name=range` from an index, or a `v<semver>` git tag. */
function rangeOf(spec: SourceSpec): string | undefined {
  if (spec.kind === 'index' && spec.range !== undefined) return semver.validRange(spec.range) ?? spec.range;
  if (spec.kind === 'git' && spec.ref !== undefined) {
    const version = semver.valid(spec.ref.replace(/^v/, ''));
    return version ?? undefined;
  }
  return undefined;
}

/**
 * Fetches every pack to install (the ones asked for and, recursively, their dependencies that are
 * missing or too old) into staging, and records every version constraint. A dependency resolved
 * through the index gets the highest version that fits every constraint known on it, including
 * those of installed packs; one chosen before a later constraint arrived is chosen again.
 * Nothing outside staging changes here, so a conflict or an incompatible pack stops the install
 * before anything does.
 */
export async function planInstall(sources: string[], context: PlanContext): Promise<InstallPlan> {
  const planned = new Map<string, PlannedPack>();
  const kept = new Map<string, string>();
  const constraints = new Map<string, Constraint[]>();
  /** Refs whose version this plan chose from the index, and so may choose again. */
  const fromIndex = new Set<string>();
  const rechosen = new Set<string>();
  const constrain = (ref: string, range: string | undefined, by: string, owner?: string) => {
    if (range === undefined) return;
    const list = constraints.get(ref) ?? [];
    if (!list.some((c) => c.range === range && c.by === by)) list.push({ range, by, ...(owner !== undefined && { owner }) });
    constraints.set(ref, list);
  };
  const dropOwnedBy = (owner: string) => {
    for (const [ref, list] of constraints) constraints.set(ref, list.filter((c) => c.owner !== owner));
  };
  const fits = (ref: string, version: string) => (constraints.get(ref) ?? []).every((c) => semver.satisfies(version, c.range));
  const combinedRange = (ref: string) => (constraints.get(ref) ?? []).map((c) => c.range).join(' ') || undefined;
  const link = (parent: string | undefined, ref: string) => {
    if (parent !== undefined) planned.get(parent)?.dependsOn.add(ref);
  };
  const fitsInstalled = (ref: string): boolean => {
    const state = context.installed.get(ref);
    return state !== undefined && fits(ref, state.installed.version);
  };
  for (const [ref, state] of context.installed) {
    for (const dependency of state.meta.dependencies) {
      const spec = safeParseDependency(dependency);
      if (spec?.kind === 'index') constrain(spec.name, rangeOf(spec), `${ref} ${state.installed.version} (installed)`, ref);
    }
  }

  const fetchSource = createFetcher(context);
  /** An index dependency is fetched at the best version for all constraints; failing that, for its own range. */
  const fetchWanted = async (wanted: Wanted) => {
    const { spec } = wanted;
    if (spec.kind !== 'index' || wanted.explicit) return fetchSource(spec, wanted.given);
    const combined = combinedRange(spec.name);
    if (combined !== undefined && semver.validRange(combined)) {
      try {
        return { ...(await fetchSource({ kind: 'index', name: spec.name, range: combined })), source: formatSource(spec) };
      } catch (error) {
        if (!(error instanceof PackrunError && error.code === 'PACK_VERSION_NOT_FOUND')) throw error;
      }
    }
    return fetchSource(spec);
  };

  const queue: Wanted[] = sources.map((source) => ({ spec: parseSource(source), given: source.trim(), by: 'the command line', explicit: true }));
  for (;;) {
    while (queue.length > 0) {
      const wanted = queue.shift() as Wanted;
      const { spec } = wanted;
      const knownRef = spec.kind === 'index' ? spec.name : undefined;
      const range = rangeOf(spec);
      // An upload is named once its record is read, by the name the user knows (fetch-source.ts).
      if (spec.kind !== 'upload') context.onProgress({ stage: 'resolving', message: `resolving ${wanted.given ?? formatSource(spec)} (wanted by ${wanted.by})` });
      if (knownRef !== undefined) {
        constrain(knownRef, range, wanted.by, wanted.parent);
        if (!wanted.explicit && !wanted.rechoose && (planned.has(knownRef) || kept.has(knownRef) || fitsInstalled(knownRef))) {
          if (!planned.has(knownRef)) kept.set(knownRef, context.installed.get(knownRef)?.installed.version ?? '');
          link(wanted.parent, knownRef);
          continue;
        }
      }
      const staged = await fetchWanted(wanted);
      const meta = await readPackMeta(staged.dir);
      checkBuiltinRef(meta, path.join(staged.dir, 'pack.yaml'), spec.kind === 'folder' ? spec.path : undefined);
      constrain(meta.ref, range, wanted.by, wanted.parent);
      link(wanted.parent, meta.ref);
      const already = planned.get(meta.ref);
      if (already) {
        if (wanted.explicit && already.meta.version !== meta.version) {
          throw new PackrunError('PACK_DEPENDENCY_CONFLICT', `pack "${meta.ref}" is asked for twice, as ${already.meta.version} (${already.source}) and ${meta.version} (${staged.source})`, {
            hint: 'name each pack once',
            details: { pack: meta.ref, versions: [already.meta.version, meta.version] },
          });
        }
        continue;
      }
      if (!wanted.explicit && !wanted.rechoose && fitsInstalled(meta.ref)) {
        kept.set(meta.ref, context.installed.get(meta.ref)?.installed.version ?? '');
        continue;
      }
      const chosen = await choosePackPython({ ...context.python, meta, force: context.force });
      const python = chosen.python;
      // Only the operator's own choice may not fit python_versions: the others were chosen to fit.
      const warnings = [...chosen.warnings, ...checkCompatibility(meta, python.chosenBy === 'operator' ? python.version : undefined, context.force)];
      // The installed version's own needs no longer count once this plan replaces it.
      dropOwnedBy(meta.ref);
      kept.delete(meta.ref);
      planned.set(meta.ref, { ref: meta.ref, meta, dir: staged.dir, source: staged.source, dependsOn: new Set(), warnings, python });
      if (spec.kind === 'index' && !wanted.explicit) fromIndex.add(meta.ref);
      for (const dependency of meta.dependencies) {
        queue.push({ spec: parseDependency(dependency), by: `${meta.ref} ${meta.version}`, explicit: false, parent: meta.ref });
      }
    }
    // A version chosen (or kept) before a later constraint arrived is chosen again, once.
    for (const ref of constraints.keys()) {
      const chosen = planned.get(ref)?.meta.version ?? kept.get(ref);
      const mayRechoose = planned.has(ref) ? fromIndex.has(ref) : kept.has(ref);
      if (chosen === undefined || !mayRechoose || rechosen.has(ref) || fits(ref, chosen)) continue;
      rechosen.add(ref);
      const previous = planned.get(ref);
      planned.delete(ref);
      kept.delete(ref);
      if (previous) dropOwnedBy(ref);
      queue.push({ spec: { kind: 'index', name: ref }, by: 'the combined constraints', explicit: false, rechoose: true });
    }
    if (queue.length === 0) break;
  }
  return {
    packs: dependencyOrder(planned),
    kept: [...kept].map(([ref, version]) => ({ ref, version })),
    // Installed packs' own constraints are checked again by checkConflicts, with the final picture.
    constraints: new Map([...constraints].map(([ref, list]) => [ref, list.filter((c) => c.owner === undefined || planned.has(c.owner))])),
  };
}

function safeParseDependency(text: string): SourceSpec | undefined {
  try {
    return parseDependency(text);
  } catch {
    return undefined;
  }
}

function dependencyOrder(planned: Map<string, PlannedPack>): PlannedPack[] {
  const ordered: PlannedPack[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (pack: PlannedPack) => {
    if (done.has(pack.ref) || visiting.has(pack.ref)) return;
    visiting.add(pack.ref);
    for (const dependency of pack.dependsOn) {
      const next = planned.get(dependency);
      if (next) visit(next);
    }
    visiting.delete(pack.ref);
    done.add(pack.ref);
    ordered.push(pack);
  };
  for (const pack of planned.values()) visit(pack);
  return ordered;
}

/**
 * Every constraint on a pack (from the packs being installed and from installed packs that stay)
 * must hold for the version that will be installed; otherwise the install stops, naming who
 * needs what.
 */
export function checkConflicts(plan: InstallPlan, installed: ReadonlyMap<string, InstalledPackState>): void {
  const constraints = new Map(plan.constraints);
  const replacing = new Set(plan.packs.map((pack) => pack.ref));
  for (const [ref, state] of installed) {
    if (replacing.has(ref)) continue;
    for (const dependency of state.meta.dependencies) {
      const spec = safeParseDependency(dependency);
      if (spec?.kind !== 'index' || !replacing.has(spec.name)) continue;
      const range = rangeOf(spec);
      if (range === undefined) continue;
      constraints.set(spec.name, [...(constraints.get(spec.name) ?? []), { range, by: `${ref} ${state.installed.version} (installed)` }]);
    }
  }
  for (const [ref, list] of constraints) {
    const version = plan.packs.find((pack) => pack.ref === ref)?.meta.version ?? installed.get(ref)?.installed.version;
    if (version === undefined) continue;
    const broken = list.filter((c) => !semver.satisfies(version, c.range));
    if (broken.length === 0) continue;
    const needs = list.map((c) => `${c.by} needs ${c.range}`).join(', ');
    throw new PackrunError('PACK_DEPENDENCY_CONFLICT', `no version of pack "${ref}" fits everyone: ${needs} (the install would give ${version})`, {
      hint: 'install versions of these packs that agree on the version of this dependency, or upgrade the installed pack that pins it',
      details: { pack: ref, version, constraints: list },
    });
  }
}
