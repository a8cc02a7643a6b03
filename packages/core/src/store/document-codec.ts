import { PackrunError } from '../errors.ts';
import { TooDeepError, toJsonValue } from './json-value.ts';
import type { Filter, FindOptions, Patch } from './types.ts';

/**
 * Turns records, filters, sorts and patches into the documents both backends store. Shared so the
 * embedded store and MongoDB agree on every detail:
 *
 * - `id` is stored as `_id`.
 * - Records are plain JSON (a JSON round trip drops undefined and functions).
 * - Object keys in user data (results, payloads, rule criteria like `trigger.body.name`) may hold
 *   `.` or start with `$`, which neither backend accepts as a field name, so every key is escaped:
 *   `%` -> `%25`, `.` -> `%2E`, a leading `$` -> `%24`, NUL (which ends a key in BSON) -> `%00`,
 *   a lone surrogate -> `%u` and its four hex digits. Our own field names never need it.
 * - A string holding a lone surrogate (half of a UTF-16 pair, which JavaScript and JSON allow)
 *   cannot be written as UTF-8, so MongoDB's driver would store U+FFFD in its place. Such a string
 *   is stored as U+FDD0 (a noncharacter) followed by the string with each lone surrogate, and each
 *   U+FDD1, written as U+FDD1 and four hex digits; a string that itself starts with U+FDD0 is
 *   stored the same way, so every string comes back exactly. Well-formed strings not starting
 *   with U+FDD0 are stored as they are: U+2028, U+2029, U+0085 and the rest need nothing.
 * - Filters are checked against the restricted language before they reach a backend, so an API
 *   caller cannot smuggle in `$where` or `$regex`.
 * - A record holds at most `maxRecordDepth` levels of objects and arrays (the record itself is
 *   level 1), MongoDB's own limit: deeper data is refused with STORE_TOO_DEEP before it reaches
 *   either backend, so nothing is stored that a backend could not read back.
 */

type Doc = Record<string, unknown>;

/** MongoDB's limit on nested objects and arrays, the record itself counted as the first level. */
export const maxRecordDepth = 100;

const operators = new Set(['$in', '$nin', '$ne', '$gt', '$gte', '$lt', '$lte', '$exists']);

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const storedStringMark = 0xfdd0;

const hex4 = (char: string): string => char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');

function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function escapeKey(key: string): string {
  const escaped = key.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24').replace(/\0/g, '%00');
  return isWellFormed(escaped) ? escaped : escaped.replace(loneSurrogate, (char) => `%u${hex4(char)}`);
}

function unescapeKey(key: string): string {
  return key.replace(/%(25|2E|24|00|u[0-9A-F]{4})/g, (_match, code: string) =>
    code === '25' ? '%' : code === '2E' ? '.' : code === '24' ? '$' : code === '00' ? '\0' : String.fromCharCode(Number.parseInt(code.slice(1), 16)),
  );
}

function encodeString(text: string): string {
  if (isWellFormed(text) && text.charCodeAt(0) !== storedStringMark) return text;
  return `\uFDD0${text.replace(/\uFDD1/g, '\uFDD1FDD1').replace(loneSurrogate, (char) => `\uFDD1${hex4(char)}`)}`;
}

