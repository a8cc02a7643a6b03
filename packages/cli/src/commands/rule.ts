import type { Command } from 'commander';
import path from 'node:path';
import {
  createLogger,
  loadConfig,
  PackrunError,
  readYamlFile,
  renderValue,
  type St2Execution,
  type ParameterOrigin,
} from '@packrun/core';
import { ApiClient } from '../api-client/api-client.ts';
import { cliApiKey, requireApi, serviceApiUrl } from '../api-client/connect.ts';
import { openStoreBackends } from './service-backends.ts';
import { shutdownSignal } from './service-process.ts';
import { printJson } from '../output/json.ts';
import { printList, renderTable, statusCell, type Cell } from '../output/table.ts';

const enc = encodeURIComponent;

/** st2's Rule, as the API answers it (rules-engine/st2-views.ts). */
interface RuleView {
  ref: string;
  name: string;
  pack: string;
  description?: string;
  enabled: boolean;
  trigger: { type: string; parameters: Record<string, unknown>; ref?: string };
  criteria: Record<string, unknown>;
  action: { ref: string; parameters: Record<string, unknown> };
  metadata_file?: string;
  [field: string]: unknown;
}

/** st2's RuleEnforcement. */
interface RuleEnforcementView {
  rule: { ref: string };
  trigger_instance_id: string;
  execution_id?: string;
  failure_reason?: string;
  enforced_at: string;
  status: string;
}

const ruleHeader = ['ref', 'state', 'trigger', 'action'];

/** One rule as a row of `rule list` (and of enable/disable, which show the rule after). */
function ruleRow(rule: RuleView): Array<string | Cell> {
  const trigger = Object.keys(rule.trigger.parameters).length > 0 ? `${rule.trigger.type} ${JSON.stringify(rule.trigger.parameters)}` : rule.trigger.type;
  return [rule.ref, statusCell(rule.enabled ? 'enabled' : 'disabled'), trigger, rule.action.ref];
}

