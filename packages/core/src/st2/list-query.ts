/**
 * The query parameters StackStorm's list routes take and st2client sends (`?include_attributes=
 * ref,pack&limit=50`): spread into a route's closed query schema. `limit` -1 is st2's "all".
 */
export const st2ListQueryProperties = {
  include_attributes: { type: 'string', maxLength: 2000, description: 'comma-separated fields to return (st2\'s `a.b` selects `a`)' },
  exclude_attributes: { type: 'string', maxLength: 2000, description: 'comma-separated fields to leave out' },
  limit: { type: 'integer', minimum: -1, maximum: 10_000, default: 100, description: 'at most this many; -1: all' },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

export interface St2ListQuery {
  include_attributes?: string;
  exclude_attributes?: string;
  limit: number;
  offset: number;
}

function fieldNames(list: string | undefined): string[] {
  if (list === undefined) return [];
  // st2client asks for `rule.ref` or `trigger.ref` in a table: the whole top-level field answers it.
  return list.split(',').map((name) => name.trim().split('.')[0]!).filter((name) => name !== '');
}

/** One item with only the fields asked for (`id` always stays, as st2 keeps it). */
export function projected<T extends object>(item: T, query: Pick<St2ListQuery, 'include_attributes' | 'exclude_attributes'>): Partial<T> {
  const include = fieldNames(query.include_attributes);
  const exclude = new Set(fieldNames(query.exclude_attributes));
  const entries = Object.entries(item).filter(([name]) => (include.length === 0 || name === 'id' || include.includes(name)) && !exclude.has(name));
  return Object.fromEntries(entries) as Partial<T>;
}

/** What sends a listing's total: a fastify reply's `header`. */
interface TotalHeader {
  header(name: string, value: string): unknown;
}

/**
 * A page of a listing as st2 answers it: `offset` and `limit` applied, the total in
 * `X-Total-Count` (st2client's `-n` note reads it), each item projected.
 */
export function st2Page<T extends object>(reply: TotalHeader, items: readonly T[], query: St2ListQuery): Array<Partial<T>> {
  reply.header('x-total-count', String(items.length));
  const end = query.limit === -1 ? undefined : query.offset + query.limit;
  return items.slice(query.offset, end).map((item) => projected(item, query));
}
