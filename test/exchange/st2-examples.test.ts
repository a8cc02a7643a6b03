import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPack } from '@packrun/core';
import { builtinTriggerTypes, criteriaProblems } from '@packrun/rules-engine';
import { repoRoot } from '../runner/fixtures.ts';

// StackStorm's own `examples` pack (st2 contrib/examples): its rules and sensors, unmodified.
const packDir = path.join(repoRoot, 'test/fixtures/st2-examples');

// What the rules point at that neither this pack nor Packrun's core provides: the linux pack's
// file watch trigger (StackStorm ships that pack separately). Packrun fires StackStorm's internal
// triggers (actiontrigger, notifytrigger, inquiry) itself.
const unknownTriggerTypes: Record<string, string> = {
  'examples.sample_rule_file_watch': 'linux.file_watch.line',
};

describe('StackStorm examples pack (StackStorm/st2 contrib/examples, unmodified)', () => {
  it('loads its sensors and their trigger types without problems', async () => {
    const pack = await loadPack(packDir);
    expect(pack.ref).toBe('examples');
    expect(pack.problems).toEqual([]);
    expect(pack.warnings).toEqual([]);
    const sensors = pack.sensors.map((sensor) => ({
      ref: sensor.ref,
      entryPoint: sensor.entryPoint,
      pollInterval: sensor.pollInterval,
      enabled: sensor.enabled,
      triggers: sensor.triggerTypes.map((trigger) => trigger.ref),
    }));
    expect(sensors).toEqual([
      { ref: 'examples.EchoFlaskSensor', entryPoint: 'echo_flask_app.py', pollInterval: undefined, enabled: true, triggers: ['examples.echoflasksensor'] },
      { ref: 'examples.FibonacciSensor', entryPoint: 'fibonacci_sensor.py', pollInterval: 4, enabled: true, triggers: ['examples.fibonacci'] },
      { ref: 'examples.SamplePollingSensor', entryPoint: 'sample_polling_sensor.py', pollInterval: 10, enabled: true, triggers: ['examples.polling_event'] },
      { ref: 'examples.SampleSensor', entryPoint: 'sample_sensor.py', pollInterval: undefined, enabled: true, triggers: ['examples.execution_trigger'] },
    ]);
    const fibonacci = pack.sensors.find((sensor) => sensor.className === 'FibonacciSensor');
    expect(fibonacci?.triggerTypes[0]?.payloadSchema).toEqual({
      type: 'object',
      properties: { count: { type: 'number' }, fibonacci: { type: 'number' } },
    });
  });

  it('loads all seven rules, keeping unicode names, dotted names and enabled flags as written', async () => {
    const pack = await loadPack(packDir);
    const rules = Object.fromEntries(pack.rules.map((rule) => [rule.ref, {
      enabled: rule.enabled, trigger: rule.trigger.type, action: rule.action.ref,
    }]));
    expect(rules).toEqual({
      'examples.notify_inquiry': { enabled: false, trigger: 'core.st2.generic.inquiry', action: 'slack.post_message' },
      'examples.sample_notify_slack': { enabled: true, trigger: 'core.st2.generic.notifytrigger', action: 'slack.post_message' },
      'examples.sample_rule_file_watch': { enabled: false, trigger: 'linux.file_watch.line', action: 'core.local' },
      'examples.sample.on_actiontrigger': { enabled: true, trigger: 'core.st2.generic.actiontrigger', action: 'core.local' },
      'examples.sample_with_timer': { enabled: false, trigger: 'core.st2.IntervalTimer', action: 'core.local' },
      'examples.sample_rule_with_webhook': { enabled: true, trigger: 'core.st2.webhook', action: 'core.local' },
      'examples.sample_rule_with_webhook_你好': { enabled: true, trigger: 'core.st2.webhook', action: 'core.local' },
    });
    const webhook = pack.rules.find((rule) => rule.ref === 'examples.sample_rule_with_webhook');
    expect(webhook?.trigger.parameters).toEqual({ url: 'sample' });
    expect(webhook?.criteria).toEqual({ 'trigger.body.name': { pattern: 'st2', type: 'equals' } });
    expect(webhook?.action.parameters).toEqual({ cmd: 'echo "{{trigger.body}}" >> ~/st2.webhook_sample.out' });
    const timer = pack.rules.find((rule) => rule.ref === 'examples.sample_with_timer');
    expect(timer?.trigger.parameters).toEqual({ delta: 5, unit: 'seconds' });
  });

  it('every rule\'s criteria pass the rules engine\'s checks', async () => {
    const pack = await loadPack(packDir);
    for (const rule of pack.rules) expect(criteriaProblems(rule.criteria), rule.ref).toEqual([]);
  });

  it('rule trigger types: the pack\'s own and Packrun\'s built-ins resolve; the rest are the known gaps', async () => {
    const pack = await loadPack(packDir);
    const known = new Set([
      ...builtinTriggerTypes.map((type) => type.ref),
      ...pack.sensors.flatMap((sensor) => sensor.triggerTypes.map((type) => type.ref)),
    ]);
    const unresolved = Object.fromEntries(pack.rules
      .filter((rule) => !known.has(rule.trigger.type))
      .map((rule) => [rule.ref, rule.trigger.type]));
    expect(unresolved).toEqual(unknownTriggerTypes);
  });

  it('rule actions: core.local is Packrun\'s own core pack; slack.post_message needs the Exchange slack pack', async () => {
    const pack = await loadPack(packDir);
    const core = await loadPack(path.join(repoRoot, 'packs/core'));
    const available = new Set([...core.actions, ...pack.actions].map((action) => action.ref));
    const missing = [...new Set(pack.rules.map((rule) => rule.action.ref).filter((ref) => !available.has(ref)))];
    expect(missing).toEqual(['slack.post_message']);
  });
});
