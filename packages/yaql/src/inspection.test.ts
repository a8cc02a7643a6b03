import { describe, expect, it } from 'vitest';
import { YaqlEngine } from './engine.ts';

const engine = new YaqlEngine();
const names = (reads: { name: string | undefined; dynamic: boolean }[]) => reads.map((read) => (read.dynamic ? '<dynamic>' : (read.name ?? '<all>')));

describe('inspection', () => {
  it("finds the ctx() variables an expression reads, in every form Orquesta's inspection knows", () => {
    const expression = engine.compile("ctx().a + ctx(b) + ctx('c') + ctx(\"d\") + ctx()['e'] + ctx()?.f + ctx(g).h + ctx().i.j");
    expect(names(expression.namedReads('ctx'))).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'i']);
  });

  it('says when a read cannot be known before running', () => {
    expect(names(engine.compile('ctx()').namedReads('ctx'))).toEqual(['<all>']);
    expect(names(engine.compile('ctx(ctx().key)').namedReads('ctx'))).toEqual(['<dynamic>', 'key']);
    expect(names(engine.compile("ctx()[$.name]").namedReads('ctx'))).toEqual(['<dynamic>']);
    expect(names(engine.compile("[1].ctx()").namedReads('ctx'))).toEqual([]);
  });

  it('finds the keys of $ read outside the lambdas where $ is an item', () => {
    expect(names(engine.compile("$.vms.where($.region = $.wanted).select($.name)").rootReads())).toEqual(['vms']);
    expect(names(engine.compile("$.a + $['b'] + coalesce($.c, 1) + switch($.d => 1)").rootReads())).toEqual(['a', 'b', 'c', 'd']);
    expect(names(engine.compile('$.x.get($.key)').rootReads())).toEqual(['x', 'key']);
    expect(names(engine.compile('$').rootReads())).toEqual(['<all>']);
  });

  it('lists the variables and the calls with their constant arguments', () => {
    const references = engine.compile("task('t1').result + $x + st2kv('system.k', decrypt => true) + [1].len()").references();
    expect(references.variables.map((variable) => variable.name)).toEqual(['x']);
    expect(references.functions.map(({ name, method, constantArguments }) => ({ name, method, constantArguments }))).toEqual([
      { name: 'task', method: false, constantArguments: ['t1'] },
      { name: 'st2kv', method: false, constantArguments: ['system.k', undefined] },
      { name: 'len', method: true, constantArguments: [] },
    ]);
    expect(references.functions[0]).toMatchObject({ start: 0, end: 10 });
  });
});
