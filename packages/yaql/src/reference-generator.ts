import { generalData } from './reference-corpus.ts';
import type { Case } from './reference-runner.ts';

/**
 * Random expressions for the comparison with PyPI's yaql, from a seeded generator so a failure
 * can be reproduced: typed templates (a list from `$.l.where(...)`, a string from `.toUpper()`)
 * filled with literals, paths into the test data and smaller generated expressions, and now and
 * then a value of the wrong type, so both engines' errors are compared too.
 */

/** `key`: a string that is never swapped for another kind, for dict keys (see README: keys are strings here). */
type Kind = 'int' | 'num' | 'str' | 'key' | 'bool' | 'list' | 'dict' | 'any' | 'lambda' | 'lambda2';

const pools: Record<Exclude<Kind, 'any' | 'key'>, string[]> = {
  int: ['0', '1', '2', '3', '-1', '10', '$.a', '$.l[0]', 'len($.l)'],
  num: ['1.5', '2.0', '-0.5', '$.b', '0.1', '7', '-3'],
  str: ["'a'", "'abc'", "''", "'A b C'", "'x,y,z'", '$.s', '$.csv', '$.unicode', 'abc', "'1'", "'2.5'", "' pad '", '$.text', "'b'"],
  bool: ['true', 'false', 'null', '$.n', '$.t'],
  list: ['[]', '[1, 2, 3]', '$.l', '$.words', '$.nested', '[1, [2]]', "['b', 'a']", 'range(4)', '$.people', '[1.5, 2]', '[null, 1]', "[1, 'a']"],
  dict: ['{}', '$.d', '{a => 1}', '{a => 1, b => [1]}', '$.people[0]', '$.d.z'],
  lambda: ['$ > 1', '$ * 2', '$', 'str($)', '[$, $]', '$ = a', 'not $', '$ + $', '$.len()', '$ mod 2 = 0', 'isString($)', '$ in [1, a]', '$.name', '1'],
  lambda2: ['$1 + $2', '$1 * $2', 'max($1, $2)', '[$1, $2]', '$2'],
};

