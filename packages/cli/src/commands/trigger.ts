import type { Command } from 'commander';
import { loadConfig, PackrunError, type RuleEnforcementRecord, type TriggerInstanceRecord, type TriggerTypeRecord } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';

const enc = encodeURIComponent;

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
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
      const { data } = await (await requireApi(loadConfig())).request<TriggerTypeRecord[]>('GET', '/api/v1/triggertypes');
      if (options.json) return printJson(data);
      for (const type of data) {
        const parameters = type.parametersSchema ? ' (parameters)' : '';
        process.stdout.write(`${type.ref.padEnd(40)} ${type.description ?? ''}${parameters}\n`);
      }
    });

  command
    .command('instances')
    .description('Trigger instances, newest first')
    .option('--trigger <ref>', 'only this trigger')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { trigger?: string; limit: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: options.limit, ...(options.trigger ? { trigger: options.trigger } : {}) });
      const { data } = await (await requireApi(loadConfig())).request<TriggerInstanceRecord[]>('GET', `/api/v1/triggerinstances?${query}`);
      if (options.json) return printJson(data);
      for (const item of data) process.stdout.write(`${item.id}  ${item.occurredAt}  ${item.trigger.padEnd(36)} ${item.status}\n`);
    });

  command
    .command('instance')
    .description('One trigger instance: its payload and what rules did with it')
    .argument('<id>', 'the trigger instance id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<TriggerInstanceRecord & { enforcements: RuleEnforcementRecord[] }>(
        'GET',
        `/api/v1/triggerinstances/${enc(id)}`,
      );
      if (options.json) return printJson(data);
      const lines = [`id: ${data.id}`, `trigger: ${data.trigger}`, `occurred: ${data.occurredAt}`, `status: ${data.status}`, `source: ${data.source ?? '-'}`, `payload: ${JSON.stringify(data.payload, null, 2)}`];
      for (const item of data.enforcements) {
        lines.push(`rule ${item.rule}: ${item.status === 'succeeded' ? `execution ${item.execution}` : `failed: ${item.failureReason ?? ''}`}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  command
    .command('fire')
    .description('Fire a trigger by hand with a JSON payload; rules on it run as for a sensor dispatch')
    .argument('<ref>', 'trigger type ref (or the ref of a parameterised trigger)')
    .argument('[payload]', 'the payload as a JSON object', '{}')
    .action(async (ref: string, payload: string) => {
      const { data } = await (await requireApi(loadConfig())).request<{ triggerInstance: string }>('POST', '/api/v1/webhooks/st2', {
        trigger: ref,
        payload: parsePayload(payload),
      });
      process.stdout.write(`${data.triggerInstance}\n`);
    });
}
