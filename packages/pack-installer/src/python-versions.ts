import { PackrunError, type PackMeta } from '@packrun/core';

/**
 * One item of a pack's `python_versions`. StackStorm's packs write major versions ("2", "3"); a
 * pack may be more precise: a version prefix ("3.9", "3.9.18") or a comparison list in PEP 440's
 * words (">=3.8, <3.11", "~=3.9", "!=3.10").
 */
export type PythonVersionSpec = { kind: 'prefix'; parts: number[] } | { kind: 'range'; clauses: Array<{ op: string; parts: number[] }> };

const numbers = /^\d+(?:\.\d+){0,2}$/;
const clause = /^(>=|<=|==|!=|~=|>|<)\s*(\d+(?:\.\d+){0,2})$/;

function parts(text: string): number[] {
  return text.split('.').map(Number);
}

/** Parses every item; an item that is neither form is PACK_INVALID naming it (nothing of it is ever run or looked up). */
export function parsePythonVersions(meta: Pick<PackMeta, 'pythonVersions'>, file = 'pack.yaml'): PythonVersionSpec[] {
  return meta.pythonVersions.map((raw, index) => {
    const text = raw.trim();
    if (numbers.test(text)) return { kind: 'prefix', parts: parts(text) };
    const clauses = text.split(',').map((item) => clause.exec(item.trim()));
    if (text !== '' && clauses.every((match) => match !== null)) {
      return { kind: 'range', clauses: clauses.map((match) => ({ op: match![1]!, parts: parts(match![2]!) })) };
    }
    throw new PackrunError('PACK_INVALID', `${file} field "python_versions.${index}": ${JSON.stringify(raw)} is not a Python version ("3", "3.9") or a comparison list (">=3.8, <3.11")`, {
      hint: 'list the Python versions the pack supports, e.g. python_versions: ["3"]',
      details: { file, field: `python_versions.${index}` },
    });
  });
}

function compare(version: number[], wanted: number[]): number {
  for (let index = 0; index < Math.max(version.length, wanted.length); index++) {
    const difference = (version[index] ?? 0) - (wanted[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function startsWith(version: number[], prefix: number[]): boolean {
  return prefix.every((part, index) => version[index] === part);
}

function clauseHolds(version: number[], op: string, wanted: number[]): boolean {
  switch (op) {
    case '==':
      return startsWith(version, wanted);
    case '!=':
      return !startsWith(version, wanted);
    case '>=':
      return compare(version, wanted) >= 0;
    case '<=':
      return compare(version, wanted) <= 0;
    case '>':
      return compare(version, wanted) > 0;
    case '<':
      return compare(version, wanted) < 0;
    default:
      // ~=X.Y means >=X.Y and X.*; ~=X.Y.Z means >=X.Y.Z and X.Y.*
      return compare(version, wanted) >= 0 && startsWith(version, wanted.slice(0, Math.max(1, wanted.length - 1)));
  }
}

/** Whether `version` ("3.9.16") fits any of the specs; no specs: any Python 3 fits. */
export function fitsPythonVersions(version: string, specs: PythonVersionSpec[]): boolean {
  const numeric = parts(/^\d+(?:\.\d+)*/.exec(version)?.[0] ?? '0');
  if (specs.length === 0) return true;
  return specs.some((spec) => (spec.kind === 'prefix' ? startsWith(numeric, spec.parts) : spec.clauses.every((item) => clauseHolds(numeric, item.op, item.parts))));
}
