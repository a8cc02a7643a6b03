import { PackrunError } from '../errors.ts';
import { typeOf } from './pack-meta.ts';
import { isPlainObject } from './yaml-file.ts';

type Code = 'ACTION_INVALID' | 'SENSOR_INVALID' | 'RULE_INVALID' | 'POLICY_INVALID';

/**
 * Field readers for one metadata file. Every failure is a PackrunError naming the file and the
 * dotted field, with the code of the kind of file being read.
 */
export function fieldReader(code: Code, file: string, value: Record<string, unknown>) {
  const fail = (field: string, message: string): never => {
    throw metaError(code, file, field, message);
  };
  return {
    fail,
    requiredString(key: string, from: Record<string, unknown> = value, prefix = ''): string {
      const raw = from[key];
      if (raw === undefined || raw === null || raw === '') return fail(prefix + key, 'is required');
      if (typeof raw !== 'string') return fail(prefix + key, `must be a string, got ${typeOf(raw)}`);
      return raw;
    },
    optionalString(key: string, from: Record<string, unknown> = value, prefix = ''): string | undefined {
      const raw = from[key];
      if (raw === undefined || raw === null) return undefined;
      if (typeof raw !== 'string') return fail(prefix + key, `must be a string, got ${typeOf(raw)}`);
      return raw;
    },
    flag(key: string, fallback: boolean): boolean {
      const raw = value[key];
      if (raw === undefined || raw === null) return fallback;
      if (typeof raw !== 'boolean') return fail(key, `must be true or false, got ${typeOf(raw)}`);
      return raw;
    },
    mapping(key: string, from: Record<string, unknown> = value, prefix = ''): Record<string, unknown> | undefined {
      const raw = from[key];
      if (raw === undefined || raw === null) return undefined;
      if (!isPlainObject(raw)) return fail(prefix + key, `must be a mapping, got ${typeOf(raw)}`);
      return raw;
    },
    list(key: string): unknown[] {
      const raw = value[key];
      if (raw === undefined || raw === null) return [];
      if (!Array.isArray(raw)) return fail(key, `must be a list, got ${typeOf(raw)}`);
      return raw;
    },
    /** A `pack:` field, when present, must name the pack the file is in (StackStorm refuses a mismatch). */
    samePack(pack: string): void {
      const raw = value['pack'];
      if (raw !== undefined && raw !== null && raw !== pack) {
        fail('pack', `says ${JSON.stringify(raw)} but the file is in pack "${pack}"`);
      }
    },
  };
}

export function metaError(code: Code, file: string, field: string | undefined, message: string): PackrunError {
  return new PackrunError(code, `${file}${field ? ` field "${field}"` : ''}: ${message}`, {
    hint: 'fix the metadata file; the other files of the pack still load',
    details: { file, ...(field ? { field } : {}) },
  });
}

export function unknownKeys(value: Record<string, unknown>, known: ReadonlySet<string>): string[] {
  return Object.keys(value).filter((key) => !known.has(key));
}
