import { describe, expect, it } from 'vitest';
import type { ChildRequest, Json } from '../driver.ts';
import { fail, Simulation, simulate, succeed, type ChildOutcome } from './testing/simulator.ts';

/** Each feature of the driver, on small workflows written for it, with simulated children. */

const echo = (request: ChildRequest): ChildOutcome => succeed({ stdout: String(request.parameters['message'] ?? '') });
const orquestaOf = (request: ChildRequest): Record<string, Json> => request.context['orquesta'] as Record<string, Json>;

describe('input, vars, output and publish', () => {
  it('fills input defaults, renders vars over input, publishes and renders output', () => {
    const simulation = simulate(
      `
version: 1.0
input:
  - who
  - greeting: Hello
  - loud: false
vars:
  - line: <% ctx().greeting %>, <% ctx().who %>
tasks:
  say:
    action: core.echo
    input:
      message: "{{ ctx().line }}!"
    next:
      - when: <% succeeded() %>
        publish:
          - said: <% result().stdout %>
          - twice: <% ctx().said + ctx().said %>
output:
  - said: <% ctx().said %>
  - twice: "{{ ctx().twice }}"
  - loud: <% ctx().loud %>
`,
      { input: { who: 'Ann' }, respond: echo },
    );
    expect(simulation.started[0]!.parameters).toEqual({ message: 'Hello, Ann!' });
    expect(simulation.result).toEqual({ output: { said: 'Hello, Ann!', twice: 'Hello, Ann!Hello, Ann!', loud: false } });
  });

  it('keeps the type of a lone expression and makes text of one with text around it', () => {
    const simulation = simulate(
      `
version: 1.0
vars:
  - list: [1, 2]
tasks:
  t:
    action: core.noop
    input:
      yaql_list: <% ctx().list %>
      jinja_list: "{{ ctx().list }}"
      yaql_text: "n=<% ctx().list %>"
      jinja_text: "n={{ ctx().list }}"
      jinja_block: "{% for x in ctx().list %}{{ x }};{% endfor %}"
      inline: <% ctx().list.len() %>
`,
    );
    expect(simulation.started[0]!.parameters).toEqual({ yaql_list: [1, 2], jinja_list: [1, 2], yaql_text: 'n=[1, 2]', jinja_text: 'n=[1, 2]', jinja_block: '1;2;', inline: 2 });
  });

  it('moves inline parameters of `action` into the input', () => {
    const simulation = simulate(`
version: 1.0
tasks:
  t:
    action: core.local cmd="echo hi" timeout=30 sudo=false
`);
    expect(simulation.started[0]).toMatchObject({ action: 'core.local', parameters: { cmd: 'echo hi', timeout: 30, sudo: false } });
  });

  it('gives each child its task name, id and route in context.orquesta', () => {
    const simulation = simulate('version: 1.0\ntasks:\n  t:\n    action: core.noop\n');
    expect(simulation.started[0]!).toEqual({ requestId: 't:0:1', action: 'core.noop', parameters: {}, context: { orquesta: { task_name: 't', task_id: 't', route: 0, task_route: 0 } } });
  });
});

