import type { Case } from './reference-runner.ts';

/**
 * Hand-written cases for the comparison with PyPI's yaql (reference-comparison.test.ts): the
 * expressions of Orquesta's documentation and StackStorm's example workflows, then each operator
 * and library function on the values workflows handle.
 */

export const vmsData = {
  vms: [
    { name: 'vmweb1', region: 'us-east', role: 'web' },
    { name: 'vmdb1', region: 'us-east', role: 'db' },
    { name: 'vmweb2', region: 'us-west', role: 'web' },
    { name: 'vmdb2', region: 'us-west', role: 'db' },
  ],
};

export const generalData = {
  a: 1,
  b: 2.5,
  n: null,
  t: true,
  f: false,
  s: 'Hello World',
  e: '',
  l: [3, 1, 2],
  nested: [[1, 2], [3, [4, 5]]],
  d: { x: 1, y: [1, 2], z: { k: 'v' } },
  words: ['b', 'a', 'c', 'a'],
  people: [
    { name: 'ann', age: 31, tags: ['a'] },
    { name: 'bob', age: 25, tags: [] },
    { name: 'cy', age: 31, tags: ['a', 'b'] },
  ],
  csv: 'one, two , three',
  unicode: 'naïve 😀 café',
  text: 'a1b22c333',
};

const orquestaDocs = [
  'dict(a=>123, b=>true)',
  "dict(a=>123, b=>true) + dict(c=>xyz)",
  'list(1, 2, 3)',
  'list(abc, def)',
  'list(abc, def) + list(ijk, xyz)',
  '$.vms.select($.name)',
  '$.vms.select([$.name, $.role])',
  '$.vms.select($.region).distinct()',
  "$.vms.where($.region = 'us-east').select($.name)",
  "$.vms.where($.region = 'us-east' and $.role = 'web').select($.name)",
  "let(my_region => 'us-east', my_role => 'web') -> $.vms.where($.region = $.my_region and $.role = $.my_role).select($.name)",
  "let(my_region => 'us-east', my_role => 'web') -> $.vms.where($.region = $my_region and $.role = $my_role).select($.name)",
  'dict(vms=>dict($.vms.select([$.name, $])))',
  '$.vms.name',
  '$.vms[0]',
  '$.vms[0].name',
  '$.vms.len()',
  'len($.vms)',
  '$.vms.toDict($.name, $.role)',
  '$.vms.groupBy($.region, $.name)',
  '$.vms.orderBy($.name).select($.name)',
  '$.vms.orderBy($.role).thenByDescending($.name).select($.name)',
  '$.vms.where($.role = db).len()',
  '$.vms.any($.role = web)',
  '$.vms.all($.region.startsWith(us))',
  "$.vms.select($.name).join(', ')",
  "', '.join($.vms.name)",
  '"one, two, three, four".split(\',\').select(str($).trim())',
];

const literalsAndOperators = [
  '1', '-1', '1.5', '2.0', '10 / 4', '10.0 / 4', '-7 / 2', '7 mod 3', '-7 mod 3', '7 mod -3', '5.5 mod 2', '2 * 3 + 4', '2 * (3 + 4)',
  '1 + 2.0', '0.1 + 0.2', '1 / 3.0', '3 * 1.5', '-(1)', '+2', '--2', '1 - -1',
  "'abc'", '"abc"', '`abc`', "'a\\tb'", "'a\\nb'", "'\\x41\\u00e9'", "'\\101'", "'it\\'s'", "'back\\\\slash'", "'\\d+'", '"say \\"hi\\""', '`a\\`b`',
  'true', 'false', 'null', 'abc', 'abc_def', 'Abc1',
  'true and false', 'true or false', 'null or 1', '0 or abc', "'' and 1", '1 and 2', 'not true', 'not null', 'not 0', "not ''", 'not []',
  '1 = 1', '1 = 1.0', 'true = 1', 'null = null', 'null = 0', "'a' = 'a'", "'a' != 'b'", '[1, 2] = [1, 2]', '[1, 2] = [2, 1]', '{a => 1} = {a => 1}',
  '1 < 2', '2 <= 2', "'a' < 'b'", "'B' < 'a'", 'null < 1', '1 < null', 'null < null', 'null <= null', 'null >= 1', '1.5 > 1',
  '1 in [1, 2]', '3 in [1, 2]', "'b' in 'abc'", "'x' in 'abc'", 'null in [null]', '1.0 in [1]', 'true in [1]',
  "'ab' + 'cd'", "'ab' * 3", "3 * 'ab'", "'ab' * 0", '[1] + [2, 3]', '[1, 2] * 2', '2 * [1]', '{a => 1} + {b => 2}', '{a => 1} + {a => 2}',
  "'abc' =~ 'b'", "'abc' =~ '^b'", "'abc' !~ 'z'", "'ABC' =~ regex('b', ignoreCase => true)",
  '[]', '[1, [2, 3]]', '{}', '{a => 1, b => [1, 2]}', "{'a b' => 1}", '{1 => 2}', '{true => 1}',
  '1 + 2 * 3 - 4 / 2', '1 < 2 and 2 < 3', 'not 1 = 2 and true', 'not (1 = 2 and false)', '-2 * 3', '1 = 1 = true',
  "'a' + 1", '1 + null', '[1] + 1', '{a => 1} + [1]', '1 / 0', '1.0 / 0', '1 mod 0', "'a' < 1", '[1] < [2]', '1 in 1', "'a' in {a => 1}",
];

