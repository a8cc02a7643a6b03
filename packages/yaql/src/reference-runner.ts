import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { YaqlEngine, type CallArguments, type CallContext } from './engine.ts';
import { YaqlError } from './errors.ts';

/**
 * Runs expressions through PyPI's yaql (reference/yaql_reference.py, in the venv scripts/setup.sh
 * makes under .tools/yaql-reference) and through this engine, and compares the outcomes: both
 * succeed with equal values (a Python set equal to a list of the same items in any order), or
 * both fail.
 */

export interface Case {
  expression: string;
  data: unknown;
  /** `$name` variables; Orquesta's ctx() reads `__vars`. */
  variables?: Record<string, unknown>;
}

export type Outcome = { ok: unknown } | { error: string };

const repository = fileURLToPath(new URL('../../../', import.meta.url));
export const referencePython = `${repository}.tools/yaql-reference/bin/python`;
const referenceScript = fileURLToPath(new URL('../reference/yaql_reference.py', import.meta.url));

export function referenceAvailable(): boolean {
  return existsSync(referencePython);
}

export function runReference(cases: readonly Case[]): { version: string; results: Outcome[] } {
  const run = spawnSync(referencePython, [referenceScript], {
    input: JSON.stringify({ cases }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PYTHONHASHSEED: '0' },
  });
  if (run.status !== 0) throw new Error(`the yaql reference failed (${run.status}): ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as { version: string; results: ({ ok: unknown } | { error: { type: string; message: string } })[] };
  return { version: parsed.version, results: parsed.results.map((result) => ('ok' in result ? result : { error: `${result.error.type}: ${result.error.message}` })) };
}

/** Orquesta's ctx(), as the reference registers it: a missing key is a lookup error. */
function ctx(args: CallArguments, context: CallContext): unknown {
  const variables = context.variable('__vars') as Record<string, unknown>;
  const [key] = args.positional;
  if (key === undefined || key === null || key === '') return variables;
  if (typeof key !== 'string' || !Object.hasOwn(variables, key)) throw new YaqlError('lookup', `Unable to resolve key '${String(key)}'`, { key });
  return variables[key];
}

export function comparedEngine(): YaqlEngine {
  return new YaqlEngine().addFunction('ctx', ctx);
}

export function runOurs(engine: YaqlEngine, cases: readonly Case[]): Outcome[] {
  return cases.map(({ expression, data, variables }) => {
    try {
      return { ok: engine.evaluate(expression, { root: data, variables: variables ?? {} }) };
    } catch (error) {
      if (error instanceof YaqlError) return { error: `${error.kind}: ${error.message}` };
      throw error;
    }
  });
}

/** Equal as yaql's results: numbers by value, a `{$set: [...]}` equal to a list of the same items in any order. */
function sameValue(ours: unknown, reference: unknown): boolean {
  if (typeof reference === 'object' && reference !== null && !Array.isArray(reference)) {
    const marked = reference as Record<string, unknown>;
    if (Array.isArray(marked['$set'])) {
      const items = marked['$set'];
      return Array.isArray(ours) && ours.length === items.length && items.every((item) => ours.some((candidate) => sameValue(candidate, item)));
    }
    if (typeof marked['$float'] === 'string') {
      const text = marked['$float'];
      return typeof ours === 'number' && (text === 'nan' ? Number.isNaN(ours) : ours === (text === 'inf' ? Infinity : -Infinity));
    }
    if (typeof ours !== 'object' || ours === null || Array.isArray(ours)) return false;
    const ourKeys = Object.keys(ours);
    const referenceKeys = Object.keys(marked);
    return ourKeys.length === referenceKeys.length && referenceKeys.every((key) => key in ours && sameValue((ours as Record<string, unknown>)[key], marked[key]));
  }
  if (Array.isArray(reference)) return Array.isArray(ours) && ours.length === reference.length && reference.every((item, index) => sameValue(ours[index], item));
  return ours === reference;
}

export function sameOutcome(ours: Outcome, reference: Outcome): boolean {
  if ('error' in ours || 'error' in reference) return 'error' in ours && 'error' in reference;
  return sameValue(ours.ok, reference.ok);
}