describe('next: when, publish, do and the engine commands', () => {
  const branching = `
version: 1.0
input:
  - fail_first
tasks:
  first:
    action: core.run
    next:
      - when: <% succeeded() %>
        do: ok
      - when: <% failed() %>
        publish: why=<% result().error %>
        do: cleanup
  ok:
    action: core.noop
  cleanup:
    action: core.noop
output:
  - why: <% ctx().get(why) %>
`;

  it('follows the branch whose condition holds', () => {
    const good = simulate(branching, { respond: () => succeed({}) });
    expect(good.sequence).toEqual(['first', 'ok']);
    expect(good.status).toBe('succeeded');
    const bad = simulate(branching, { respond: (request) => (request.action === 'core.run' ? fail({ error: 'boom' }) : succeed()) });
    expect(bad.sequence).toEqual(['first', 'cleanup']);
    // A failure with a transition taken is remediated: the workflow succeeds.
    expect(bad.status).toBe('succeeded');
    expect(bad.result).toEqual({ output: { why: 'boom' } });
  });

  it('fails the workflow on a failed task without a transition to take', () => {
    const simulation = simulate('version: 1.0\ntasks:\n  t:\n    action: core.run\n    next:\n      - when: <% succeeded() %>\n        do: u\n  u:\n    action: core.noop\n', { respond: () => fail({ x: 1 }) });
    expect(simulation.status).toBe('failed');
    expect(simulation.result).toEqual({ output: null, errors: [{ type: 'error', message: 'Execution failed. See result for details.', task_id: 't', result: { x: 1 } }] });
  });

  it('runs a task of several `do` in parallel and an action-less task at once', () => {
    const simulation = simulate(`
version: 1.0
tasks:
  start:
    next:
      - do: [b, a]
  a:
    action: core.noop
  b:
    action: core.noop
`);
    expect(simulation.sequence).toEqual(['a', 'b']);
    expect(simulation.status).toBe('succeeded');
  });

  it('fails on a task whose input does not render, naming the task and route', () => {
    const simulation = simulate('version: 1.0\ntasks:\n  t:\n    action: core.noop\n    input:\n      x: <% ctx().nope %>\n'.replace('ctx().nope', "ctx('nope')").replace("ctx('nope')", 'ctx().get(nope).missing'));
    expect(simulation.status).toBe('failed');
    const errors = (simulation.result as { errors: Record<string, Json>[] }).errors;
    expect(errors[0]).toMatchObject({ type: 'error', task_id: 't', route: 0 });
  });
});

describe('routes', () => {
  it('gives a task reached from two branches a route per branch', () => {
    const simulation = simulate(`
version: 1.0
tasks:
  start:
    next:
      - do: left, right
  left:
    action: core.noop
    next:
      - do: shared
  right:
    action: core.noop
    next:
      - do: shared
  shared:
    action: core.echo
    input:
      message: <% task_status(start) %>
`);
    expect(simulation.started.map((request) => [orquestaOf(request)['task_id'], orquestaOf(request)['route']])).toEqual([
      ['left', 0],
      ['right', 0],
      ['shared', 1],
      ['shared', 2],
    ]);
    // task_status() on a later route finds the task on the route it was split from.
    expect(simulation.started[2]!.parameters).toEqual({ message: 'succeeded' });
    expect(simulation.status).toBe('succeeded');
  });
});

describe('join', () => {
  const join = (spec: string) => `
version: 1.0
tasks:
  start:
    next:
      - do: a, b, c
  a:
    action: core.a
    next:
      - when: <% succeeded() %>
        publish: from_a=1
        do: together
  b:
    action: core.b
    next:
      - when: <% succeeded() %>
        publish: from_b=2
        do: together
  c:
    action: core.c
    next:
      - when: <% succeeded() %>
        do: together
  together:
    join: ${spec}
    action: core.noop
    input:
      seen: <% ctx().keys().orderBy($) %>
`;

  it('join: all waits for every branch and merges their contexts', () => {
    const simulation = new Simulation(join('all'), { respond: () => 'hold' }).run();
    simulation.finish('a:0:1', 'succeeded');
    simulation.finish('b:0:1', 'succeeded');
    expect(simulation.sequence).not.toContain('together');
    simulation.finish('c:0:1', 'succeeded');
    expect(simulation.sequence).toEqual(['a', 'b', 'c', 'together']);
    expect(simulation.last!.start[0]!.parameters).toEqual({ seen: ['from_a', 'from_b', 'parent', 'st2'] });
  });

  it('join: 2 runs once two branches arrive', () => {
    const simulation = new Simulation(join('2'), { respond: () => 'hold' }).run();
    simulation.finish('b:0:1', 'succeeded');
    simulation.finish('c:0:1', 'succeeded');
    expect(simulation.sequence).toEqual(['a', 'b', 'c', 'together']);
  });

  it('a join that can no longer be satisfied fails the workflow', () => {
    const simulation = new Simulation(join('all'), { respond: () => 'hold' }).run();
    simulation.finish('a:0:1', 'succeeded');
    simulation.finish('b:0:1', 'succeeded');
    simulation.finish('c:0:1', 'failed');
    expect(simulation.status).toBe('failed');
    const messages = (simulation.result as { errors: { message: string }[] }).errors.map((error) => error.message);
    expect(messages).toContain('UnreachableJoinError: The join task|route "together|0" is partially satisfied but unreachable.');
  });
});