const access = [
  '$', '$.a', '$.b', '$.n', '$.d.x', '$.d.z.k', '$.d.missing', '$.missing', '$missing', '$.d.y[1]', '$.d.y[-1]', '$.d.y[5]', '$.l[0]', '$.l[true]',
  "$.d['x']", "$.d['nope']", "$.d['nope', 7]", '$.d[x]', "$['a']", '$.s[0]', '$.d.get(x)', '$.d.get(nope)', '$.d.get(nope, 5)', "$.d.get('z').k",
  '$.n?.x', '$.d?.x', '$.people.name', '$.people.tags', '$.nested[1][1][0]', '$.a.x', '$.l.x', '$.l[1.0]',
  'let(x => 2) -> $x * 3', 'let(1, 2) -> $1 + $2', 'let(5) -> $', 'let(a => 1) -> let(b => 2) -> $a + $b', 'let(x => [1, 2]) -> $x.len()',
  'with(1, 2) -> $1 * $2', '[1, 2].unpack(a, b) -> $a + $b', '[2, 3].unpack() -> $1 * $2', '[1, 2].unpack(a) -> $a', '$.a -> 1',
  '$.l.select($ * 2).assert($.len() = 3)', '$.l.assert($.len() > 5)', "12.assert($ < 20, 'too big')",
];

const strings = [
  "'Hello'.toUpper()", "'Hello'.toLower()", "'Hello'.len()", "len('Hello')", '$.unicode.len()', "'a,b,,c'.split(',')", "'a b  c '.split()", "'a,b,c'.split(',', 1)",
  "'a,b,c'.rightSplit(',', 1)", "'  a  '.trim()", "'xxaxx'.trim(x)", "'  a  '.trimLeft()", "'  a  '.trimRight()", "'hello'.replace(l, L)", "'hello'.replace(l, L, 1)",
  "'hello'.replace({l => L, o => 0})", "'Hello'.substring(1)", "'Hello'.substring(1, 3)", "'Hello'.substring(-3)", "'Hello'.substring(-10, 3)", "'Hello'.substring(2, -1)",
  "'Hello'.indexOf(l)", "'Hello'.indexOf(l, 3)", "'Hello'.indexOf(z)", "'Hello'.lastIndexOf(l)", "'Hello'.indexOf(l, 0, 2)", "'Hello'.startsWith(He)",
  "'Hello'.startsWith(x, H)", "'Hello'.endsWith(lo)", "'abc'.toCharArray()", "isString('a')", 'isString(1)', "isEmpty('')", "isEmpty('  ')", "isEmpty('  ', trim => false)",
  'isEmpty(null)', "'a'.isEmpty()", "norm('  ')", "norm(' a ')", "' a '.norm()", "concat('a', 'b', 'c')", 'str(1)', 'str(1.5)', 'str(2.0)', 'str(null)', 'str(true)',
  'str([1, 2])', "str(['a'])", 'str({a => 1})', "str('x,y'.split(','))", 'str(set(1))', 'str(1e3)', 'str(0.000012)', 'str(10000000000000000.0)', 'str(1.0 / 3)',
  "[1, 2, 3].join('-')", "['a', null, true].join(',')", "'-'.join(['a', 'b'])", '$.csv.split(\',\').select($.trim())', 'hex(255)', 'hex(-1)', "'ab'.toUpper().len()",
  "$.unicode.toUpper()", "$.unicode.substring(6, 1)", "$.unicode.indexOf('café')", "'ß'.toUpper()", "'x'.replace('', '-')", "'abc'.replace('', '-', 2)",
];

