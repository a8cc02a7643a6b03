import { describe, expect, it } from 'vitest';
import { YaqlEngine } from './engine.ts';
import { generalData, vmsData } from './reference-corpus.ts';

/**
 * yaql's behaviour that workflows rely on, asserted here as values, so it is checked even where
 * PyPI's yaql (the comparison tests' reference) is not installed. Each value is what yaql 3.2 gives.
 */
const engine = new YaqlEngine();
const value = (expression: string, root: unknown = generalData) => engine.evaluate(expression, { root });

describe('interpreter', () => {
  it("gives the results of Orquesta's YAQL documentation", () => {
    expect(value('dict(a=>123, b=>true)')).toEqual({ a: 123, b: true });
    expect(value('dict(a=>123, b=>true) + dict(c=>xyz)')).toEqual({ a: 123, b: true, c: 'xyz' });
    expect(value('list(abc, def) + list(ijk, xyz)')).toEqual(['abc', 'def', 'ijk', 'xyz']);
    expect(value('$.vms.select([$.name, $.role])', vmsData)).toEqual([['vmweb1', 'web'], ['vmdb1', 'db'], ['vmweb2', 'web'], ['vmdb2', 'db']]);
    expect(value('$.vms.select($.region).distinct()', vmsData)).toEqual(['us-east', 'us-west']);
    expect(value("$.vms.where($.region = 'us-east' and $.role = 'web').select($.name)", vmsData)).toEqual(['vmweb1']);
    expect(value("let(my_region => 'us-east', my_role => 'web') -> $.vms.where($.region = $my_region and $.role = $my_role).select($.name)", vmsData)).toEqual(['vmweb1']);
    expect(value('dict(vms=>dict($.vms.select([$.name, $])))', vmsData)).toMatchObject({ vms: { vmdb2: { region: 'us-west' } } });
    expect(value('"one, two, three, four".split(\',\').select(str($).trim())')).toEqual(['one', 'two', 'three', 'four']);
  });

  it('follows Python arithmetic: integer division floors, floats stay floats, mod takes the divisor sign', () => {
    expect([value('7 / 2'), value('-7 / 2'), value('7.0 / 2'), value('-7 mod 3'), value('str(2.0 * 2)'), value('str(1 + 1)')]).toEqual([3, -4, 3.5, 2, '4.0', '2']);
    expect([value('1 = 1.0'), value('true = 1'), value("'a' < 'b'"), value('null < 0'), value('0.1 + 0.2')]).toEqual([true, true, true, true, 0.30000000000000004]);
    expect([value('round(2.5)'), value('round(2.675, 2)'), value("int(' 42 ')"), value("float('1e3')")]).toEqual([2, 2.67, 42, 1000]);
  });

  it("prints values as yaql's str() does", () => {
    expect(value('[str(null), str(true), str([1, 2]), str([1]), str({a => [1]}), str(0.000015), str(10000000000000000.0)]')).toEqual([
      'null', 'true', '(1, 2)', '(1,)', "{'a': (1,)}", '1.5e-05', '1e+16',
    ]);
    expect(value("str('a,b'.split(','))")).toBe("['a', 'b']");
  });

  it('keeps query results lazy, as yaql does: not indexable, equal only to themselves, infinite when asked', () => {
    expect(() => value('$.l.where($ > 1)[0]')).toThrow(/cannot be indexed/);
    expect(value('$.l.select($) = [3, 1, 2]')).toBe(false);
    expect(value('$.l.select($).toList() = [3, 1, 2]')).toBe(true);
    expect(value('sequence(1).select($ * $).takeWhile($ < 30)')).toEqual([1, 4, 9, 16, 25]);
  });

  it('reads data: a missing key through "." fails, through get() or $name is null', () => {
    expect(() => value('$.d.missing')).toThrow(/no key 'missing'/);
    expect([value('$.d.get(missing)'), value('$.d.get(missing, 0)'), value('$missing'), value('$.n?.x'), value('$.people.name')]).toEqual([null, 0, null, null, ['ann', 'bob', 'cy']]);
  });

  it('runs the branching and query functions workflows use', () => {
    expect(value('switch($.a > 5 => big, $.a > 0 => small, true => none)')).toBe('small');
    expect(value('coalesce($.n, $missing2, 7)')).toBe(7);
    expect(value('$.people.orderBy($.age).thenByDescending($.name).name')).toEqual(['bob', 'cy', 'ann']);
    expect(value('$.people.groupBy($.age, $.name)')).toEqual([[31, ['ann', 'cy']], [25, ['bob']]]);
    expect(value("$.people.toDict($.name, $.age).set(dan => 40)")).toEqual({ ann: 31, bob: 25, cy: 31, dan: 40 });
    expect(value('$.d.mergeWith({y => [2, 3], z => {j => 1}})')).toEqual({ x: 1, y: [1, 2, 3], z: { k: 'v', j: 1 } });
    expect(value("regex('(\\\\d+)').searchAll($.text, $2.value)")).toEqual(['1', '22', '333']);
    expect(value("$.text.replace(regex('(?P<d>\\\\d)'), '<\\\\g<d>>')")).toBe('a<1>b<2><2>c<3><3><3>');
  });
});