describe('with items', () => {
  it('zips several lists into named items and keeps results in item order', () => {
    const simulation = new Simulation(
      `
version: 1.0
input:
  - hosts
  - ports
tasks:
  probe:
    with: host, port in <% zip(ctx().hosts, ctx().ports) %>
    action: core.echo
    input:
      message: "{{ item().host }}:{{ item().port }}"
    next:
      - when: <% succeeded() %>
        publish: probes=<% result().select($.stdout) %>
output:
  - probes: <% ctx().probes %>
`,
      { input: { hosts: ['a', 'b', 'c'], ports: [1, 2] }, respond: () => 'hold' },
    ).run();
    expect(simulation.held.map((request) => [request.requestId, request.parameters['message'], orquestaOf(request)['item_id']])).toEqual([
      ['probe:0:1:0', 'a:1', 0],
      ['probe:0:1:1', 'b:2', 1],
      ['probe:0:1:2', 'c:None', 2],
    ]);
    simulation.finish('probe:0:1:2', 'succeeded', { stdout: 'c:None' });
    simulation.finish('probe:0:1:0', 'succeeded', { stdout: 'a:1' });
    expect(simulation.status).toBe('running');
    simulation.finish('probe:0:1:1', 'succeeded', { stdout: 'b:2' });
    expect(simulation.result).toEqual({ output: { probes: ['a:1', 'b:2', 'c:None'] } });
  });

  it('an empty list succeeds at once with an empty result', () => {
    const simulation = simulate('version: 1.0\ntasks:\n  t:\n    with: <% [] %>\n    action: core.noop\n    next:\n      - publish: r=<% result() %>\noutput:\n  - r: <% ctx().r %>\n');
    expect(simulation.started).toEqual([]);
    expect(simulation.result).toEqual({ output: { r: [] } });
  });

  it('concurrency from an expression limits how many items run at once', () => {
    const simulation = new Simulation('version: 1.0\ntasks:\n  t:\n    with:\n      items: x in <% range(5) %>\n      concurrency: <% 1 + 1 %>\n    action: core.echo message=<% item(x) %>\n', { respond: () => 'hold' }).run();
    expect(simulation.held).toHaveLength(2);
    simulation.finish('t:0:1:0', 'succeeded');
    simulation.finish('t:0:1:1', 'succeeded');
    expect(simulation.started.slice(2).map((request) => request.parameters['message'])).toEqual([2, 3]);
  });
});

