import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import { isTemplate, renderTemplate, renderValue } from './render.ts';

const context = {
  trigger: { count: 5, ratio: 0.5, flag: true, nothing: null, body: { tags: ['a', 'b'], name: ' Web Hook ' } },
  items: [
    { name: 'a', on: true, size: 3 },
    { name: 'b', on: false, size: 1 },
  ],
};

function renderError(run: () => unknown): PackrunError {
  try {
    run();
  } catch (error) {
    if (error instanceof PackrunError) return error;
    throw error;
  }
  throw new Error('did not fail');
}

describe('renderValue', () => {
  it('keeps the type of a string that is exactly one expression', () => {
    expect(renderValue('{{ trigger.count }}', context)).toBe(5);
    expect(renderValue(' {{ trigger.ratio }} ', context)).toBe(0.5);
    expect(renderValue('{{ trigger.flag }}', context)).toBe(true);
    expect(renderValue('{{ trigger.nothing }}', context)).toBeNull();
    expect(renderValue('{{ trigger.body }}', context)).toEqual(context.trigger.body);
    expect(renderValue('{{ trigger.body.tags }}', context)).toEqual(['a', 'b']);
    expect(renderValue('{{ trigger.count + 1 }}', context)).toBe(6);
  });

  it('renders mixed text as Python prints values', () => {
    expect(renderValue('n={{ trigger.count }} f={{ trigger.flag }} x={{ trigger.nothing }}', context)).toBe('n=5 f=True x=None');
    expect(renderValue('tags={{ trigger.body.tags }}', context)).toBe("tags=['a', 'b']");
    expect(renderValue('{{ trigger.count }}{{ trigger.count }}', context)).toBe('55');
  });

  it('walks objects and arrays, leaving non-templates alone', () => {
    const rendered = renderValue({ a: ['{{ trigger.count }}', 'plain', 7, false], b: { c: 'x{{ trigger.count }}' }, d: null }, context);
    expect(rendered).toEqual({ a: [5, 'plain', 7, false], b: { c: 'x5' }, d: null });
  });

  it('turns use_none into null', () => {
    expect(renderValue('{{ trigger.nothing | use_none }}', context)).toBeNull();
    expect(renderValue('{{ trigger.count | use_none }}', context)).toBe(5);
  });

  it('supports Jinja statements, trim_blocks and Python names', () => {
    expect(renderValue('{% if trigger.count > 3 %}big{% else %}small{% endif %}', context)).toBe('big');
    expect(renderValue('{% for t in trigger.body.tags %}\n{{ t }},\n{% endfor %}', context)).toBe('a,\nb,\n');
    expect(renderValue('{{ None }}', context)).toBeNull();
    expect(renderValue('{{ True and not False }}', context)).toBe(true);
    expect(renderValue("{{ 'a' in trigger.body.tags }}", context)).toBe(true);
    expect(renderValue('{% if "b" is in(trigger.body.tags) %}yes{% endif %}', context)).toBe('yes');
  });

  it('has the Jinja tests StackStorm templates use', () => {
    expect(renderValue('{{ trigger.count is integer }}/{{ trigger.ratio is float }}/{{ trigger.flag is true }}', context)).toBe('True/True/True');
    expect(renderValue('{{ trigger.nothing is none }}/{{ trigger.flag is boolean }}/{{ trigger.body.tags is sequence }}', context)).toBe('True/True/True');
    expect(renderValue('{{ trigger.count is false }}', context)).toBe(false);
  });

  it('follows Python for slices, negative indexes, tuples, dict iteration and % formatting', () => {
    const values = { l: [1, 2, 3], d: { a: 1, b: 2 }, s: 'abc', n: 7 };
    expect(renderValue('{{ l[1:] }}', values)).toEqual([2, 3]);
    expect(renderValue('{{ s[1:] }}|{{ s[::-1] }}|{{ s[-1] }}', values)).toBe('bc|cba|c');
    expect(renderValue('{{ l[-1] }}', values)).toBe(3);
    expect(renderValue('{{ (1, "x") }}', values)).toEqual([1, 'x']);
    expect(renderValue('{% for k in d %}{{ k }}{% endfor %}', values)).toBe('ab');
    expect(renderValue('{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}', values)).toBe('a1b2');
    expect(renderValue('{{ "%s-%03d" % (s, n) }}', values)).toBe('abc-007');
    expect(renderValue('{{ "%d%%" % n }}', values)).toBe('7%');
    expect(renderValue('{{ n % 4 }}', values)).toBe(3);
  });

  it('offers Python dict, list and str methods', () => {
    expect(renderValue('{{ trigger.body.name.strip().lower() }}', context)).toBe('web hook');
    expect(renderValue('{{ trigger.body.name.split() }}', context)).toEqual(['Web', 'Hook']);
    expect(renderValue("{{ 'a-b-c'.replace('-', '+') }}", context)).toBe('a+b+c');
    expect(renderValue("{{ 'x'.startswith('x') }}", context)).toBe(true);
    expect(renderValue("{{ ','.join(trigger.body.tags) }}", context)).toBe('a,b');
    expect(renderValue('{{ trigger.body.keys() | list }}', context)).toEqual(['tags', 'name']);
    expect(renderValue("{{ trigger.body.get('missing', 'fallback') }}", context)).toBe('fallback');
  });

  it('keeps unknown backslash escapes in string literals, as Python does', () => {
    expect(renderValue("{{ 'a1b22' | regex_replace('\\d+', '#') }}", context)).toBe('a#b#');
    expect(renderValue("{{ 'tab\\there' }}", context)).toBe('tab\there');
  });

  it('has the Jinja filters StackStorm templates use', () => {
    expect(renderValue('{{ items | map(attribute="name") | list }}', context)).toEqual(['a', 'b']);
    expect(renderValue('{{ items | selectattr("on") | map(attribute="name") | list }}', context)).toEqual(['a']);
    expect(renderValue('{{ items | selectattr("size", "gt", 2) | map(attribute="name") | first }}', context)).toBe('a');
    expect(renderValue('{{ items | rejectattr("on") | map(attribute="name") | list }}', context)).toEqual(['b']);
    expect(renderValue('{{ [3, 1, 3] | unique | list }}', context)).toEqual([3, 1]);
    expect(renderValue('{{ [3, 1, 2] | min }}-{{ [3, 1, 2] | max }}', context)).toBe('1-3');
    expect(renderValue('{{ trigger.body | tojson }}', context)).toBe('{"name": " Web Hook ", "tags": ["a", "b"]}');
    expect(renderValue('{{ trigger.flag | string }}', context)).toBe('True');
    expect(renderValue('{{ {"k": 1} | items | list }}', context)).toEqual([['k', 1]]);
    expect(renderValue('{{ items | count }}', context)).toBe(2);
    expect(renderValue('{{ "%s has %d items (%.1f%%)" | format("box", 3, 42.27) }}', context)).toBe('box has 3 items (42.3%)');
    expect(renderValue('{{ "%(name)s=%(n)05d" | format(name="x", n=42) }}', context)).toBe('x=00042');
    expect(renderValue('{{ "[%-4s|%4s]" | format("a", "b") }}', context)).toBe('[a   |   b]');
    expect(renderValue('{{ "%r" | format(trigger.body.tags) }}', context)).toBe("['a', 'b']");
    expect(() => renderValue('{{ "%s %s" | format(1) }}', context)).toThrow(/not enough arguments/);
    expect(renderValue('{{ trigger.flag | pprint }}', context)).toBe('True');
  });

  it('fails on an undefined value, naming what was rendered', () => {
    const single = renderError(() => renderValue('{{ missing }}', context, { what: 'parameter "cmd"' }));
    expect(single.code).toBe('TEMPLATE_INVALID');
    expect(single.message).toContain('parameter "cmd"');
    expect(single.message).toContain('"missing" is undefined');
    const nested = renderError(() => renderValue({ x: ['ok', 'a {{ trigger.nope }}'] }, context, { what: 'rule r' }));
    expect(nested.message).toBe('rule r.x[1]: "trigger.nope" is undefined (line 1, column 3)');
    expect(nested.details).toMatchObject({ what: 'rule r.x[1]', template: 'a {{ trigger.nope }}' });
  });

  it('fails when an undefined value reaches a filter, except default', () => {
    expect(renderError(() => renderValue('{{ typo | upper }}', context)).message).toContain('undefined value was given to the filter "upper"');
    expect(renderError(() => renderValue('x{{ trigger.nope | to_json_string }}', context)).message).toContain('"to_json_string"');
    expect(renderValue('{{ typo | default("d") | upper }}', context)).toBe('D');
    expect(renderValue('{{ typo | upper }}', context, { allowUndefined: true })).toBe('');
  });

  it('lets undefined values through when asked, and default() always', () => {
    expect(renderValue('a{{ missing }}b', context, { allowUndefined: true })).toBe('ab');
    expect(renderValue('{{ missing }}', context, { allowUndefined: true })).toBe('');
    expect(renderValue('{{ missing | default("d") }}', context)).toBe('d');
    expect(renderValue('{% if missing is defined %}y{% else %}n{% endif %}', context)).toBe('n');
  });

  it('reports syntax errors and filter failures as TEMPLATE_INVALID', () => {
    expect(renderError(() => renderTemplate('{{ unclosed', {}, { what: 'x' })).code).toBe('TEMPLATE_INVALID');
    expect(renderError(() => renderValue('{{ "1.0" | version_bump_major }}', {})).message).toContain('not a valid semver');
    expect(renderError(() => renderValue('{{ nofilter | nosuchfilter }}', { nofilter: 1 })).message).toContain('nosuchfilter');
  });

  it('exposes the whole context as __context', () => {
    expect(renderValue("{{ __context['trigger'].count }}", context)).toBe(5);
  });

  it('recognises templates', () => {
    expect(isTemplate('{{ x }}')).toBe(true);
    expect(isTemplate('{% if x %}{% endif %}')).toBe(true);
    expect(isTemplate('plain { not }')).toBe(false);
    expect(isTemplate(5)).toBe(false);
  });
});
