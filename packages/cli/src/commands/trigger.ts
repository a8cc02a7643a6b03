import type { Command } from 'commander';
import { loadConfig, PackrunError } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';
import { printJson } from '../output/json.ts';
import { printList, statusCell } from '../output/table.ts';

const enc = encodeURIComponent;

/** st2's TriggerType, TriggerInstance and RuleEnforcement, as the API answers them (rules-engine/st2-views.ts). */
interface TriggerTypeView {
  ref: string;
  description?: string;
  parameters_schema: Record<string, unknown>;
}
interface TriggerInstanceView {
  id: string;
  trigger: string;
  occurrence_time: string;
  payload: Record<string, unknown>;
  status: string;
  source?: string;
}
interface RuleEnforcementView {
  rule: { ref: string };
  execution_id?: string;
  failure_reason?: string;
  status: string;
}

function parsePayload(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PackrunError('REQUEST_INVALID', `the payload is not JSON: ${(cause as Error).message}`, { details: { field: 'payload' } });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PackrunError('REQUEST_INVALID', 'the payload must be a JSON object', { details: { field: 'payload' } });
  }
  return value as Record<string, unknown>;
}

export function register(program: Command): void {
  const command = program.command('trigger').description('Trigger types, trigger instances, and firing a trigger by hand');

  command
    .command('types')
    .description('Registered trigger types (built-in and declared by sensors)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<TriggerTypeView[]>('GET', '/api/v1/triggertypes?limit=-1');
      if (options.json) return printJson(data);
      const rows = data.map((type) => [type.ref, Object.keys(type.parameters_schema).length > 0 ? 'yes' : '', type.description ?? '']);
      printList(['ref', 'parameters', 'description'], rows, 'no trigger types');
    });

  command
    .command('instances')
    .description('Trigger instances, newest first')
    .option('--trigger <ref>', 'only this trigger')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { trigger?: string; limit: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: options.limit, ...(options.trigger ? { trigger: options.trigger } : {}) });
      const { data } = await (await requireApi(loadConfig())).request<TriggerInstanceView[]>('GET', `/api/v1/triggerinstances?${query}`);
      if (options.json) return printJson(data);
      const rows = data.map((item) => [item.id, item.occurrence_time, item.trigger, statusCell(item.status)]);
      printList(['id', 'occurred', 'trigger', 'status'], rows, options.trigger ? `no trigger instances of ${options.trigger}` : 'no trigger instances');
    });

  command
    .command('instance')
    .description('One trigger instance: its payload and what rules did with it')
    .argument('<id>', 'the trigger instance id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<TriggerInstanceView>('GET', `/api/v1/triggerinstances/${enc(id)}`);
      const { data: enforcements } = await client.request<RuleEnforcementView[]>('GET', `/api/v1/ruleenforcements?trigger_instance=${enc(id)}&limit=-1`);
      if (options.json) return printJson({ ...data, enforcements });
      const lines = [`id: ${data.id}`, `trigger: ${data.trigger}`, `occurred: ${data.occurrence_time}`, `status: ${data.status}`, `source: ${data.source ?? '-'}`, `payload: ${JSON.stringify(data.payload, null, 2)}`];
      // Oldest first, as they happened.
      for (const item of [...enforcements].reverse()) {
        lines.push(`rule ${item.rule.ref}: ${item.status === 'succeeded' ? `execution ${item.execution_id}` : `failed: ${item.failure_reason ?? ''}`}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  command
    .command('fire')
    .description('Fire a trigger by hand with a JSON payload; rules on it run as for a sensor dispatch')
    .argument('<ref>', 'trigger type ref (or the ref of a parameterised trigger)')
    .argument('[payload]', 'the payload as a JSON object', '{}')
    .option('--json', 'print the trigger instance it made as JSON (st2 TriggerInstance)')
    .action(async (ref: string, payload: string, options: { json?: boolean }) => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<{ trigger_instance_id: string }>('POST', '/api/v1/webhooks/st2', {
        trigger: ref,
        payload: parsePayload(payload),
      });
      if (!options.json) return void process.stdout.write(`${data.trigger_instance_id}\n`);
      printJson((await client.request<TriggerInstanceView>('GET', `/api/v1/triggerinstances/${enc(data.trigger_instance_id)}`)).data);
    });
}