const math = [
  'abs(-2)', 'abs(-2.5)', 'int(3.7)', 'int(-3.7)', "int('42')", "int(' 42 ')", "int('4.2')", 'int(null)', 'int(true)', "float('1.5')", "float('1e3')", "float('inf')", 'float(2)',
  'float(null)', "float('x')", 'round(2.5)', 'round(3.5)', 'round(2.675, 2)', 'round(1234, -2)', 'round(1250.0, -2)', 'round(7)', 'sign(-3)', 'sign(0)', 'sign(2.5)', 'pow(2, 10)',
  'pow(2, -1)', 'pow(2.0, 3)', 'pow(3, 4, 5)', 'max(1, 2)', 'min(1, 2)', "max('a', 'b')", 'max(null, 1)', 'min(null, 1)', 'bitwiseAnd(12, 10)', 'bitwiseOr(12, 10)', 'bitwiseXor(12, 10)',
  'bitwiseNot(5)', 'shiftBitsLeft(1, 4)', 'shiftBitsRight(16, 2)', 'isInteger(1)', 'isInteger(1.0)', 'isInteger(true)', 'isNumber(1.5)', 'isNumber(true)', 'isNumber(a)',
  'bool(0)', 'bool([])', 'bool([0])', "bool('false')", 'bool(null)', 'isBoolean(true)', 'isBoolean(1)',
];

const collections = [
  '$.l.len()', '$.d.len()', '$.l.count()', 'list(1, [2], null)', 'list($.l.select($))', 'list()', '$.l.toList()', '$.nested.flatten()', '[[1, [2]], [], 3].flatten()',
  "dict([[a, 1], [b, 2]])", "dict([['a', 1]]).a", "dict(['ab', 'cd'])", '$.people.toDict($.name)', '$.people.toDict($.name, $.age)', '$.l.toDict($, $ * 2)',
  '$.d.set(w, 2)', '$.d.set({w => 2})', '$.d.set(w => 2, v => 3)', '$.d.keys()', '$.d.values()', '$.d.items()', '$.d.containsKey(x)', '$.d.containsKey(q)',
  '$.d.containsValue(1)', '$.l.contains(1)', '$.l.contains(9)', 'isDict($.d)', 'isList($.l)', 'isList($.d)', 'isSet(set(1))', 'isList(set(1))', '$.d.delete(x)',
  '$.d.delete(x, y)', '$.d.deleteAll([x, z])', '$.l.delete(0)', '$.l.delete(1, 5)', '$.l.insert(1, 9)', '$.l.insert(-1, 9)', '$.l.insert(10, 9)', '$.l.insertMany(1, [8, 9])',
  '$.l.replace(0, 9)', '$.l.replace(1, 9, 5)', '$.l.replaceMany(0, [7, 8])', 'set(1, 2, 2)', 'set(1, 2) = set(2, 1)', '$.words.toSet()', 'set(1, 2).union(set(3))',
  'set(1, 2).intersect(set(2, 3))', 'set(1, 2).difference(set(2))', 'set(1, 2).symmetricDifference(set(2, 3))', 'set(1, 2) - set(2)', 'set(1) < set(1, 2)',
  'set(1, 2) <= set(1, 2)', 'set(1, 2) > set(1)', 'set(1).add(2, 3)', 'set(1, 2).remove(1)', 'set(1, 2).len()', 'set(1, 2) + set(3)', 'set(1, 2).contains(2)', '2 in set(1, 2)',
  'set()', 'set($.l.select($))',
];

