import { describe, expect, it } from 'vitest';
import { KeyValueNeeded, orquestaDriver, type ChildRequest, type Json, type StepEnvironment, type StepResult, type WorkflowEvent } from '@packrun/workflow-engine';

/**
 * Orquesta workflows evaluate the expressions their author wrote, over data that comes from
 * elsewhere: the caller's input, task results, items, the datastore. That data is never evaluated
 * again. Orquesta itself evaluates a string from a result or an input again when it holds
 * `<% %>` or `{{ }}` (its evaluators recurse, and render_input evaluates runtime input); a task
 * result crafted by whoever controls the action's output could then read every variable of the
 * workflow, decrypted datastore values included, and send it on. Packrun's driver inserts such
 * strings as they are. Expressions are also bounded: a definition that asks for endless work
 * fails the workflow instead of holding the engine.
 */

const secret = 'the-decrypted-secret';
const attacks = ['<% ctx().secret %>', '{{ ctx().secret }}', '{{ ctx("secret") }}', '<% st2kv("system.secret", decrypt => true) %>', '{% for k in ctx() %}{{ k }}{% endfor %}'];

interface Run {
  started: ChildRequest[];
  last: StepResult;
}

/** Drives the driver as the runtime does, answering each child with `respond`. */
function run(text: string, input: Record<string, Json>, respond: (request: ChildRequest) => Json, keyValues: Record<string, string> = {}): Run {
  const definition = orquestaDriver.inspect({ pack: 'attack', file: 'attack.yaml', text });
  const loaded = new Set<string>();
  const env: StepEnvironment = {
    now: 0,
    keyValue: (name, { scope, decrypt }) => {
      if (!loaded.has(`${scope}.${name}`)) throw new KeyValueNeeded(name, scope, decrypt);
      return keyValues[`${scope}.${name}`];
    },
    // No with-items here: no item list is ever read.
    items: () => [],
  };
  let state: Json | undefined;
  const started: ChildRequest[] = [];
  const queue: ChildRequest[] = [];
  const step = (event: WorkflowEvent): StepResult => {
    for (;;) {
      try {
        const result = orquestaDriver.step(definition, state, event, env);
        state = result.state;
        started.push(...result.start);
        queue.push(...result.start);
        return result;
      } catch (error) {
        if (!(error instanceof KeyValueNeeded)) throw error;
        loaded.add(`${error.scope}.${error.key}`);
      }
    }
  };
  let last = step({ kind: 'start', input, context: {} });
  for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
    last = step({ kind: 'child-ended', requestId: request.requestId, status: 'succeeded', result: respond(request) });
  }
  return { started, last };
}

const relay = `
version: 1.0
input:
  - payload
vars:
  - secret: ${secret}
tasks:
  fetch:
    action: core.http
    next:
      - when: <% succeeded() %>
        publish:
          - body: <% result().body %>
          - body_jinja: "{{ result().body }}"
        do: forward
  forward:
    action: core.echo
    input:
      yaql: <% ctx().body %>
      jinja: "{{ ctx().body_jinja }}"
      text: "got <% ctx().body %>"
      input: <% ctx().payload %>
output:
  - body: <% ctx().body %>
  - payload: "{{ ctx().payload }}"
`;

describe('Orquesta: results, inputs, items and datastore values are data, never code', () => {
  for (const attack of attacks) {
    it(`a result and an input holding ${attack} are passed on as text`, () => {
      const { started, last } = run(relay, { payload: attack }, (request): Json => (request.action === 'core.http' ? { body: attack } : {}), { 'system.secret': secret });
      const forward = started.find((request) => request.action === 'core.echo')!;
      expect(forward.parameters).toEqual({ yaql: attack, jinja: attack, text: `got ${attack}`, input: attack });
      expect(last.status).toBe('succeeded');
      expect(last.result).toEqual({ output: { body: attack, payload: attack } });
      expect(JSON.stringify([started, last.result])).not.toContain(secret);
    });
  }

  it('an item holding an expression is inserted as it is', () => {
    const { started } = run(
      'version: 1.0\ninput:\n  - hosts\nvars:\n  - secret: s3cr3t\ntasks:\n  t:\n    with: host in <% ctx().hosts %>\n    action: core.echo\n    input:\n      message: "ping {{ item().host }}"\n',
      { hosts: ['<% ctx().secret %>', '{{ ctx().secret }}'] },
      () => ({}),
    );
    expect(started.map((request) => request.parameters['message'])).toEqual(['ping <% ctx().secret %>', 'ping {{ ctx().secret }}']);
  });

  it('a datastore value holding an expression is inserted as it is', () => {
    const { started } = run(
      'version: 1.0\nvars:\n  - secret: s3cr3t\ntasks:\n  t:\n    action: core.echo\n    input:\n      message: <% st2kv("system.greeting") %>\n',
      {},
      () => ({}),
      { 'system.greeting': '<% ctx().secret %>' },
    );
    expect(started[0]!.parameters).toEqual({ message: '<% ctx().secret %>' });
  });

  it('a result key named __proto__ or constructor is only a key', () => {
    const { started, last } = run(
      'version: 1.0\ntasks:\n  a:\n    action: core.a\n    next:\n      - publish:\n          - r: <% result() %>\n        do: b\n  b:\n    action: core.b\n    input:\n      r: <% ctx().r %>\n      polluted: "{{ {} is mapping and ({}).get(\'polluted\') is none }}"\n',
      {},
      (request) => (request.action === 'core.a' ? (JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}') as Json) : {}),
    );
    expect(last.status).toBe('succeeded');
    expect(Object.getOwnPropertyNames(started[1]!.parameters['r'])).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('Orquesta: expressions are bounded', () => {
  const bombs: [string, string][] = [
    ['a YAQL loop over a huge range', '<% range(0, 1000000000).sum() %>'],
    ['a YAQL string built to exhaust memory', "<% 'x' * 1000000000 %>"],
    ['a Jinja loop over a huge range', '{% for i in range(1000000000) %}{{ i }}{% endfor %}'],
    ['a Jinja string built to exhaust memory', "{{ 'x' * 1000000000 }}"],
  ];
  for (const [name, expression] of bombs) {
    it(`${name} fails the workflow instead of holding the engine`, () => {
      const started = Date.now();
      const { last } = run(`version: 1.0\ntasks:\n  t:\n    action: core.noop\n    input:\n      x: "${expression}"\n`, {}, () => ({}));
      expect(last.status).toBe('failed');
      expect(JSON.stringify(last.result)).toMatch(/limit/i);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  }

  it('the evaluations of one step share one budget: a costly expression per item of a long list fails the step', () => {
    const started = Date.now();
    // Each item alone is well within an evaluation's limits; all 500 together are not.
    const { last } = run('version: 1.0\ntasks:\n  t:\n    with: <% range(500) %>\n    action: core.noop\n    input:\n      x: <% range(10000).sum() %>\n', {}, () => ({}));
    expect(last.status).toBe('failed');
    expect(JSON.stringify(last.result)).toMatch(/maxSteps|maxMilliseconds/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a cycle of tasks without actions fails instead of looping forever', () => {
    const { last } = run('version: 1.0\ntasks:\n  start:\n    next:\n      - do: a\n  a:\n    next:\n      - do: b\n  b:\n    next:\n      - do: a\n', {}, () => ({}));
    expect(last.status).toBe('failed');
    expect(JSON.stringify(last.result)).toContain('without an action ran in a row');
  });
});
