import { PackrunError } from '../errors.ts';

/** StackStorm's PACK_REF_WHITELIST_REGEX: no dot, slash or upper case, so a ref is always a safe path segment. */
const packRefPattern = /^[a-z0-9_]+$/;
const maxPackRefLength = 64;
/** StackStorm reserves `_global` for content that belongs to no pack. */
const reservedPackRefs: ReadonlySet<string> = new Set(['_global']);

/** Why `ref` cannot be a pack ref, or undefined when it can. */
export function packRefProblem(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return `must be a string, got ${ref === null ? 'null' : typeof ref}`;
  if (ref.length === 0) return 'must not be empty';
  if (ref.length > maxPackRefLength) return `must be at most ${maxPackRefLength} characters`;
  if (reservedPackRefs.has(ref)) return `"${ref}" is reserved`;
  if (!packRefPattern.test(ref)) return `"${printable(ref)}" must match ${packRefPattern.source} (lower-case letters, digits, underscore)`;
  return undefined;
}

/** Returns `ref` when it is a valid pack ref; throws PACK_REF_INVALID otherwise. Use before a ref becomes a path. */
export function validatePackRef(ref: unknown): string {
  const problem = packRefProblem(ref);
  if (problem !== undefined) {
    throw new PackrunError('PACK_REF_INVALID', `invalid pack ref: ${problem}`, {
      hint: 'a pack ref is lower-case letters, digits and underscores, e.g. "my_pack"',
      details: { ref: typeof ref === 'string' ? printable(ref) : ref },
    });
  }
  return ref as string;
}

export function isValidPackRef(ref: unknown): ref is string {
  return packRefProblem(ref) === undefined;
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(text.slice(0, 80)).slice(1, -1).replace(/[\u0000-\u001f]/g, '?');
}