const queries = [
  '$.l.where($ > 1)', '$.l.filter($ > 1)', '$.l.select($ + 1)', '$.l.map($ + 1)', '$.people.where($.age > 30).name', '$.people.selectMany($.tags)', '$.l.selectMany([$, $])',
  '$.l.skip(1)', '$.l.take(2)', '$.l.limit(0)', '$.l.append(4, 5)', 'append($.l, 4)', '$.words.distinct()', 'distinct($.words)', '$.people.distinct($.age).name', '$.l.enumerate()',
  '$.l.enumerate(1)', 'enumerate($.l)', '$.l.any()', '[].any()', '[0, null].any()', '$.l.any($ > 2)', '$.l.all()', '[1, 0].all()', '$.l.all($ > 0)', 'all([])', '$.l.concat([4], [5])',
  'concat($.l, [4])', '$.l.sum()', '[1.5, 2].sum()', "['a', 'b'].sum()", '[[1], [2]].sum()', '[].sum()', '[].sum(0)', '$.l.sum(10)', '$.l.max()', '$.l.min()', "$.words.max()",
  '[].max()', '[].max(7)', '$.l.first()', '[].first()', '[].first(null)', '[].first(0)', '$.l.last()', '[].last()', '[].last(5)', '$.l.where($ > 5).last(0)', '[5].single()',
  '$.l.single()', '[].single()', 'range(5)', 'range(2, 5)', 'range(5, 0, -2)', 'range(0)', 'range(1, 10, 0)', 'sequence().take(3)', 'sequence(5, -1).take(3)',
  '$.l.orderBy($)', '$.l.orderByDescending($)', '$.words.orderBy($)', '$.people.orderBy($.age).thenBy($.name).name', '$.people.orderByDescending($.age).thenByDescending($.name).name',
  "[1, 'a'].orderBy($)", '$.people.groupBy($.age)', '$.people.groupBy($.age, $.name)', '$.people.groupBy($.age, $.name, $.len())', '$.words.groupBy($, $, $.len())',
  '$.l.zip([4, 5, 6])', '$.l.zip([4])', '$.l.zip([4], [7, 8])', '$.l.zipLongest([4])', '$.l.zipLongest([4], default => 0)', '$.l.join($.words, $1 = 1, [$1, $2])',
  "$.people.join($.vms, true, $1.name + '-' + $2)", '1.repeat(3)', "'x'.repeat(2)", '$.l.cycle().take(7)', '[].cycle().take(2)', '$.l.takeWhile($ > 2)', '$.l.skipWhile($ > 2)',
  '$.l.indexOf(2)', '$.l.indexOf(9)', '$.words.lastIndexOf(a)', '$.l.indexWhere($ < 3)', '$.l.lastIndexWhere($ < 3)', 'range(7).slice(3)', 'range(7).splitWhere($ mod 3 = 0)',
  '[1, 1, 2, 2, 1].sliceWhere($)', 'range(5).splitAt(2)', 'range(5).splitAt(-2)', '$.l.aggregate($1 + $2)', '$.l.reduce($1 * $2, 10)', '[].aggregate($1 + $2)', '$.l.accumulate($1 + $2)',
  '$.l.accumulate($1 + $2, 100)', '$.l.reverse()', 'isIterable($.l)', 'isIterable($.s)', '[].defaultIfEmpty([0])', '$.l.defaultIfEmpty([0])',
  'generate(1, $ < 50, $ * 2)', 'generate(1, $ < 50, $ * 2, $ * 10)', 'generate(1, true, $ mod 3 + 1, decycle => true)', '$.l.where($ > 1)[0]', '$.l.select($) = [3, 1, 2]',
  '$.l.memorize().len()', '$.vms.select($.name).len()', 'len($.l.where($ > 1))',
  '$.d.mergeWith({y => [2, 3], z => {j => 1}, w => 0})', '$.d.mergeWith({y => [2]}, $1 + $2)', '$.d.mergeWith({x => 5}, itemMerger => $1 + $2)', '$.d.mergeWith({z => {k => 1}}, maxLevels => 1)',
  '{a => 1}.mergeWith({a => {b => 1}})', 'generateMany(1, [$ + 1, $ * 2].where($ < 6), decycle => true)', 'generateMany(1, [$ + 1, $ * 2].where($ < 6), decycle => true, depthFirst => true)',
  'generateMany([1, [2, [3]]], $.where(isList($)), $.len())',
];

