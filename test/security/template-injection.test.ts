import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dataPaths, isPackrunError, loadConfig, openKeyValues, renderValue, renderValueWithDatastore, type PackrunError } from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { installPack } from '@packrun/pack-installer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, repoRoot, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';
import { realPython, writePack } from '../sensors/sensor-fixtures.ts';

/**
 * Server-side template injection. Templates reach Packrun from API callers (parameter values),
 * packs (parameter defaults) and trigger payloads (copied into parameters by rules), and they are
 * rendered in the runtime's own process, as root. Each payload below is a known way out of
 * nunjucks or of jinja2; each must render as harmless text or be refused with TEMPLATE_INVALID,
 * and the canaries prove that nothing ran: a payload that runs writes a file and sets a global.
 */

const canaryDir = mkdtempSync(path.join(os.tmpdir(), 'packrun-template-canary-'));
const canaryGlobal = '__packrunTemplateCanary';
const canaryFile = (id: string) => path.join(canaryDir, id);

/** JavaScript that leaves both canaries, for payloads that hand a string to Function(). */
function canaryCode(id: string): string {
  return `process.getBuiltinModule('fs').writeFileSync('${canaryFile(id)}', 'ran'); globalThis.${canaryGlobal} = '${id}'; return 'RAN-${id}'`;
}

function expectNothingRan(): void {
  expect(readdirSync(canaryDir)).toEqual([]);
  expect((globalThis as Record<string, unknown>)[canaryGlobal]).toBeUndefined();
}

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

function expectNoPollution(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  const probe: Record<string, unknown> = {};
  for (const name of ['polluted', 'isAdmin', 'shell']) expect(probe[name]).toBeUndefined();
}

/** Removes what a payload that ran left behind, so that each test shows its own outcome. */
function clearCanaries(): void {
  for (const file of readdirSync(canaryDir)) rmSync(path.join(canaryDir, file));
  delete (globalThis as Record<string, unknown>)[canaryGlobal];
  for (const name of Object.getOwnPropertyNames(Object.prototype)) {
    if (!prototypeNames.includes(name)) delete (Object.prototype as Record<string, unknown>)[name];
  }
}

afterEach(() => {
  try {
    expectNothingRan();
    expectNoPollution();
  } finally {
    clearCanaries();
  }
});

afterAll(() => rmSync(canaryDir, { recursive: true, force: true }));

const context = { trigger: { body: { text: 'hello', items: ['a'] } }, config_context: { token: 's3cret' } };

/** The outcome of rendering a payload: the value, or the TEMPLATE_INVALID error. */
function render(template: string, allowUndefined: boolean): { value: unknown } | { error: PackrunError } {
  try {
    return { value: renderValue(template, context, { what: 'payload', allowUndefined }) };
  } catch (error) {
    if (isPackrunError(error)) return { error };
    throw error;
  }
}

/** Refused with TEMPLATE_INVALID, or rendered to something that is not the result of running code. */
function expectHarmless(template: string): void {
  for (const allowUndefined of [false, true]) {
    const outcome = render(template, allowUndefined);
    if ('error' in outcome) {
      expect(outcome.error.code).toBe('TEMPLATE_INVALID');
      continue;
    }
    const shown = JSON.stringify(outcome.value) ?? '';
    expect(shown).not.toMatch(/RAN-|native code|function|class |subclasses|__globals__|<module|uid=/);
    expect(shown).not.toContain('s3cret');
  }
}

const nunjucksPayloads: [string, string][] = [
  ['the Function constructor through range', `{{ range.constructor("${canaryCode('range')}")() }}`],
  ['the Function constructor through cycler', `{{ cycler.constructor("${canaryCode('cycler')}")() }}`],
  ['the Function constructor through joiner', `{{ joiner.constructor("${canaryCode('joiner')}")() }}`],
  ['a string literal', `{{ ''.constructor.constructor("${canaryCode('string')}")() }}`],
  ['a list literal', `{{ [].constructor.constructor("${canaryCode('list')}")() }}`],
  ['a dict literal', `{{ {}.constructor.constructor("${canaryCode('dict')}")() }}`],
  ['a method of a string', `{{ 'x'.toString.constructor("${canaryCode('method')}")() }}`],
  ['filters returning the constructor (attr)', `{{ ('' | attr('constructor') | attr('constructor'))("${canaryCode('attr')}")() }}`],
  ['filters returning the constructor (map)', `{{ ([''] | map(attribute='constructor') | first).constructor("${canaryCode('map')}")() }}`],
  ['an object of the context', `{{ trigger.constructor.constructor("${canaryCode('context')}")() }}`],
  ['names written with escapes', `{{ ''['\\x63onstructor']['\\x63onstructor']("${canaryCode('escaped')}")() }}`],
  ['names written with unicode escapes', `{{ trigger['\\u0063onstructor']['\\u0063onstructor']("${canaryCode('unicode')}")() }}`],
  ['a value set first', `{% set f = range.constructor %}{{ f("${canaryCode('set')}")() }}`],
  ['the prototype of a context object', '{{ trigger.constructor.prototype }}{{ trigger.__proto__ }}'],
  ['process through globalThis', "{{ globalThis.process.mainModule }}{{ process.env }}{{ this }}"],
];

