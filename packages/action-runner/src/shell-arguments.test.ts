import { describe, expect, it } from 'vitest';
import type { ParameterSpec } from '@packrun/core';
import { shellArguments } from './shell-arguments.ts';

function spec(name: string, type: ParameterSpec['type'], position?: number): ParameterSpec {
  return { name, type, required: false, hasDefault: false, secret: false, immutable: false, runnerParameter: false, schema: {}, raw: {}, ...(position === undefined ? {} : { position }) };
}

describe('shellArguments', () => {
  const specs = {
    second: spec('second', 'boolean', 1),
    first: spec('first', 'array', 0),
    third: spec('third', 'object', 2),
    fourth: spec('fourth', 'string', 3),
    verbose: spec('verbose', 'boolean'),
    quiet: spec('quiet', 'boolean'),
    name: spec('name', 'string'),
    empty: spec('empty', 'string'),
    count: spec('count', 'integer'),
    tags: spec('tags', 'array'),
  };

  it('puts named arguments first, then positional ones in position order, serialised by type', () => {
    const args = shellArguments(
      { first: ['a', 'b'], second: true, third: { k: 1 }, fourth: null, verbose: true, quiet: false, name: 'x y', empty: '', count: 3, tags: ['p', 'q'] },
      specs,
    );
    expect(args).toEqual(['--verbose', '--name=x y', '--count=3', '--tags=p,q', 'a,b', '1', '{"k":1}', '']);
  });

  it('uses kwarg_op and writes a false positional boolean as 0', () => {
    expect(shellArguments({ second: false, name: 'n' }, specs, '-')).toEqual(['-name=n', '', '0', '', '']);
  });
});
