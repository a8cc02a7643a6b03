import { define, parameter } from './define.ts';
import { types, type FunctionDefinition } from './functions.ts';
import { truthy } from './python-values.ts';
import { lazy } from './collections.ts';
import type { Lambda, LazyMappingRule } from './values.ts';

/** yaql's branching: `switch(cond => value, ...)`, `coalesce`, `selectCase`, `switchCase`, `examine`. */
export const branchingFunctions: FunctionDefinition[] = [
  define(
    'switch',
    'function',
    [],
    (rules) => {
      for (const rule of rules as LazyMappingRule[]) if (truthy(rule.key())) return rule.value();
      return null;
    },
    { rest: parameter('args', types.lazyRule), noKeywords: true },
  ),
  define(
    'selectCase',
    'function',
    [],
    (conditions) => {
      const index = (conditions as Lambda[]).findIndex((condition) => truthy(condition.call()));
      return index === -1 ? conditions.length : index;
    },
    { rest: parameter('args', types.lambda) },
  ),
  define(
    'selectAllCases',
    'function',
    [],
    (conditions) =>
      lazy(function* () {
        for (const [index, condition] of (conditions as Lambda[]).entries()) if (truthy(condition.call())) yield index;
      }),
    { rest: parameter('args', types.lambda) },
  ),
  define(
    'examine',
    'function',
    [],
    (conditions) =>
      lazy(function* () {
        for (const condition of conditions as Lambda[]) yield truthy(condition.call());
      }),
    { rest: parameter('args', types.lambda) },
  ),
  define(
    'switchCase',
    'method',
    [parameter('case', types.int)],
    ([selected, ...cases]) => {
      const branches = cases as Lambda[];
      const index = Number(selected);
      if (index >= 0 && index < branches.length) return branches[index]!.call();
      return branches.length === 0 ? null : branches[branches.length - 1]!.call();
    },
    { rest: parameter('args', types.lambda) },
  ),
  define(
    'coalesce',
    'function',
    [],
    (values) => {
      for (const value of values as Lambda[]) {
        const result = value.call();
        if (result !== null) return result;
      }
      return null;
    },
    { rest: parameter('args', types.lambda) },
  ),
];
