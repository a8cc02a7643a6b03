/**
 * Template rendering speed on the rules engine's and every execution's path: a representative set
 * of StackStorm templates (rule parameters over a webhook payload, action defaults over config and
 * other parameters, filters, a loop), rendered with core's renderValue. Warm: the parsed template
 * is cached, as it is for a rule or an action rendered again. Cold: each source is new, so it is
 * parsed too. When nunjucks was replaced, the same set ran on both engines in one run: the new
 * engine took 0.65-0.80 of nunjucks' time warm and 0.15-0.19 cold (see the commit that removed it).
 * Run: node --import tsx bench/templates/run.ts [rounds, default 20000]
 */
import { renderValue } from '../../packages/core/src/index.ts';

type Render = (value: unknown, context: Record<string, unknown>) => unknown;

const rounds = Number(process.argv[2] ?? 20000);

const context = {
  trigger: {
    headers: { 'x-source': 'ci', 'content-type': 'application/json' },
    body: {
      repo: 'packrun/packrun',
      ref: 'refs/heads/main',
      count: 42,
      user: { login: 'octocat', id: 1 },
      tags: ['deploy', 'prod', 'eu-west-1'],
      name: '  Web Hook  ',
      entries: Array.from({ length: 10 }, (_, index) => ({ name: `item-${index}`, on: index % 2 === 0, size: index })),
    },
  },
  config_context: { db: 'inventory', region: 'eu-west-1', token: 's3cret' },
  action_context: { user: 'packrun', rule: { ref: 'ci.on_push' } },
  user: 'deploy',
  host: 'db.internal',
  port: 5432,
  st2kv: { system: { region: 'eu-west-1' } },
};

const templates: { name: string; value: unknown }[] = [
  { name: 'lone expression', value: '{{ trigger.body.user.login }}' },
  { name: 'text with values', value: 'echo "{{ trigger.body.repo }}@{{ trigger.body.ref }} x{{ trigger.body.count }}"' },
  { name: 'action default', value: 'postgres://{{ user }}@{{ host }}:{{ port }}/{{ config_context.db }}' },
  { name: 'filters', value: "{{ trigger.body.tags | join(',') | upper }} {{ trigger.headers['x-source'] | default('none') }}" },
  { name: 'to_json_string', value: '{{ trigger.body | to_json_string }}' },
  { name: 'methods and %', value: "{{ trigger.body.name.strip().lower() }}-{{ '%05d' % trigger.body.count }}" },
  { name: 'loop and if', value: '{% for item in trigger.body.entries %}{% if item.on %}{{ loop.index }}:{{ item.name }} {% endif %}{% endfor %}' },
  {
    name: 'rule parameters (object)',
    value: {
      cmd: 'deploy {{ trigger.body.repo }} --ref {{ trigger.body.ref }}',
      count: '{{ trigger.body.count }}',
      tags: '{{ trigger.body.tags }}',
      region: '{{ st2kv.system.region }}',
      by: '{{ action_context.user }} via {{ action_context.rule.ref }}',
      timeout: 60,
    },
  },
];

/** Microseconds per render of `value`, after a warm-up. */
function timeWarm(render: Render, value: unknown): number {
  for (let index = 0; index < 200; index += 1) render(value, context);
  const started = performance.now();
  for (let index = 0; index < rounds; index += 1) render(value, context);
  return ((performance.now() - started) * 1000) / rounds;
}

/** Microseconds per parse and render of a source never seen before. */
function timeCold(render: Render, source: string): number {
  const count = Math.max(200, Math.floor(rounds / 20));
  const started = performance.now();
  for (let index = 0; index < count; index += 1) render(`${source} {{ ${index} }}`, context);
  return ((performance.now() - started) * 1000) / count;
}

const rows: string[][] = [['template', 'µs per render']];
let total = 0;
for (const { name, value } of templates) {
  const time = timeWarm(renderValue, value);
  total += time;
  rows.push([name, time.toFixed(2)]);
}
rows.push(['all warm (sum)', total.toFixed(2)]);
rows.push(['cold: parse + render (loop and if)', timeCold(renderValue, String(templates[6]!.value)).toFixed(2)]);

const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
for (const row of rows) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
console.log(`\n${rounds} warm renders per template; node ${process.version}`);