describe('with items: the items live beside the state', () => {
  const loop = `
version: 1.0
tasks:
  t:
    with:
      items: <% range(6) %>
      concurrency: 2
    action: core.echo message=<% item() %>
    next:
      - when: <% succeeded() %>
        publish:
          - said: <% result().select($.stdout) %>
          - record: <% task(t).result.items.select($.status) %>
        do: after
  after:
    action: core.noop
output:
  - said: <% ctx().said %>
  - record: <% ctx().record %>
`;

  it('writes each item that ends beside the workflow and keeps neither results nor per-item objects in the state', () => {
    const simulation = new Simulation(loop, { respond: () => 'hold' }).run();
    simulation.finish('t:0:1:0', 'succeeded', { stdout: 'marker-result-0' });
    expect(simulation.last?.items).toEqual([{ list: 't__r0:1', index: 0, status: 'succeeded', result: { stdout: 'marker-result-0' } }]);
    for (let item = 1; item < 5; item++) simulation.finish(`t:0:1:${item}`, 'succeeded', { stdout: `marker-result-${item}` });
    const state = JSON.stringify(simulation.state);
    expect(state).not.toContain('marker-result');
    expect(simulation.status).toBe('running');
    simulation.finish('t:0:1:5', 'succeeded', { stdout: 'marker-result-5' });
    // The task completed: its items were read once for `result()` and `task()`; only what was published is in the state.
    expect(JSON.stringify(simulation.state)).not.toContain('"stdout"');
    simulation.finish(simulation.started.at(-1)!.requestId, 'succeeded');
    expect(simulation.result).toEqual({
      output: { said: [0, 1, 2, 3, 4, 5].map((item) => `marker-result-${item}`), record: Array.from({ length: 6 }, () => 'succeeded') },
    });
  });

  it('a state written before item lists moves its items out when next read', () => {
    const simulation = new Simulation(loop, { respond: () => 'hold' }).run();
    simulation.finish('t:0:1:0', 'succeeded', { stdout: 'old-0' });
    // The shape of that state: results inside (`items` by entry) and item statuses as objects.
    const state = simulation.state as { conductor: { staged: Array<{ items?: unknown }> }; itemLists?: unknown; items?: unknown };
    delete state.itemLists;
    state.items = { t__r0: [{ status: 'succeeded', result: { stdout: 'old-0' } }, null, null, null, null, null] };
    const staged = state.conductor.staged[0]!;
    staged.items = Array.from(String(staged.items), (code) => ({ status: code === 's' ? 'succeeded' : code === 'r' ? 'running' : 'null' }));
    simulation.itemLists.clear();
    for (let item = 1; item < 6; item++) simulation.finish(`t:0:1:${item}`, 'succeeded', { stdout: `new-${item}` });
    simulation.finish(simulation.started.at(-1)!.requestId, 'succeeded');
    expect((simulation.result as { output: { said: Json[] } }).output.said).toEqual(['old-0', 'new-1', 'new-2', 'new-3', 'new-4', 'new-5']);
  });
});

describe('retry and delay', () => {
  it('retries with its delay while the condition holds, up to count', () => {
    const simulation = new Simulation(
      `
version: 1.0
tasks:
  t:
    action: core.run
    retry:
      when: <% result().code = 75 %>
      count: <% 2 %>
      delay: 5
`,
      { respond: () => fail({ code: 75 }) },
    ).begin();
    expect(simulation.started.map((request) => request.requestId)).toEqual(['t:0:1']);
    simulation.drain();
    expect(simulation.started.map((request) => request.requestId)).toEqual(['t:0:1', 't:0:2', 't:0:3']);
    expect(simulation.now).toBe(1_000_000 + 10_000);
    expect(simulation.status).toBe('failed');
  });

  it('`do: retry` retries three times by default', () => {
    const simulation = simulate('version: 1.0\ntasks:\n  t:\n    action: core.run\n    next:\n      - when: <% failed() %>\n        do: retry\n', { respond: () => fail() });
    expect(simulation.sequence).toEqual(['t', 't', 't', 't']);
  });

  it('a task delay holds the child until its timer fires, once', () => {
    const simulation = new Simulation('version: 1.0\ntasks:\n  t:\n    delay: 3\n    action: core.noop\n').begin();
    expect(simulation.last!.timers).toEqual([{ timerId: 'delay:t:0:1', fireAt: 1_003_000 }]);
    expect(simulation.started).toEqual([]);
    simulation.send({ kind: 'timer-fired', timerId: 'delay:t:0:1' });
    expect(simulation.last!.start.map((request) => request.requestId)).toEqual(['t:0:1']);
    simulation.send({ kind: 'timer-fired', timerId: 'delay:t:0:1' });
    expect(simulation.last!.start).toEqual([]);
  });
});

