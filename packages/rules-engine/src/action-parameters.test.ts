import { renderValue } from '@packrun/core';
import { describe, expect, it } from 'vitest';
import { renderActionParameters } from './action-parameters.ts';

const render = (template: string, context: Record<string, unknown>) => renderValue(template, context);
const context = {
  trigger: { count: 3, name: 'api', tags: ['a', 'b'], body: { id: 9 }, text: '42', flag: 'true', json: '{"k": 1}' },
  st2kv: { system: { region: 'eu-west-1' } },
  config_context: { token: 'abc' },
  action_context: { user: 'packrun', rule: { ref: 'p.r' } },
};

describe('renderActionParameters', () => {
  it('keeps the type of a lone expression and renders mixed templates to strings', () => {
    const rendered = renderActionParameters(
      'p.r',
      {
        count: '{{ trigger.count }}',
        tags: '{{ trigger.tags }}',
        body: '{{ trigger.body }}',
        message: 'hello {{ trigger.name }} x{{ trigger.count }}',
        region: '{{ st2kv.system.region }}',
        token: '{{ config_context.token }}',
        by: '{{ action_context.user }} via {{ action_context.rule.ref }}',
        literal: 'no template',
        number: 5,
      },
      context,
      render,
    );
    expect(rendered).toEqual({
      count: 3,
      tags: ['a', 'b'],
      body: { id: 9 },
      message: 'hello api x3',
      region: 'eu-west-1',
      token: 'abc',
      by: 'packrun via p.r',
      literal: 'no template',
      number: 5,
    });
  });

  it('renders templates inside objects and lists', () => {
    const rendered = renderActionParameters('p.r', { nested: { list: ['{{ trigger.count }}', 'n={{ trigger.name }}'] } }, context, render);
    expect(rendered).toEqual({ nested: { list: [3, 'n=api'] } });
  });

  it("casts rendered strings to the action parameter's type", () => {
    const rendered = renderActionParameters(
      'p.r',
      { n: '{{ trigger.text }}', f: '{{ trigger.flag }}', o: '{{ trigger.json }}', s: '{{ trigger.text }}', bad: '{{ trigger.name }}' },
      context,
      render,
      { n: { type: 'integer' }, f: { type: 'boolean' }, o: { type: 'object' }, s: { type: 'string' }, bad: { type: 'integer' } },
    );
    expect(rendered).toEqual({ n: 42, f: true, o: { k: 1 }, s: '42', bad: 'api' });
  });

  it('fails naming the rule and the parameter when a template cannot render', () => {
    expect(() => renderActionParameters('p.r', { cmd: '{{ trigger.missing.deeper }}' }, context, render)).toThrow(
      expect.objectContaining({ code: 'RULE_PARAMETER_RENDER_FAILED', message: expect.stringMatching(/rule p\.r: action\.parameters\.cmd/) }),
    );
  });
});
