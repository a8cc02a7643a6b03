import { describe, expect, it } from 'vitest';
import { YaqlEngine, type CallContext } from './engine.ts';
import { YaqlError } from './errors.ts';

function failure(run: () => unknown): YaqlError {
  try {
    run();
  } catch (error) {
    if (error instanceof YaqlError) return error;
    throw error;
  }
  throw new Error('expected a YaqlError');
}

/** Orquesta's ctx(), as the workflow engine will register it: the workflow's variables are `$__vars`. */
function ctx(args: { positional: unknown[] }, context: CallContext): unknown {
  const variables = context.variable('__vars') as Record<string, unknown>;
  if (args.positional.length === 0) return variables;
  const name = String(args.positional[0]);
  if (!Object.hasOwn(variables, name)) throw new Error(`Unable to resolve key '${name}' in expression from context.`);
  return variables[name];
}

describe('YaqlEngine', () => {
  it('evaluates with $ as the root data and $name variables', () => {
    const engine = new YaqlEngine();
    expect(engine.evaluate('$.a + $b', { root: { a: 1 }, variables: { b: 2 } })).toBe(3);
    expect(engine.evaluate('$')).toBeNull();
    expect(engine.evaluate('$missing')).toBeNull();
  });

  it('returns plain data: lists for lazy sequences and sets, numbers for whole floats', () => {
    const engine = new YaqlEngine();
    expect(engine.evaluate('[range(3), set(1, 1, 2), 2.0, {a => [1]}.keys()]')).toEqual([[0, 1, 2], [1, 2], 2, ['a']]);
    expect(failure(() => engine.evaluate('let(x => 1)'))).toMatchObject({ kind: 'type', detail: expect.stringContaining('a context') });
    expect(failure(() => engine.evaluate("regex('a')"))).toMatchObject({ kind: 'type', detail: expect.stringContaining('regex') });
    expect(failure(() => engine.evaluate('{[1] => 2}'))).toMatchObject({ kind: 'type', detail: expect.stringContaining('list key') });
  });

  it('caches what it parses and gives syntax errors with their position', () => {
    const engine = new YaqlEngine();
    expect(engine.compile('$.a + 1')).toBe(engine.compile('$.a + 1'));
    const error = failure(() => engine.compile('$.a +\n  * 2'));
    expect(error).toMatchObject({ kind: 'syntax', offset: 8, line: 2, column: 3 });
    expect(error.message).toBe("Parse error: unexpected '*' (position 8, line 2, column 3)");
    expect(failure(() => engine.compile("'open"))).toMatchObject({ kind: 'syntax', offset: 0, detail: "Lexical error: illegal character '''" });
    expect(failure(() => engine.compile('f(a => 1, 2)'))).toMatchObject({ kind: 'syntax' });
  });

  it('gives evaluation errors the position of what failed', () => {
    const engine = new YaqlEngine();
    expect(failure(() => engine.evaluate('$.a.missing', { root: { a: {} } }))).toMatchObject({ kind: 'lookup', key: 'missing', offset: 4 });
    expect(failure(() => engine.evaluate('1 + nope()'))).toMatchObject({ kind: 'name', offset: 4, detail: 'Unknown function "nope"' });
    expect(failure(() => engine.evaluate('[1].nope()'))).toMatchObject({ kind: 'name', offset: 4, detail: 'Unknown method "nope" for receiver (1,)' });
    expect(failure(() => engine.evaluate("'a'.where($)"))).toMatchObject({ kind: 'type', detail: `No method "where" for receiver 'a' matches supplied arguments` });
    expect(failure(() => engine.evaluate('$.l[3]', { root: { l: [1] } }))).toMatchObject({ kind: 'lookup', key: 3 });
  });

  it('calls the functions an embedder registers, with the variables where they are called', () => {
    const engine = new YaqlEngine().addFunction('ctx', ctx);
    const variables = { __vars: { vms: [{ name: 'a', up: true }, { name: 'b', up: false }], greeting: 'Hi' } };
    expect(engine.evaluate('ctx(vms).where($.up).name', { variables })).toEqual(['a']);
    expect(engine.evaluate("ctx().greeting + ' ' + ctx('vms')[1].name", { variables })).toBe('Hi b');
    expect(engine.evaluate('ctx(greeting).toLower()', { variables })).toBe('hi');
    expect(engine.evaluate('let(x => 1) -> ctx(vms).select(ctx(greeting) + $.name + str($x))', { variables })).toEqual(['Hia1', 'Hib1']);
    expect(failure(() => engine.evaluate('let(__vars => {x => 1}) -> ctx(x)', { variables }))).toMatchObject({ kind: 'syntax' });
    expect(failure(() => engine.evaluate('ctx(nope)', { variables }))).toMatchObject({ kind: 'call', detail: "ctx() failed: Unable to resolve key 'nope' in expression from context.", offset: 0 });
    expect(failure(() => engine.evaluate('[1].ctx()', { variables }))).toMatchObject({ kind: 'name' });
  });

  it('passes keywords and, when asked, the receiver of a method call', () => {
    const seen: unknown[] = [];
    const engine = new YaqlEngine().addFunction(
      'st2kv',
      (args) => {
        seen.push(args);
        return 'value';
      },
      { method: true },
    );
    expect(engine.evaluate("st2kv('system.key', decrypt => true)")).toBe('value');
    expect(engine.evaluate("'k'.st2kv()")).toBe('value');
    expect(seen).toEqual([
      { positional: ['system.key'], keywords: expect.objectContaining({ decrypt: true }) },
      { positional: ['k'], keywords: {} },
    ]);
  });

  it('refuses what a registered function returns when it is not data', () => {
    const engine = new YaqlEngine().addFunction('leak', () => process.env).addFunction('fn', () => () => 1);
    expect(failure(() => engine.evaluate('leak()'))).toMatchObject({ kind: 'unsafe' });
    expect(failure(() => engine.evaluate('fn()'))).toMatchObject({ kind: 'unsafe' });
  });

  it("puts the embedder's functions before the library's, and replaces one registered again", () => {
    const engine = new YaqlEngine().addFunction('len', () => 'mine').addFunction('zip', (args) => args.positional.length);
    expect(engine.evaluate('len([1, 2])')).toBe('mine');
    expect(engine.evaluate('[1, 2].len()')).toBe(2);
    expect(engine.evaluate('zip([1], [2], [3])')).toBe(3);
    expect(engine.evaluate('[1].zip([2])')).toEqual([[1, 2]]);
    engine.addFunction('len', () => 'again');
    expect(engine.evaluate('len([1])')).toBe('again');
  });
});