describe('pause, resume and cancel', () => {
  const two = 'version: 1.0\ntasks:\n  a:\n    action: core.a\n    next:\n      - do: b\n  b:\n    action: core.b\n';

  it('pausing waits for running children, paused starts nothing, resume continues', () => {
    const simulation = new Simulation(two, { respond: () => 'hold' }).run();
    simulation.send({ kind: 'pause' });
    expect(simulation.status).toBe('pausing');
    expect(simulation.last!.pause).toEqual(['a:0:1']);
    simulation.finish('a:0:1', 'succeeded');
    expect(simulation.status).toBe('paused');
    expect(simulation.last!.start).toEqual([]);
    simulation.send({ kind: 'resume' });
    expect(simulation.last!.start.map((request) => request.requestId)).toEqual(['b:0:1']);
    expect(simulation.status).toBe('running');
    simulation.finish('b:0:1', 'succeeded');
    expect(simulation.status).toBe('succeeded');
  });

  it('a child workflow that pauses pauses the parent, and resume passes down to it', () => {
    const simulation = new Simulation(two, { respond: () => 'hold' }).run();
    simulation.send({ kind: 'child-ended', requestId: 'a:0:1', status: 'paused', result: null });
    expect(simulation.status).toBe('paused');
    simulation.send({ kind: 'resume' });
    expect(simulation.last!.resume).toEqual(['a:0:1']);
    simulation.finish('a:0:1', 'succeeded');
    simulation.finish('b:0:1', 'succeeded');
    expect(simulation.status).toBe('succeeded');
  });

  it('a child workflow paused on its own pauses the parent once the rest is done; resuming the child resumes the parent', () => {
    const simulation = new Simulation('version: 1.0\ntasks:\n  a:\n    action: examples.sub\n  b:\n    action: core.b\n', { respond: () => 'hold' }).run();
    simulation.send({ kind: 'child-ended', requestId: 'a:0:1', status: 'paused', result: null });
    expect(simulation.status).toBe('running');
    simulation.finish('b:0:1', 'succeeded');
    expect(simulation.status).toBe('paused');
    simulation.send({ kind: 'child-ended', requestId: 'a:0:1', status: 'running', result: null });
    expect(simulation.status).toBe('running');
    simulation.finish('a:0:1', 'succeeded');
    expect(simulation.status).toBe('succeeded');
  });

  it('an inquiry (a pending child) pauses the workflow until it is answered and the workflow resumed', () => {
    const simulation = new Simulation(
      'version: 1.0\ntasks:\n  ask:\n    action: core.ask\n    next:\n      - when: <% succeeded() %>\n        publish: answer=<% result().response.approved %>\n        do: act\n  act:\n    action: core.echo message=<% ctx().answer %>\n',
      { respond: () => 'hold' },
    ).run();
    simulation.send({ kind: 'child-ended', requestId: 'ask:0:1', status: 'pending', result: null });
    expect(simulation.status).toBe('paused');
    simulation.finish('ask:0:1', 'succeeded', { response: { approved: true } });
    expect(simulation.status).toBe('paused');
    expect(simulation.last!.start).toEqual([]);
    simulation.send({ kind: 'resume' });
    expect(simulation.last!.start.map((request) => request.parameters)).toEqual([{ message: true }]);
    expect(simulation.status).toBe('running');
  });

  it('canceling asks running children to cancel and ends canceled when they end', () => {
    const simulation = new Simulation('version: 1.0\ntasks:\n  a:\n    action: core.a\n  b:\n    action: core.b\n', { respond: () => 'hold' }).run();
    simulation.send({ kind: 'cancel' });
    expect(simulation.status).toBe('canceling');
    expect(simulation.last!.cancel).toEqual(['a:0:1', 'b:0:1']);
    simulation.finish('a:0:1', 'succeeded');
    expect(simulation.status).toBe('canceling');
    simulation.finish('b:0:1', 'canceled');
    expect(simulation.status).toBe('canceled');
    expect(simulation.result).toEqual({ output: null });
  });

  it('a canceled child cancels the workflow', () => {
    const simulation = new Simulation(two, { respond: () => 'hold' }).run();
    simulation.finish('a:0:1', 'canceled');
    expect(simulation.status).toBe('canceled');
  });

  it('with items: pausing lets running items finish and resume runs the rest', () => {
    const simulation = new Simulation('version: 1.0\ntasks:\n  t:\n    with:\n      items: <% range(4) %>\n      concurrency: 2\n    action: core.noop\n', { respond: () => 'hold' }).run();
    simulation.send({ kind: 'pause' });
    simulation.finish('t:0:1:0', 'succeeded');
    simulation.finish('t:0:1:1', 'succeeded');
    expect(simulation.status).toBe('paused');
    expect(simulation.held).toEqual([]);
    simulation.send({ kind: 'resume' });
    expect(simulation.last!.start.map((request) => request.requestId)).toEqual(['t:0:1:2', 't:0:1:3']);
    simulation.finish('t:0:1:2', 'succeeded');
    simulation.finish('t:0:1:3', 'succeeded');
    expect(simulation.status).toBe('succeeded');
  });
});

