import { operators, searchConditions, searchOperator, type SearchCondition } from './operators.ts';
import { lookupPath } from './payload-lookup.ts';
import { describe } from './python-values.ts';

/**
 * Criteria evaluation with StackStorm's semantics (st2reactor/rules/filter.py): every criterion
 * must hold; a key is a path over `{trigger: payload}`; a string pattern is a template rendered
 * over the same context first (a lone `{{ expr }}` keeps its type); a criterion without a `type`
 * never matches; any error while rendering, looking up or comparing is a non-match, never a
 * crash. Criteria with an empty payload never match, as in StackStorm.
 */
export type RenderTemplate = (template: string, context: Record<string, unknown>) => unknown;

export interface CriteriaOptions {
  /** Renders a string pattern; the rules engine passes core's `renderValue`. */
  render: RenderTemplate;
  /** More names pattern templates may use besides the lookup root (`st2kv`). */
  templateContext?: Record<string, unknown>;
  /** Epoch milliseconds; the timediff operators compare against it. */
  now?: () => number;
}

type CriteriaResult =
  | { matched: true }
  | { matched: false; key?: string; type?: string; pattern?: unknown; value?: unknown; reason: string };

type Criterion = { type?: unknown; pattern?: unknown; condition?: unknown };

export function evaluateCriteria(
  criteria: Record<string, unknown> | undefined | null,
  payload: unknown,
  options: CriteriaOptions,
): CriteriaResult {
  const entries = Object.entries(criteria ?? {});
  if (entries.length === 0) return { matched: true };
  if (!isTruthyPayload(payload)) return { matched: false, reason: 'the trigger payload is empty' };
  const root = { trigger: payload };
  for (const [key, criterion] of entries) {
    const result = checkCriterion(key, criterion, root, options);
    if (!result.matched) return result;
  }
  return { matched: true };
}

function isTruthyPayload(payload: unknown): boolean {
  if (payload === null || payload === undefined) return false;
  if (typeof payload === 'object') return Object.keys(payload).length > 0;
  return Boolean(payload);
}

function checkCriterion(key: string, raw: unknown, root: Record<string, unknown>, options: CriteriaOptions): CriteriaResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { matched: false, key, reason: 'the criterion is not a mapping of {type, pattern}' };
  }
  const criterion = raw as Criterion;
  if (typeof criterion.type !== 'string') return { matched: false, key, reason: 'the criterion has no type' };
  const type = criterion.type.toLowerCase();
  const failure = (reason: string, pattern?: unknown, value?: unknown): CriteriaResult => ({
    matched: false,
    key,
    type,
    pattern,
    value,
    reason,
  });

  let pattern: unknown;
  try {
    pattern = renderPattern(criterion.pattern, root, options);
  } catch (error) {
    return failure(`the pattern could not be rendered: ${messageOf(error)}`, criterion.pattern);
  }
  let value: unknown;
  try {
    value = lookupPath(root, key);
  } catch (error) {
    return failure(messageOf(error), pattern);
  }

  try {
    let matched: boolean;
    if (type === searchOperator) {
      matched = search(value, pattern, criterion.condition, options);
    } else {
      const operator = operators[type];
      if (!operator) return failure(`unknown operator "${criterion.type}"`, pattern, value);
      matched = operator(value, pattern, options.now ?? Date.now);
    }
    return matched ? { matched: true } : failure('the value does not match', pattern, value);
  } catch (error) {
    return failure(`cannot compare: ${messageOf(error)}`, pattern, value);
  }
}

function renderPattern(pattern: unknown, root: Record<string, unknown>, options: CriteriaOptions): unknown {
  if (typeof pattern !== 'string') return pattern;
  return options.render(pattern, { ...options.templateContext, ...root });
}

/** `search`: sub-criteria over `item.*` applied to each element of a list. */
function search(value: unknown, pattern: unknown, condition: unknown, options: CriteriaOptions): boolean {
  if (!searchConditions.includes(condition as SearchCondition)) {
    throw new Error(`search condition "${String(condition)}" is not one of ${searchConditions.join(', ')}`);
  }
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
    throw new Error(`search pattern must be a mapping of item criteria, got ${describe(pattern)}`);
  }
  const items = iterate(value);
  const children = Object.entries(pattern);
  const holds = (item: unknown, [childKey, child]: [string, unknown]): boolean =>
    checkCriterion(childKey, child, { item }, options).matched;
  switch (condition as SearchCondition) {
    case 'any':
      return items.some((item) => children.every((child) => holds(item, child)));
    case 'all':
      return items.every((item) => children.every((child) => holds(item, child)));
    case 'all2any':
      return children.every((child) => items.some((item) => holds(item, child)));
    case 'any2any':
      return children.some((child) => items.some((item) => holds(item, child)));
  }
}

/** What Python's `for x in value` walks: list items, dict keys, string characters. */
function iterate(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (typeof value === 'object' && value !== null) return Object.keys(value);
  throw new Error(`search needs a list, got ${describe(value)}`);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