const branching = [
  'switch($.a > 0 => pos, true => neg)', 'switch($.a > 5 => big)', "switch(false => 1, null => 2, 'x' => 3)", 'coalesce(null, $.n, 2)', 'coalesce()', 'coalesce(null)',
  'selectCase($.a > 5, $.a > 0)', 'selectCase(false)', 'selectAllCases(true, false, 1)', 'examine(1, 0, null)', '1.switchCase(a, b, c)', '7.switchCase(a, b)', '0.switchCase()',
  '$.l.select(switch($ > 1 => big, true => small))', "$.people.select(coalesce($.nick, $.name))",
];

const regex = [
  "regex('l+').search($.s)", "regex('z').search($.s)", "regex('(\\\\d)(\\\\d)').search('a12', $2.value + $3.value)", "regex('\\\\d+').searchAll($.text)",
  "regex('\\\\d+').searchAll($.text, $.value.len())", "regex('\\\\d').split($.text)", "regex('(\\\\d)').split($.text)", "regex('\\\\d').split($.text, 2)",
  "$.text.split(regex('\\\\d+'))", "regex('\\\\d+').replace($.text, '#')", "regex('\\\\d+').replace($.text, '#', 1)", "$.text.replace(regex('(\\\\d)'), '<\\\\1>')",
  "$.text.replace(regex('(?P<n>\\\\d)'), '[\\\\g<n>]')", "regex('\\\\d+').replaceBy($.text, $.value.len())", "$.text.replaceBy(regex('[a-z]'), $.value.toUpper())",
  "$.s.matches('o W')", "regex('^h', ignoreCase => true).matches($.s)", "regex('^World', multiLine => true).matches('x\\nWorld')", "regex('a.b', dotAll => true).matches('a\\nb')",
  "regex('a.b').matches('a\\nb')", "'x\\n' =~ 'x$'", "'abc' =~ '\\\\Aabc\\\\Z'", "escapeRegex('a.b*c')", "isRegex(regex('a'))", 'isRegex(a)', "regex('x*').replace('abc', '-')",
  "regex('x*').split('axbc')", "regex('(').matches('a')", "'a-b_c d'.replace(regex('[\\\\w-]+'), 'W')", "'café 😀'.replace(regex('\\\\w+'), 'W')",
  "regex('(?i)hello').matches($.s)", "regex('o').searchAll($.unicode + 'o', $.start)",
];

/** Orquesta's tests and StackStorm's workflows, through ctx() over the workflow's variables. */
const workflowVariables = {
  ...vmsData,
  foo: 'bar',
  bar: 'foobar',
  nested: { foo: 'bar' },
  count: 1,
  hosts: 'a, b ,c',
  dict1: { a: 123, b: true },
  list1: ['abc', 'def'],
  results: [{ id: 1, ok: true, out: 'x' }, { id: 2, ok: false, out: '' }],
};

const orquestaWorkflows = [
  'ctx().foo', 'ctx(foo)', "ctx('foo')", 'ctx("foo")', 'ctx(ctx().foo)', 'ctx().nested.foo', 'ctx().missing', 'ctx(missing)', 'ctx()',
  'ctx(vms).select($.name)', 'ctx().vms.select($.name)', 'ctx(vms)[0]', 'dict(vms=>dict(ctx(vms).select([$.name, $])))', 'ctx().count + 1', 'ctx().count < 2',
  'ctx(dict1).keys()', 'ctx(dict1).values()', 'ctx(dict1).get(b)', 'ctx(dict1).get(c, false)', 'ctx(list1)[0]', 'ctx(list1) + list(ijk)',
  "ctx(hosts).split(',').select($.trim())", "ctx(results).where(not $.ok).select($.id)", 'ctx(results).where($.ok).len() = ctx(results).len()',
  'let(x => ctx(count)) -> ctx(vms).where($x = 1).len()', 'ctx(vms).select(ctx(foo) + $.name)', 'ctx().results.toDict(str($.id), $.out)',
  "ctx(greeting) = null", "ctx().dict1.containsKey(a)", 'ctx(list1).contains(abc)', "ctx(foo).toUpper()",
];

export const handWritten: Case[] = [
  ...orquestaDocs.map((expression) => ({ expression, data: vmsData })),
  ...orquestaWorkflows.map((expression) => ({ expression, data: null, variables: { __vars: workflowVariables } })),
  ...[...literalsAndOperators, ...access, ...strings, ...math, ...collections, ...queries, ...branching, ...regex].map((expression) => ({ expression, data: generalData })),
];