const jinja2Payloads: [string, string][] = [
  ['__class__.__mro__ to __subclasses__', "{{ ''.__class__.__mro__[1].__subclasses__() }}"],
  ['lipsum.__globals__', "{{ lipsum.__globals__.os.popen('id').read() }}"],
  ['cycler.__init__.__globals__', "{{ cycler.__init__.__globals__.os.popen('id').read() }}"],
  ['joiner and namespace __globals__', '{{ joiner.__init__.__globals__ }}{{ namespace.__init__.__globals__ }}'],
  ['the template reference', '{{ self._TemplateReference__context }}{{ self.__dict__ }}'],
  ['the Flask request and config globals', '{{ request.application.__globals__ }}{{ config.items() }}'],
  ['attr() with dunder names', "{{ (''|attr('__class__')|attr('__mro__')) }}{{ trigger|attr('__init__') }}"],
  ['% formatting of an attribute', "{{ '%s' % trigger.__class__ }}{{ '%r' % range }}"],
  ['str.format attribute access', "{{ '{0.__class__.__init__.__globals__}'.format(trigger) }}"],
  ['item syntax for attributes', "{{ ''['__class__'] }}{{ trigger['__proto__']['constructor'] }}"],
  ['escaped dunder names', "{{ ''['\\x5f\\x5fclass\\x5f\\x5f'] }}{{ ''['\\u005f\\u005fclass\\u005f\\u005f'] }}"],
  ['__builtins__ and import', "{{ __builtins__ }}{{ __import__('os') }}"],
  ['the whole context', '{{ __context.__class__ }}{{ __context.config_context.constructor }}'],
];

describe('template injection payloads are rendered harmless or refused', () => {
  it.each(nunjucksPayloads)('nunjucks: %s', (_name, template) => expectHarmless(template));
  it.each(jinja2Payloads)('jinja2: %s', (_name, template) => expectHarmless(template));

  it('refuses the payloads with a clear message naming what was rendered', () => {
    const outcome = render(nunjucksPayloads[0]![1], false);
    expect('error' in outcome && outcome.error.message).toMatch(/^payload: "range.constructor": a function has no attributes \(line 1, column 4\)$/);
  });
});

describe('prototype pollution', () => {
  it.each([
    ['set with a __proto__ key', "{% set x = {'__proto__': {'polluted': 1}} %}{{ x }}"],
    ['update with a __proto__ key', "{% set x = {} %}{% set _ = x.update({'__proto__': {'polluted': 1}}) %}{{ x.__proto__.polluted }}"],
    ['setdefault on a prototype', "{{ {}.__proto__.setdefault('polluted', 'yes') }}"],
    ['update on a prototype', "{% set x = {} %}{{ x.__proto__.update({'polluted': 'yes'}) }}"],
    ['setdefault on a context object', "{{ trigger.setdefault('polluted', 'yes') }}{{ trigger.update({'isAdmin': true}) }}"],
    ['dict() with a __proto__ key', "{{ dict(__proto__={'polluted': 1}) }}{{ dict([['__proto__', {'shell': 1}]]) }}"],
    ['constructor.prototype', "{{ trigger.constructor.prototype.update({'polluted': 1}) }}"],
  ])('%s', (_name, template) => {
    const before = JSON.stringify(context);
    expectHarmless(template);
    expect(JSON.stringify(context)).toBe(before);
  });

  it('through a datastore reference', async () => {
    const kv = { get: async () => undefined };
    const rendered = await renderValueWithDatastore('{{ st2kv.system.__proto__.polluted }}|{{ st2kv.user.constructor.prototype.shell }}', {}, { kv });
    expect(rendered).toBe('|');
  });
});

