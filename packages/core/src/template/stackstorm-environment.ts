import { Environment } from '@packrun/jinja';
import { st2Filters } from './st2-filters.ts';

/**
 * StackStorm's Jinja environment (st2common/util/jinja.py get_jinja_environment): trim_blocks and
 * lstrip_blocks on, StrictUndefined unless a render allows undefined values, StackStorm's filters
 * on top of Jinja's. Templates are parsed once and cached by the environment.
 */
export const stackstormEnvironment = createEnvironment();

function createEnvironment(): Environment {
  const environment = new Environment({ trimBlocks: true, lstripBlocks: true, undefined: 'strict' });
  for (const [name, filter] of Object.entries(st2Filters)) environment.addFilter(name, filter);
  return environment;
}
