import { describe, expect, it } from 'vitest';
import { Environment } from './environment.ts';
import { TemplateError } from './errors.ts';

const environment = new Environment({ trimBlocks: true, lstripBlocks: true });
const context = {"users": [{"name": "ann", "age": 31, "admin": true}, {"name": "bob", "age": 25, "admin": false}, {"name": "cy", "age": 40, "admin": false}], "d": {"b": 2, "a": 1}, "s": "Hello World", "n": 7, "empty": [], "nested": {"list": [1, [2, 3]]}};

/**
 * Each template with what Jinja2 3.1 renders for it over `context` under StackStorm's settings
 * (StrictUndefined, trim_blocks, lstrip_blocks), recorded from Jinja2 itself.
 */
const renderedByJinja2: [string, string][] = [
  ["{{ \"they're {x} a-b\" | title }}|{{ {'k': 1} is lower }}|{{ '0' is upper }}|{{ false | select('odd') | list }}|{{ none | map('upper') | list }}|{{ true is odd }}|{{ 'abc' % [1, 2] }}", "They're {X} A-B|True|False|[]|[]|True|abc"],
  ["{% for u in users %}{{ loop.index }}/{{ loop.length }}:{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}", "1/3:ann,2/3:bob,3/3:cy"],
  ["{% for u in users if u.age > 30 %}{{ u.name }}{{ loop.revindex }} {% else %}none{% endfor %}", "ann2 cy1 "],
  ["{% for x in empty %}x{% else %}empty{% endfor %}", "empty"],
  ["{% for k in d %}{{ k }}{% endfor %}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "ba|b=2;a=1;"],
  ["{% set total = 0 %}{% for u in users %}{% set total = total + u.age %}{% endfor %}{{ total }}", "0"],
  ["{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c %}block {{ n }}{% endset %}[{{ c }}]", "12[block 7]"],
  ["{% filter upper %}hi {{ s }}{% endfilter %}", "HI HELLO WORLD"],
  ["{% with x = n * 2, y = 3 %}{{ x + y }}{% endwith %}{{ x is defined }}", "17False"],
  ["{% if n > 10 %}big{% elif n > 5 %}mid{% else %}small{% endif %}", "mid"],
  ["{{ s[0] }}{{ s[-1] }}{{ s[:5] }}{{ s[::2] }}{{ nested.list[1][0] }}{{ nested['list'][-1][-1] }}", "HdHelloHloWrd23"],
  ["{{ users | map(attribute='name') | join(', ') }}|{{ users | selectattr('admin') | map(attribute='name') | list }}|{{ users | rejectattr('age', 'lt', 30) | map(attribute='name') | first }}", "ann, bob, cy|['ann']|ann"],
  ["{{ users | sort(attribute='age') | map(attribute='name') | list }}|{{ users | sort(attribute='age', reverse=True) | first }}|{{ users | max(attribute='age') }}", "['bob', 'ann', 'cy']|{'name': 'cy', 'age': 40, 'admin': False}|{'name': 'cy', 'age': 40, 'admin': False}"],
  ["{{ [3, 1, 2] | sum }} {{ users | sum(attribute='age') }} {{ [1, 2, 3] | select('odd') | list }} {{ range(5) | reject('even') | list }}", "6 96 [1, 3] [1, 3]"],
  ["{{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }} {{ d | length }} {{ s | length }} {{ d | list }}", "[('a', 1), ('b', 2)] [('b', 2), ('a', 1)] 2 11 ['b', 'a']"],
  ["{{ 'a,b,,c'.split(',') }} {{ 'x-y-z'.rsplit('-', 1) }} {{ 'ab'.upper() ~ 'CD'.lower() }} {{ 'hello'.replace('l', 'L', 1) }} {{ ' x '.strip() }}|", "['a', 'b', '', 'c'] ['x-y', 'z'] ABcd heLlo x|"],
  ["{{ '%s is %d years' % ('ann', 31) }} {{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }} {{ '%.2f' % 3.14159 }} {{ '%5s|%-5s|' % ('a', 'b') }}", "ann is 31 years 1-2 3.14     a|b    |"],
  ["{{ 'x' ~ 1 ~ none ~ true }} {{ [1, 2] + [3] }} {{ 'ab' * 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ [1, [2]] == [1, [2]] }} {{ {'a': 1} == {'a': 1} }}", "x1NoneTrue [1, 2, 3] abab True True True True"],
  ["{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'a' in {'a': 1} }} {{ 'z' not in 'abc' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ 'a' < 'b' }}", "True True True True True False True"],
  ["{{ n is odd }} {{ n is divisibleby 7 }} {{ none is none }} {{ n is number }} {{ s is string }} {{ d is mapping }} {{ users is sequence }} {{ missing is undefined }} {{ n is ge 7 }}", "True True True True True True True True True"],
  ["{{ n if n > 5 else 0 }} {{ missing | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('kept') }} {{ 0 or 'x' }} {{ 1 and 'y' }}", "7 dflt e None x y"],
  ["{{ users[0].name | upper }} {{ s | lower | replace('world', 'there') | title }} {{ 'hi' | center(6) }}| {{ s | wordcount }} {{ s | reverse }} {{ '  a  ' | trim }}", "ANN Hello There   hi  | 2 dlroW olleH a"],
  ["{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ users | groupby('admin') | map('first') | list }} {{ [1, 1, 2, 'a', 'A'] | unique | list }}", "[[1, 2], [3, 4], [5]] [False, True] [1, 2, 'a']"],
  ["{{ {'k': [1, 'two', none, true]} | tojson }} {{ 'x<y>&\\'' | tojson }} {{ [1, 2] | pprint }} {{ 12.5 | int }} {{ '42' | int + 1 }} {{ 'x' | int(7) }} {{ '3.5' | float }}", "{\"k\": [1, \"two\", null, true]} \"x\\u003cy\\u003e\\u0026\\u0027\" [1, 2] 12 43 7 3.5"],
  ["{{ '{} and {}'.format('a', 'b') }} {{ '{name}!'.format(name='x') }} {{ '{:>5}|{:<4}|{:^5}|{:.3}'.format('r', 'l', 'c', 'abcdef') }} {{ '{:05d}|{:+.1f}|{:x}'.format(42, 2.25, 255) }}", "a and b x!     r|l   |  c  |abc 00042|+2.2|ff"],
  ["{{ d.get('a') }} {{ d.get('z', 'none') }} {{ d.keys() | list }} {{ d.values() | list }} {{ users.index(users[1]) }} {{ [1, 2, 1].count(1) }}", "1 none ['b', 'a'] [2, 1] 1 2"],
  ["{% set l = [] %}{% for u in users %}{% set _ = l.append(u.name) %}{% endfor %}{{ l }} {% set m = {} %}{% set _ = m.update({'k': 1}) %}{% set _ = m.setdefault('j', 2) %}{{ m }}", "['ann', 'bob', 'cy'] {'k': 1, 'j': 2}"],
  ["{{ 10 // 3 }} {{ -10 // 3 }} {{ 10 % 3 }} {{ -10 % 3 }} {{ 10 % -3 }} {{ 2 ** 10 }} {{ 7 - 10 }} {{ -(3) }}", "3 -4 1 2 -2 1024 -3 -3"],
  ["{% raw %}{{ not rendered }}{% endraw %} {# comment #}after", "{{ not rendered }} after"],
  ["{{ 'abc' | list }} {{ 'a\\tb' }} {{ 'line1\\nline2' | indent(2, true) }}", "['a', 'b', 'c'] a\tb   line1\n  line2"],
  ["{% for a, b in [[1, 'x'], [2, 'y']] %}{{ a }}{{ b }}{{ loop.cycle('-', '+') }}{% endfor %}", "1x-2y+"],
  ["{{ users | map(attribute='age') | select('gt', 30) | list }} {{ users | map(attribute='missing', default='?') | list }}", "[31, 40] ['?', '?', '?']"],
  ["{{ 'abcdef' | truncate(5, true, '..') }} {{ 1234 | filesizeformat(true) }} {{ 'a b&c' | urlencode }} {{ '<b>x</b>' | striptags }} {{ '<a href=\"x\">' | e }}", "abcdef 1.2 KiB a%20b%26c x &lt;a href=&#34;x&#34;&gt;"],
];

function failure(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('did not fail');
}

describe('interpreter', () => {
  it.each(renderedByJinja2)('renders %s as Jinja2 does', (template, expected) => {
    expect(environment.render(template, context)).toBe(expected);
  });

  it('keeps the type of a lone expression and returns new values', () => {
    expect(environment.compile(' {{ users[0] }} ').renderValue(context)).toEqual({ name: 'ann', age: 31, admin: true });
    expect(environment.compile('{{ n / 2 }}').renderValue(context)).toBe(3.5);
    expect(environment.compile('{{ (1, "x") }}').renderValue(context)).toEqual([1, 'x']);
    expect(environment.compile('{{ none }}').renderValue(context)).toBeNull();
    expect(environment.compile('{{ n }}!').renderValue(context)).toBe('7!');
  });

  it('fails on undefined values under StrictUndefined, naming the expression and where it is', () => {
    expect(failure(() => environment.render('{{ nope }}', context)).message).toBe('"nope" is undefined (line 1, column 1)');
    expect(failure(() => environment.render('a\n  {{ d.nope }}', context)).message).toBe('"d.nope" is undefined (line 2, column 3)');
    expect(failure(() => environment.render('{{ d.nope.deeper }}', context)).message).toBe('"d.nope" is undefined (line 1, column 4)');
    expect(failure(() => environment.render('{% if nope %}{% endif %}', context)).kind).toBe('undefined');
    expect(failure(() => environment.render('{% for x in nope %}{% endfor %}', context)).kind).toBe('undefined');
    expect(failure(() => environment.render('{{ nope == 1 }}', context)).kind).toBe('undefined');
    expect(failure(() => environment.render('{{ nope | upper }}', context)).message).toBe(
      'an undefined value was given to the filter "upper": "nope" is undefined (line 1, column 4)',
    );
    expect(environment.render('{{ nope is defined }} {{ nope | default(1) }} {{ "x" if false }}|', context)).toBe('False 1 |');
  });

  it('lets undefined values through when lenient, as jinja2.Undefined, except to compute or look into', () => {
    const lenient = { undefined: 'lenient' } as const;
    const rendered = environment.render('[{{ nope }}][{{ nope | upper }}][{% for x in nope %}x{% endfor %}][{{ nope ~ "a" }}][{{ nope == nope }}]', context, lenient);
    expect(rendered).toBe('[][][][a][True]');
    expect(environment.compile('{{ nope }}').renderValue(context, lenient)).toBe('');
    expect(failure(() => environment.render('{{ nope.attr }}', context, lenient)).kind).toBe('undefined');
    expect(failure(() => environment.render('{{ nope + 1 }}', context, lenient)).kind).toBe('undefined');
  });

  it('scopes loop variables to the loop, and with to its block', () => {
    expect(environment.render('{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}', context)).toBe('121');
    expect(environment.render('{% for i in [1] %}{% for j in [2, 3] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}', context)).toBe('121');
    expect(environment.render('{{ loop is defined }}', context)).toBe('False');
  });

  it('changes only dicts and lists the template made, never its data', () => {
    const data = { items: [1], config: { a: 1 } };
    expect(failure(() => environment.render('{{ items.append(2) }}', data)).message).toMatch(/list.append would change data given to the template/);
    expect(failure(() => environment.render('{{ config.update({"b": 2}) }}', data)).message).toMatch(/dict.update would change data given to the template/);
    expect(failure(() => environment.render('{% set alias = config %}{{ alias.pop("a") }}', data)).kind).toBe('type');
    expect(data).toEqual({ items: [1], config: { a: 1 } });
    expect(environment.render('{% set own = config.copy() %}{% set _ = own.update(b=2) %}{{ own }} {{ config }}', data)).toBe("{'a': 1, 'b': 2} {'a': 1}");
    expect(environment.render('{% set l = items + [2] %}{{ l }} {% set m = [] %}{% set _ = m.extend(items) %}{{ m }}', data)).toBe('[1, 2] [1]');
  });

  it('gives each render new literals, so one render cannot change the next', () => {
    const template = environment.compile('{% set l = [] %}{% set _ = l.append(1) %}{{ l | length }}');
    expect([template.render({}), template.render({})]).toEqual(['1', '1']);
  });

  it('reports Python type errors instead of coercing', () => {
    expect(failure(() => environment.render("{{ 'a' + 1 }}", context)).message).toMatch(/unsupported operand types for \+: a str and an int/);
    expect(failure(() => environment.render('{{ 1 / 0 }}', context)).message).toMatch(/division by zero/);
    expect(failure(() => environment.render('{{ 1 < "a" }}', context)).message).toMatch(/not supported between an int and a str/);
    expect(failure(() => environment.render('{{ n() }}', context)).message).toMatch(/"n" is an int, which cannot be called/);
    expect(failure(() => environment.render('{% for a, b in [[1, 2, 3]] %}{% endfor %}', context)).message).toMatch(/cannot unpack 3 values into 2 names/);
  });
});