describe('resource exhaustion is refused, naming the limit', () => {
  it.each([
    ['nested loops', '{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}', 'maxSteps'],
    ['repetition', "{{ 'a' * 10**9 }}", 'maxStringLength'],
    ['a huge range', '{{ range(10**12) | length }}', 'maxCollectionLength'],
    ['a list repeated', '{{ [0] * 10**9 }}', 'maxCollectionLength'],
    ['doubling a string', `{% set s = 'aaaaaaaa' %}${'{% set s = s ~ s %}'.repeat(40)}{{ s }}`, 'maxStringLength'],
    ['output', "{% for i in range(99999) %}{{ 'x' * 1000 }}{% endfor %}", 'maxOutputLength'],
    ['deep nesting', `{{ ${'['.repeat(5000)}${']'.repeat(5000)} }}`, 'maxNestingDepth'],
    ['deep blocks', `${'{% if true %}'.repeat(1000)}${'{% endif %}'.repeat(1000)}`, 'maxNestingDepth'],
    ['a wide format', "{{ '%2000000000s' % 'x' }}", 'maxStringLength'],
    ['shared parts walked', "{% set a = ['x' * 1000] * 1000 %}{% set b = [a] * 1000 %}{{ [b] * 1000 }}", 'maxStringLength'],
    ['catastrophic backtracking', "{{ ('a' * 40 ~ 'b') | regex_match('^(a+)+$') }}", 'maxMilliseconds'],
  ])('%s', (_name, template, limit) => {
    const outcome = render(template, false);
    expect('error' in outcome).toBe(true);
    if ('error' in outcome) {
      expect(outcome.error.code).toBe('TEMPLATE_INVALID');
      expect(outcome.error.details).toMatchObject({ limit });
    }
  });
});

describe('a value made of many templates', () => {
  it('shares one budget, so a thousand templates cost no more than one', () => {
    const heavy = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`p${index}`, '{% for i in range(99999) %}{% endfor %}']));
    let failure: unknown;
    try {
      renderValue(heavy, {}, { what: 'parameters' });
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ code: 'TEMPLATE_INVALID', details: { limit: 'maxSteps' } });
  });
});

describe('the entry paths, end to end', () => {
  let deployment: EmbeddedDeployment;
  let packDir: string;

  const payload = (id: string) => `{{ range.constructor("${canaryCode(id)}")() }}`;

  beforeAll(async () => {
    packDir = await writePack({
      'pack.yaml': 'ref: injection\nname: injection\nversion: 1.0.0\ndescription: Template payloads in a pack and a rule\nauthor: tests\n',
      'actions/default_payload.yaml': JSON.stringify({
        name: 'default_payload',
        runner_type: 'local-shell-cmd',
        parameters: { cmd: { type: 'string', default: `echo ${payload('default')}` } },
      }),
      'rules/on_hook.yaml': JSON.stringify({
        name: 'on_hook',
        pack: 'injection',
        enabled: true,
        trigger: { type: 'core.st2.webhook', parameters: { url: 'injection/hook' } },
        action: { ref: 'core.local', parameters: { cmd: 'echo {{ trigger.body.text }}' } },
      }),
    });
    deployment = await startEmbeddedDeployment({ name: 'template-injection', packDirs: [packDir] });
  }, 180_000);

  afterAll(async () => {
    await deployment?.stop();
    await rm(packDir, { recursive: true, force: true });
  });

  it("refuses a caller's parameter value through POST /api/v1/executions", async () => {
    const response = await deployment.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: payload('api') } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'PARAMETER_INVALID', message: expect.stringContaining('parameter "cmd" of core.local') });
    expect(await deployment.store.executions.find({ action: 'core.local' })).toEqual([]);
  });

  it("refuses a pack's parameter default through the API and through runAction in the process", async () => {
    const response = await deployment.call('POST', '/api/v1/executions', { action: 'injection.default_payload', parameters: {} });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'PARAMETER_INVALID', message: expect.stringContaining('parameter "cmd" of injection.default_payload') });
    const keyValues = openKeyValues(deployment.store, deployment.config);
    const run = runAction({ paths: dataPaths(deployment.home), config: deployment.config, ref: 'injection.default_payload', input: {}, datastore: keyValues });
    await expect(run).rejects.toMatchObject({ code: 'PARAMETER_INVALID' });
  });

  it("refuses a pack's parameter default through packrun run", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'packrun-injection-cli-'));
    try {
      const env = { PACKRUN_HOME: home, PACKRUN_PYTHON: realPython() };
      await installPack([path.join(repoRoot, 'packs/core'), packDir], { config: loadConfig(env) });
      const run = await runPackrunCli(['run', 'injection.default_payload'], env);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/PARAMETER_INVALID|parameter "cmd" of injection.default_payload/);
      expect(existsSync(canaryFile('default'))).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('does not run trigger data a rule copies into parameters', async () => {
    const fired = await deployment.call('POST', '/api/v1/webhooks/injection/hook', { text: payload('webhook') });
    expect(fired.statusCode).toBe(202);
    let enforcement: Awaited<ReturnType<typeof deployment.store.ruleEnforcements.findOne>>;
    await retryUntil(async () => {
      enforcement = await deployment.store.ruleEnforcements.findOne({ rule: 'injection.on_hook' });
      return enforcement !== undefined && enforcement !== null;
    }, { what: 'the enforcement of injection.on_hook' });
    if (enforcement!.execution !== undefined) {
      const execution = await deployment.executionOf('injection.on_hook');
      expect(JSON.stringify(execution.result ?? null)).not.toContain('RAN-');
    } else {
      expect(enforcement!).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/PARAMETER_INVALID|TEMPLATE_INVALID/) });
    }
  });
});
