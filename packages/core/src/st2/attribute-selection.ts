import { PackrunError } from '../errors.ts';

/**
 * StackStorm's `include_attributes` / `exclude_attributes` query parameters: comma-separated
 * field names, a dotted name (`action.ref`) reaching into an object field. They only ever select
 * from the view a route already built, so no field the view leaves out (sealed secrets, blob
 * locations) can be asked back.
 */
export interface AttributeSelection {
  include?: string[];
  exclude?: string[];
}

/** The names of a comma-separated parameter (st2client sends one string; a repeated parameter gives several). */
export function attributeList(raw: string | string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = [raw].flat().flatMap((part) => part.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  return names.length === 0 ? undefined : names;
}

/** Refuses a name whose first segment is not a field of the resource (st2 answers 400 too). */
export function checkAttributes(selection: AttributeSelection, fields: readonly string[], resource: string): void {
  if (selection.include !== undefined && selection.exclude !== undefined) {
    throw new PackrunError('ATTRIBUTES_INVALID', 'include_attributes and exclude_attributes are mutually exclusive; give one of them', {
      details: { parameter: 'include_attributes' },
    });
  }
  for (const [parameter, names] of [['include_attributes', selection.include], ['exclude_attributes', selection.exclude]] as const) {
    for (const name of names ?? []) {
      const top = name.split('.')[0] ?? '';
      if (!fields.includes(top)) {
        throw new PackrunError('ATTRIBUTES_INVALID', `Invalid or unsupported ${parameter === 'include_attributes' ? 'include' : 'exclude'} attribute specified: ${name}`, {
          hint: `${resource} fields: ${fields.join(', ')}`,
          details: { parameter, attribute: name },
        });
      }
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick(source: Record<string, unknown>, path: string[], into: Record<string, unknown>): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in source)) return;
  const value = source[head];
  if (rest.length === 0 || !isObject(value)) {
    into[head] = value;
    return;
  }
  const nested = isObject(into[head]) ? (into[head] as Record<string, unknown>) : {};
  into[head] = nested;
  pick(value, rest, nested);
}

function drop(target: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in target)) return;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const value = target[head];
  if (isObject(value)) {
    const copy = { ...value };
    target[head] = copy;
    drop(copy, rest);
  }
}

/** The view with only the included fields (and `id`), or without the excluded ones. */
export function selectAttributes<T extends object>(view: T, selection: AttributeSelection): Partial<T> {
  if (selection.include !== undefined) {
    const picked: Record<string, unknown> = {};
    for (const name of ['id', ...selection.include]) pick(view as Record<string, unknown>, name.split('.'), picked);
    return picked as Partial<T>;
  }
  if (selection.exclude !== undefined) {
    const rest: Record<string, unknown> = { ...(view as Record<string, unknown>) };
    for (const name of selection.exclude) if (name !== 'id') drop(rest, name.split('.'));
    return rest as Partial<T>;
  }
  return view;
}
