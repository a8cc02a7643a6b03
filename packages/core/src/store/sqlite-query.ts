import { PackrunError } from '../errors.ts';
import { column, type SqlValue } from './sqlite-schema.ts';

/**
 * Turns the MongoDB-shaped queries and sorts of document-codec.ts (already checked against the
 * restricted filter language, keys escaped) into SQL over a table of `(id, doc)` holding each
 * record's JSON without its id, plus a column per indexed field (sqlite-schema.ts).
 *
 * Two forms, with MongoDB's meaning in both:
 * - Indexed fields (a string or a number in every record, or missing) are compared in their
 *   column, the form their indexes serve.
 * - Any other path is bound as a parameter into SQLite's JSON functions and follows MongoDB's
 *   rules: an array matches when one of its elements does, comparisons only hold between values
 *   of the same type, and null matches a missing field.
 * A predicate may be SQL NULL where a field is missing, which WHERE takes as false; a negation
 * turns NULL into false first, so `$ne` and `$nin` match records without the field as MongoDB's do.
 * Positive predicates stay bare comparisons: wrapped in a function they would not use an index.
 */

type Doc = Record<string, unknown>;

interface SqlPart {
  sql: string;
  params: SqlValue[];
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The JSON path SQLite takes for a dotted document path: `context.rule` -> `$.context.rule`. */
function jsonPath(dotted: string): string | undefined {
  let out = '$';
  for (const segment of dotted.split('.')) {
    if (identifier.test(segment)) out += `.${segment}`;
    // SQLite's quoted labels end at the next double quote: such a key cannot be addressed.
    else if (segment.includes('"')) return undefined;
    else out += `."${segment}"`;
  }
  return out;
}

const comparisons: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

/** SQLite's json type names for the type of a JS scalar. */
function jsonTypes(value: string | number | boolean): string {
  if (typeof value === 'string') return `('text')`;
  if (typeof value === 'number') return `('integer', 'real')`;
  return value ? `('true')` : `('false')`;
}

/** Booleans order false < true in MongoDB; SQLite's json types name them, so ranges become type sets. */
function booleanRange(op: string, value: boolean): string {
  const below = value ? ['false'] : [];
  const above = value ? [] : ['true'];
  const types = op === '$gt' ? above : op === '$gte' ? [...above, String(value)] : op === '$lt' ? below : [...below, String(value)];
  return types.length === 0 ? '' : `(${types.map((type) => `'${type}'`).join(', ')})`;
}

interface Field {
  /** The SQL of the value, or of the path parameter's placeholder. */
  value: (params: SqlValue[]) => string;
  /** Predicates for one operand. */
  equals: (operand: unknown, params: SqlValue[]) => string;
  compare: (op: string, operand: string | number | boolean, params: SqlValue[]) => string;
  exists: (params: SqlValue[]) => string;
}

/** The id column: a non-empty string in every record. */
const idField: Field = {
  value: () => 'id',
  equals: (operand, params) => {
    if (typeof operand !== 'string') return '0';
    params.push(operand);
    return 'id = ?';
  },
  compare: (op, operand, params) => {
    if (typeof operand !== 'string') return '0';
    params.push(operand);
    return `id ${comparisons[op]} ?`;
  },
  exists: () => '1',
};

/**
 * An indexed field's column: a string, a number or NULL (sqlite-schema.ts refuses anything else),
 * so booleans never match, and a comparison need only keep strings and numbers apart. SQLite
 * orders every number before every string, MongoDB compares within one type: a bound on the
 * other side of '' keeps the other type out, which an index range serves as well.
 */
function indexedField(dotted: string): Field {
  const value = column(dotted);
  return {
    value: () => value,
    equals: (operand, params) => {
      if (operand === null) return `${value} IS NULL`;
      if (typeof operand === 'boolean') return '0';
      params.push(operand as string | number);
      return `${value} = ?`;
    },
    compare: (op, operand, params) => {
      if (typeof operand === 'boolean') return '0';
      params.push(operand);
      return `(${value} ${comparisons[op]} ? AND ${value} ${typeof operand === 'string' ? ">= ''" : "< ''"})`;
    },
    // A field stored as JSON null exists for MongoDB while its column is NULL: asked of the document.
    exists: () => `json_type(doc, '$.${dotted}') IS NOT NULL`,
  };
}

/** Any other path, bound as a parameter; arrays match through their elements. */
function documentField(path: string): Field {
  const elements = (condition: string, params: SqlValue[], operand?: SqlValue): string => {
    params.push(path);
    if (operand !== undefined) params.push(operand);
    // json_each of a scalar is that scalar (key NULL), of an array its elements (integer keys),
    // of an object its members (text keys), which MongoDB's equality never looks into.
    return `EXISTS (SELECT 1 FROM json_each(doc, ?) AS e WHERE (e.key IS NULL OR typeof(e.key) = 'integer') AND ${condition})`;
  };
  return {
    value: (params) => {
      params.push(path);
      return 'json_extract(doc, ?)';
    },
    equals: (operand, params) => {
      if (operand === null) {
        params.push(path);
        return `(json_type(doc, ?) IS NULL OR ${elements(`e.type = 'null'`, params)})`;
      }
      if (typeof operand === 'boolean') return elements(`e.type = '${String(operand)}'`, params);
      return elements(`e.type IN ${jsonTypes(operand as string | number)} AND e.value = ?`, params, operand as string | number);
    },
    compare: (op, operand, params) => {
      if (typeof operand === 'boolean') {
        const types = booleanRange(op, operand);
        return types === '' ? '0' : elements(`e.type IN ${types}`, params);
      }
      return elements(`e.type IN ${jsonTypes(operand)} AND e.value ${comparisons[op]} ?`, params, operand);
    },
    exists: (params) => {
      params.push(path);
      return 'json_type(doc, ?) IS NOT NULL';
    },
  };
}

export interface QueryContext {
  collection: string;
  /** Dotted paths (escaped, as in the query) of the collection's indexed fields. */
  indexed: ReadonlySet<string>;
}

function fieldFor(context: QueryContext, dotted: string): Field {
  if (dotted === '_id') return idField;
  if (context.indexed.has(dotted)) return indexedField(dotted);
  const path = jsonPath(dotted);
  if (path === undefined) {
    throw new PackrunError('STORE_BAD_FILTER', `filter on ${context.collection}.${dotted}: a field name with a double quote cannot be searched`, {
      details: { collection: context.collection, field: dotted },
    });
  }
  return documentField(path);
}

function anyOf(parts: string[]): string {
  return parts.length === 0 ? '0' : parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
}

function inList(field: Field, operands: unknown[], params: SqlValue[], indexed: boolean): string {
  const strings = operands.filter((operand): operand is string => typeof operand === 'string');
  const others = operands.filter((operand) => typeof operand !== 'string');
  // One IN over the strings of an indexed field lets SQLite walk its index once per value.
  if (indexed && strings.length > 1) {
    const list = `${field.value(params)} IN (${strings.map(() => '?').join(', ')})`;
    params.push(...strings);
    return anyOf([list, ...others.map((operand) => field.equals(operand, params))]);
  }
  return anyOf(operands.map((operand) => field.equals(operand, params)));
}

function not(predicate: string): string {
  return `NOT coalesce(${predicate}, 0)`;
}

/** The WHERE clause for a query from toQuery(); `1` for an empty one. */
export function toWhere(context: QueryContext, query: Doc): SqlPart {
  const params: SqlValue[] = [];
  const parts: string[] = [];
  for (const [dotted, condition] of Object.entries(query)) {
    const field = fieldFor(context, dotted);
    const indexed = dotted === '_id' || context.indexed.has(dotted);
    if (condition === null || typeof condition !== 'object') {
      parts.push(field.equals(condition, params));
      continue;
    }
    for (const [op, operand] of Object.entries(condition as Doc)) {
      if (op === '$exists') parts.push(operand === true ? field.exists(params) : not(field.exists(params)));
      else if (op === '$ne') parts.push(not(field.equals(operand, params)));
      else if (op === '$in') parts.push(inList(field, operand as unknown[], params, indexed));
      else if (op === '$nin') parts.push(not(inList(field, operand as unknown[], params, indexed)));
      else parts.push(field.compare(op, operand as string | number | boolean, params));
    }
  }
  return { sql: parts.length === 0 ? '1' : parts.join(' AND '), params };
}

/** The ORDER BY clause for a sort from toSort(); empty for none. */
export function toOrderBy(context: QueryContext, sort: Array<[string, 1 | -1]>): SqlPart {
  const params: SqlValue[] = [];
  const keys = sort.map(([dotted, direction]) => `${fieldFor(context, dotted).value(params)} ${direction === -1 ? 'DESC' : 'ASC'}`);
  return { sql: keys.length === 0 ? '' : ` ORDER BY ${keys.join(', ')}`, params };
}