function decodeString(text: string): string {
  if (text.charCodeAt(0) !== storedStringMark) return text;
  return text.slice(1).replace(/\uFDD1([0-9A-F]{4})/g, (_match, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
}

/** A stored document's keys unescaped and strings decoded: the record's own data again. */
function fromStored(value: unknown): unknown {
  if (typeof value === 'string') return decodeString(value);
  if (Array.isArray(value)) return value.map(fromStored);
  if (value !== null && typeof value === 'object') {
    const out: Doc = {};
    for (const [key, item] of Object.entries(value)) out[unescapeKey(key)] = fromStored(item);
    return out;
  }
  return value;
}


export function toDocument(collection: string, record: { id: string }): Doc {
  if (typeof record.id !== 'string' || record.id === '') {
    throw new PackrunError('STORE_BAD_RECORD', `a ${collection} record needs a non-empty string id`, {
      details: { collection },
      userError: false,
    });
  }
  // Our own field names (id among them) come through escapeKey unchanged.
  const { id, ...rest } = plain(collection, record.id, record, maxRecordDepth) as Doc & { id: string };
  return { _id: id, ...rest };
}

/** toJsonValue with escaped keys, a value nested beyond `maxDepth` refused with STORE_TOO_DEEP. */
function plain(collection: string, id: string | undefined, value: unknown, maxDepth: number): unknown {
  try {
    return toJsonValue(value, { mapKey: escapeKey, mapString: encodeString, maxDepth });
  } catch (error) {
    if (!(error instanceof TooDeepError)) throw error;
    const which = id === undefined ? `a ${collection} record` : `the ${collection} record "${id}"`;
    throw new PackrunError('STORE_TOO_DEEP', `${which} would be nested more than ${maxRecordDepth} levels deep`, {
      hint: `a record holds at most ${maxRecordDepth} levels of nested objects and arrays (MongoDB's limit too): flatten the data or store it as a string`,
      details: { collection, ...(id === undefined ? {} : { id }), maxDepth: maxRecordDepth },
    });
  }
}

export function fromDocument<T>(doc: Doc): T {
  const { _id, ...rest } = doc;
  return { id: String(_id), ...(fromStored(rest) as Doc) } as T;
}

/**
 * A record from its id and the JSON text of the rest of its document, as the embedded store keeps
 * them. An escaped key holds "%2", "%00" or "%u" and an encoded string U+FDD0: a text with none of them
 * has nothing to decode and skips the walk.
 */
export function fromDocumentText<T>(id: string, text: string): T {
  return fromStoredDocument<T>(id, JSON.parse(text) as Doc, text);
}

/** The same from a document already in hand (one the caller owns) and its JSON text. */
export function fromStoredDocument<T>(id: string, doc: Doc, text: string): T {
  const encoded = text.includes('%2') || text.includes('%u') || text.includes('%00') || text.includes('\uFDD0');
  return { id, ...(encoded ? (fromStored(doc) as Doc) : doc) } as T;
}

/**
 * A document read from an earlier version's store, as this codec stores it: its keys are escaped
 * already, its strings are encoded here; nested beyond the limit it throws a TooDeepError.
 */
export function toStoredDocument(doc: Doc): Doc {
  return toJsonValue(doc, { mapString: encodeString, maxDepth: maxRecordDepth }) as Doc;
}

/** STORE_DUPLICATE_ID for an insert over an existing id, as both backends report it. */
export function duplicate(collection: string, id: string, cause: unknown): PackrunError {
  return new PackrunError('STORE_DUPLICATE_ID', `${collection} already has a record with id "${id}"`, {
    details: { collection, id },
    cause,
  });
}

/** A filter's value as stored: strings encoded as in records, so that they compare equal. */
function storedOperand(value: unknown): unknown {
  return typeof value === 'string' ? encodeString(value) : value;
}

function fieldPath(path: string): string {
  if (path === 'id') return '_id';
  return path.split('.').map(escapeKey).join('.');
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function badFilter(collection: string, path: string, problem: string): PackrunError {
  return new PackrunError('STORE_BAD_FILTER', `filter on ${collection}.${path}: ${problem}`, {
    hint: 'filters take a value or {$in, $nin, $ne, $gt, $gte, $lt, $lte, $exists} per field',
    details: { collection, field: path },
  });
}

export function toQuery<T>(collection: string, filter: Filter<T>): Doc {
  const query: Doc = {};
  for (const [path, condition] of Object.entries(filter as Doc)) {
    if (condition === undefined) continue;
    if (path === '' || path.startsWith('$')) throw badFilter(collection, path, 'not a field name');
    if (isScalar(condition)) {
      query[fieldPath(path)] = storedOperand(condition);
      continue;
    }
    if (typeof condition !== 'object' || Array.isArray(condition)) {
      throw badFilter(collection, path, 'a condition is a string, number, boolean, null or an operator object');
    }
    const ops: Doc = {};
    for (const [op, operand] of Object.entries(condition as Doc)) {
      if (operand === undefined) continue;
      if (!operators.has(op)) throw badFilter(collection, path, `operator ${op} is not supported`);
      if (op === '$exists') {
        if (typeof operand !== 'boolean') throw badFilter(collection, path, '$exists takes true or false');
      } else if (op === '$in' || op === '$nin') {
        if (!Array.isArray(operand) || !operand.every(isScalar)) throw badFilter(collection, path, `${op} takes a list of values`);
      } else if (op === '$ne') {
        if (!isScalar(operand)) throw badFilter(collection, path, '$ne takes a string, number, boolean or null');
      } else if (operand === null || !isScalar(operand)) {
        throw badFilter(collection, path, `${op} takes a string, number or boolean`);
      }
      ops[op] = Array.isArray(operand) ? operand.map(storedOperand) : storedOperand(operand);
    }
    if (Object.keys(ops).length === 0) throw badFilter(collection, path, 'empty condition');
    query[fieldPath(path)] = ops;
  }
  return query;
}

export function toSort<T>(sort: FindOptions<T>['sort']): Array<[string, 1 | -1]> {
  return Object.entries(sort ?? {}).map(([path, direction]) => [fieldPath(path), direction === -1 ? -1 : 1]);
}

export function toUpdate<T>(collection: string, patch: Patch<T>): Doc {
  const update: Doc = {};
  // `set` stands where the record does (its fields are the record's); a pushed element sits one
  // level lower, inside its array.
  const set = patch.set === undefined ? {} : (plain(collection, undefined, patch.set, maxRecordDepth) as Doc);
  if ('_id' in set || 'id' in (patch.set ?? {})) {
    throw new PackrunError('STORE_BAD_PATCH', `a ${collection} record's id cannot change`, {
      details: { collection },
      userError: false,
    });
  }
  if (Object.keys(set).length > 0) update['$set'] = set;
  if (patch.unset !== undefined && patch.unset.length > 0) {
    update['$unset'] = Object.fromEntries(patch.unset.map((key) => [fieldPath(String(key)), true]));
  }
  const push = patch.push === undefined ? {} : (plain(collection, undefined, patch.push, maxRecordDepth - 1) as Doc);
  if (Object.keys(push).length > 0) update['$push'] = push;
  if (Object.keys(update).length === 0) {
    throw new PackrunError('STORE_BAD_PATCH', `an update of ${collection} must set, unset or push something`, {
      details: { collection },
      userError: false,
    });
  }
  return update;
}