describe('rerun', () => {
  it('runs a failed workflow again from a task, keeping what succeeded', () => {
    let attempt = 0;
    const simulation = simulate(
      `
version: 1.0
tasks:
  a:
    action: core.a
    next:
      - when: <% succeeded() %>
        publish: x=<% result().v %>
        do: b
  b:
    action: core.b
    next:
      - when: <% succeeded() %>
        publish: y=<% ctx().x %>
output:
  - y: <% ctx().y %>
`,
      { respond: (request) => (request.action === 'core.a' ? succeed({ v: 'A' }) : ++attempt === 1 ? fail({}) : succeed({})) },
    );
    expect(simulation.status).toBe('failed');
    simulation.send({ kind: 'rerun', tasks: ['b'] });
    simulation.drain();
    expect(simulation.sequence).toEqual(['a', 'b', 'b']);
    expect(simulation.started.map((request) => request.requestId)).toEqual(['a:0:1', 'b:0:1', 'b:0:2']);
    expect(simulation.status).toBe('succeeded');
    expect(simulation.result).toEqual({ output: { y: 'A' } });
  });

  it('with no task named, reruns the failed terminal tasks; with items only the failed items', () => {
    let round = 0;
    const simulation = simulate('version: 1.0\ntasks:\n  t:\n    with: <% range(3) %>\n    action: core.noop\n', {
      respond: (request) => (orquestaOf(request)['item_id'] === 1 && round === 0 ? fail() : succeed()),
    });
    expect(simulation.status).toBe('failed');
    round = 1;
    simulation.send({ kind: 'rerun', tasks: [] });
    expect(simulation.last!.start.map((request) => request.requestId)).toEqual(['t:0:2:1']);
    simulation.drain();
    expect(simulation.status).toBe('succeeded');
  });
});

describe('replays', () => {
  it('ignores a child-ended event it already took, and one for a request it never made', () => {
    const simulation = new Simulation('version: 1.0\ntasks:\n  a:\n    action: core.a\n    next:\n      - do: b\n  b:\n    action: core.b\n', { respond: () => 'hold' }).run();
    simulation.finish('a:0:1', 'succeeded');
    const state = simulation.state;
    const again = simulation.send({ kind: 'child-ended', requestId: 'a:0:1', status: 'succeeded', result: null });
    expect(again.start).toEqual([]);
    expect(again.state).toEqual(state);
    expect(simulation.send({ kind: 'child-ended', requestId: 'nope', status: 'failed', result: null }).status).toBe('running');
  });
});