function printRule(rule: RuleView, json: boolean): void {
  if (json) return printJson(rule);
  const lines = [
    `ref: ${rule.ref}`,
    `enabled: ${rule.enabled}`,
    ...(rule.description ? [`description: ${rule.description}`] : []),
    `trigger: ${rule.trigger.type}${Object.keys(rule.trigger.parameters).length > 0 ? ` ${JSON.stringify(rule.trigger.parameters)}` : ''}`,
    `criteria: ${JSON.stringify(rule.criteria)}`,
    `action: ${rule.action.ref} ${JSON.stringify(rule.action.parameters)}`,
    `source: ${rule.metadata_file ?? 'the API'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Reads a rule file (YAML or JSON); its pack comes from the file, else from --pack. */
async function readRuleFile(file: string, pack: string | undefined): Promise<Record<string, unknown>> {
  const read = await readYamlFile(path.resolve(file));
  if (!read.ok) throw new PackrunError('REQUEST_INVALID', `${file}: ${read.message}`, { details: { file } });
  if (typeof read.value !== 'object' || read.value === null || Array.isArray(read.value)) {
    throw new PackrunError('REQUEST_INVALID', `${file} must hold one rule (a mapping)`, { details: { file } });
  }
  const rule = { ...(read.value as Record<string, unknown>) };
  if (pack !== undefined) rule['pack'] = pack;
  if (typeof rule['pack'] !== 'string') {
    throw new PackrunError('REQUEST_INVALID', `${file} names no pack`, { hint: 'add `pack: <ref>` to the file or pass --pack <ref>', details: { file } });
  }
  return rule;
}

export function register(program: Command): void {
  const command = program.command('rule').description('Rules: when a trigger fires and its criteria hold, run an action');

  command
    .command('list')
    .description('Rules: trigger, action and whether each is enabled')
    .option('--pack <ref>', 'only this pack')
    .option('--json', 'print JSON')
    .action(async (options: { pack?: string; json?: boolean }) => {
      const query = `?limit=-1${options.pack ? `&pack=${enc(options.pack)}` : ''}`;
      const { data } = await (await requireApi(loadConfig())).request<RuleView[]>('GET', `/api/v1/rules${query}`);
      if (options.json) return printJson(data);
      printList(ruleHeader, data.map(ruleRow), options.pack ? `no rules in pack ${options.pack}` : 'no rules');
    });

  command
    .command('get')
    .description('One rule: its trigger, criteria and action')
    .argument('<ref>', 'the rule ref (pack.name)')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<RuleView>('GET', `/api/v1/rules/${enc(ref)}`);
      printRule(data, options.json === true);
    });

  command
    .command('create')
    .description('Create a rule from a YAML (or JSON) file in the rules/*.yaml format')
    .argument('<file>', 'the rule file')
    .option('--pack <ref>', 'the pack the rule belongs to, when the file does not say')
    .option('--update', 'replace the rule if it exists')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { pack?: string; update?: boolean; json?: boolean }) => {
      const body = await readRuleFile(file, options.pack);
      const client = await requireApi(loadConfig());
      const ref = `${String(body['pack'])}.${String(body['name'])}`;
      const { data } = options.update
        ? await client.request<RuleView>('PUT', `/api/v1/rules/${enc(ref)}`, body)
        : await client.request<RuleView>('POST', '/api/v1/rules', body);
      printRule(data, options.json === true);
    });

  command
    .command('delete')
    .description('Delete a rule')
    .argument('<ref>', 'the rule ref (pack.name)')
    .option('--json', 'print the rule as it was before it was deleted, as JSON (st2 Rule)')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<RuleView>('GET', `/api/v1/rules/${enc(ref)}`);
      await client.request('DELETE', `/api/v1/rules/${enc(ref)}`);
      if (options.json) printJson(data);
      else process.stdout.write(`deleted ${ref}\n`);
    });

  for (const verb of ['enable', 'disable'] as const) {
    command
      .command(verb)
      .description(`${verb === 'enable' ? 'Enable' : 'Disable'} a rule`)
      .argument('<ref>', 'the rule ref (pack.name)')
      .option('--json', 'print the rule as JSON (st2 Rule)')
      .action(async (ref: string, options: { json?: boolean }) => {
        // As st2 rule enable/disable: the rule back with `enabled` changed.
        const client = await requireApi(loadConfig());
        const { data: rule } = await client.request<RuleView>('GET', `/api/v1/rules/${enc(ref)}`);
        const { data } = await client.request<RuleView>('PUT', `/api/v1/rules/${enc(ref)}`, { ...rule, enabled: verb === 'enable' });
        if (options.json) printJson(data);
        else process.stdout.write(`${renderTable(ruleHeader, [ruleRow(data)])}\n`);
      });
  }

  command
    .command('enforcements')
    .description('What rules did, newest first: the execution each requested, or why it failed')
    .option('--rule <ref>', 'only this rule')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (options: { rule?: string; limit: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: options.limit, ...(options.rule ? { rule_ref: options.rule } : {}) });
      const { data } = await (await requireApi(loadConfig())).request<RuleEnforcementView[]>('GET', `/api/v1/ruleenforcements?${query}`);
      if (options.json) return printJson(data);
      const rows = data.map((item) => [
        item.enforced_at,
        item.rule.ref,
        item.trigger_instance_id,
        statusCell(item.status),
        item.status === 'succeeded' ? `execution ${item.execution_id ?? ''}` : (item.failure_reason ?? ''),
      ]);
      printList(['enforced', 'rule', 'trigger instance', 'status', 'outcome'], rows, options.rule ? `no enforcements of rule ${options.rule}` : 'no rule enforcements');
    });

  program
    .command('rules-engine')
    .description('Run the rules engine alone (distributed deployment): trigger instances from RabbitMQ, executions requested through the API')
    .action(async () => {
      // Loaded when the service starts: the rest of the CLI (its help included) never pays for it.
      const { executionRequester, startRulesEngine } = await import('@packrun/rules-engine');
      const config = loadConfig();
      if (!config.rabbitmqUrl || !config.mongodbUrl) {
        throw new PackrunError('SERVICE_NEEDS_SHARED_BACKENDS', 'a separate rules engine needs PACKRUN_RABBITMQ_URL and PACKRUN_MONGODB_URL', {
          hint: 'point it at the broker and database the API uses, or run everything in one process with `packrun up`',
        });
      }
      const apiKey = await cliApiKey(config);
      if (!apiKey) {
        throw new PackrunError('SERVICE_NEEDS_API_KEY', 'a separate rules engine needs an API key to request executions', {
          hint: 'create one with `packrun api-key create --user rules --role operator` and set PACKRUN_API_KEY',
        });
      }
      const client = new ApiClient(await serviceApiUrl(config, 'the rules engine'), apiKey);
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      const backends = await openStoreBackends(config, logger);
      // The rule's parameters are data by now (rendered over the payload): the API must not render them again.
      // With the rule's id for the execution, a retried request gets the one it made (200), never a second.
      const creator = {
        createOrGet: async (input: { id: string; action: string; parameters: Record<string, unknown>; context?: Record<string, unknown>; parameterOrigin?: ParameterOrigin }) => ({
          record: (
            await client.request<St2Execution>('POST', '/api/v1/executions', {
              id: input.id,
              action: input.action,
              parameters: input.parameters,
              context: input.context,
              parameters_are_data: input.parameterOrigin?.from === 'data',
            })
          ).data,
        }),
      };
      const engine = await startRulesEngine({
        store: backends.store,
        bus: backends.bus,
        keyValues: backends.keyValues,
        logger,
        render: (template, context) => renderValue(template, context),
        requestExecution: executionRequester(creator, backends.store),
        concurrency: config.rulesConcurrency,
      });
      process.stdout.write(`rules engine consuming trigger instances (concurrency ${config.rulesConcurrency}), executions through ${client.url}\n`);
      const signal = await shutdownSignal();
      process.stdout.write(`${signal}: stopping\n`);
      await engine.stop();
      await backends.close();
    });
}