const templates: Record<Exclude<Kind, 'lambda' | 'lambda2' | 'key'>, string[]> = {
  list: [
    '{list}.where({lambda})', '{list}.select({lambda})', '{list}.orderBy({lambda})', '{list}.orderByDescending({lambda})', '{list}.skip({int})', '{list}.take({int})',
    '{list}.distinct()', '{list} + {list}', '{list}.concat({list})', '{str}.split({str})', '{str}.split()', '{list}.reverse()', '{list}.flatten()', 'range({int})',
    'range({int}, {int})', '{list}.zip({list})', '{list}.zipLongest({list})', '{dict}.keys()', '{dict}.values()', '{list}.enumerate()', '{list}.selectMany({lambda})',
    'list({any}, {any})', '[{any}, {any}]', '{list}.append({any})', '{list}.delete({int})', '{list}.insert({int}, {any})', '{list}.where({lambda}).select({lambda})',
    '{str}.toCharArray()', '{list} * {int}', '{list}.toList()', '{list}.slice(2)', '{list}.splitAt({int})', '{list}.accumulate({lambda2})', '{list}.takeWhile({lambda})',
    '{list}.skipWhile({lambda})', '{list}.groupBy({lambda})', '{list}.replace({int}, {any})', 'set({any}, {any})', '{list}.toSet()', '{list}.defaultIfEmpty([0])',
    '{str}.rightSplit({str}, 1)', '{list}.distinct({lambda})', "regex('[a-z]+').searchAll({str})", "{str}.split(regex('[, ]'))", '{list}.select({lambda}).where({lambda})',
  ],
  str: [
    '{str}.toUpper()', '{str}.toLower()', '{str}.trim()', '{str}.trimLeft()', '{str} + {str}', 'str({any})', '{list}.join({str})', '{str}.replace({str}, {str})',
    '{str}.substring({int}, {int})', '{str}.substring({int})', '{str} * {int}', 'concat({str}, {str})', 'switch({bool} => {str}, true => {str})',
    "{list}.select(str($)).join(', ')", '{str}.norm()', "regex('[aeiou]').replace({str}, '_')", "{str}.replace(regex('(\\\\w)(\\\\w)'), '\\\\2\\\\1')", 'escapeRegex({str})',
    'str({list})', 'str({dict})', 'str({num})', '{str}.trim({str})',
  ],
  int: [
    '{int} + {int}', '{int} * {int}', '{int} / {int}', '{int} mod {int}', 'len({list})', '{list}.len()', '{str}.len()', '{list}.count()', '{list}.sum()', '{list}.indexOf({any})',
    '{str}.indexOf({str})', '{str}.lastIndexOf({str})', 'int({any})', 'abs({int})', '-{int}', 'max({int}, {int})', 'min({any}, {any})', '{list}.max()', '{list}.min()',
    '{list}.first()', '{list}.last()', 'sign({num})', 'round({num})', '{list}.indexWhere({lambda})', '{list}.aggregate({lambda2})', 'selectCase({bool}, {bool})',
    'bitwiseAnd({int}, {int})', 'shiftBitsLeft({int}, 3)',
  ],
  num: ['{num} + {num}', '{num} / {num}', '{num} * {num}', 'float({any})', 'round({num}, {int})', '{num} - {num}', 'abs({num})', '{num} mod {num}', 'pow({int}, {int})', '{list}.sum({num})'],
  bool: [
    '{any} = {any}', '{any} != {any}', '{num} < {num}', '{str} < {str}', '{any} < {any}', '{any} >= {any}', '{any} in {list}', '{str} in {str}', '{bool} and {bool}',
    '{any} or {any}', 'not {any}', '{list}.any({lambda})', '{list}.all({lambda})', '{list}.contains({any})', '{str}.startsWith({str})', '{str}.endsWith({str})', '{str} =~ {str}',
    '{str} !~ {str}', 'isEmpty({any})', 'bool({any})', '{dict}.containsKey({any})', '{dict}.containsValue({any})', 'isList({any})', 'isString({any})', 'isInteger({any})',
    'isDict({any})', 'isNumber({any})', '{str}.matches({str})', '{list}.any()', '{list}.all()',
  ],
  dict: [
    '{dict} + {dict}', '{dict}.set({key}, {any})', 'dict({key} => {any})', '{list}.toDict(str({lambda}))', '{dict}.delete({key})', '{ {key} => {any} }',
    '{list}.toDict(str($), $)', '{dict}.set({key} => {any})', 'dict({list}.select([str($), $]))', '{dict}.deleteAll({list}.select(str($)))',
  ],
  any: [
    '{dict}.get({str})', '{list}[{int}]', '{dict}[{str}]', '{dict}.get({str}, {any})', 'let(x => {any}) -> $x', 'let(x => {any}, y => {any}) -> [$y, $x]', 'coalesce({any}, {any})',
    '{list}.first({any})', '{list}.last({any})', '{list}.aggregate({lambda2}, {any})', '{dict}.{name}', '{list}.{name}', '{any}?.{name}', '[{any}].unpack(v) -> $v',
    '{int}.switchCase({any}, {any})', 'with({any}) -> $1', '{list}.single()', '{list}.reduce({lambda2})',
  ],
};

const names = ['x', 'y', 'z', 'name', 'age', 'a', 'k'];

/** mulberry32: small, fast and good enough to spread the templates. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generatedCases(count: number, seed: number): Case[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const concrete: Exclude<Kind, 'any' | 'key' | 'lambda' | 'lambda2'>[] = ['int', 'num', 'str', 'bool', 'list', 'dict'];
  const generate = (kind: Kind, depth: number): string => {
    if (kind === 'lambda' || kind === 'lambda2') return pick(pools[kind]);
    if (kind === 'key') return pick(pools.str);
    // One time in ten, a value of any kind where a kind was wanted, so type errors are compared too.
    const actual = kind === 'any' || next() < 0.1 ? pick(concrete) : kind;
    if (depth <= 0 || next() < 0.45) return pick(pools[actual]);
    const template = pick(kind === 'any' && next() < 0.3 ? templates.any : templates[actual]);
    return template.replace(/\{(\w+)\}/g, (_: string, placeholder: string) => (placeholder === 'name' ? pick(names) : generate(placeholder as Kind, depth - 1)));
  };
  const cases: Case[] = [];
  const seen = new Set<string>();
  while (cases.length < count) {
    const expression = generate('any', 3);
    if (seen.has(expression)) continue;
    seen.add(expression);
    cases.push({ expression, data: generalData });
  }
  return cases;
}
