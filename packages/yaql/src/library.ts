import { define, parameter } from './define.ts';
import { types, type FunctionDefinition } from './functions.ts';
import { branchingFunctions } from './library-branching.ts';
import { collectionFunctions } from './library-collections.ts';
import { mathFunctions } from './library-math.ts';
import { queryFunctions } from './library-queries.ts';
import { aggregationFunctions } from './library-aggregation.ts';
import { regexFunctions } from './library-regex.ts';
import { stringFunctions } from './library-strings.ts';
import { systemFunctions } from './library-system.ts';
import { truthy } from './python-values.ts';

/**
 * yaql's standard library as an engine offers it. Within one name, overloads are tried in this
 * order, so the more specific ones (a string before any collection) come first.
 */
export const standardLibrary: readonly FunctionDefinition[] = [
  ...systemFunctions,
  define('bool', 'function', [parameter('value', types.any)], ([value]) => truthy(value)),
  define('isBoolean', 'function', [parameter('value', types.any)], ([value]) => typeof value === 'boolean'),
  ...stringFunctions,
  ...mathFunctions,
  ...collectionFunctions,
  ...queryFunctions,
  ...aggregationFunctions,
  ...regexFunctions,
  ...branchingFunctions,
];
