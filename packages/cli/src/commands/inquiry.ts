import type { Command } from 'commander';
import { loadConfig, PackrunError } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';
import { printJson } from '../output/json.ts';
import { printList } from '../output/table.ts';

interface Inquiry {
  id: string;
  route: string;
  ttl: number;
  users: string[];
  roles: string[];
  schema: Record<string, unknown>;
  parent?: string;
}

const enc = encodeURIComponent;

function parseResponse(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PackrunError('REQUEST_INVALID', `the response is not JSON: ${(cause as Error).message}`, { details: { field: 'response' } });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PackrunError('REQUEST_INVALID', 'the response must be a JSON object', { details: { field: 'response' } });
  }
  return value as Record<string, unknown>;
}

function who(inquiry: Inquiry): string {
  const named = [...inquiry.users.map((user) => `user ${user}`), ...inquiry.roles.map((role) => `role ${role}`)];
  return named.length > 0 ? named.join(', ') : 'anyone who may respond';
}

/** `packrun inquiry`: inquiries (core.ask) waiting for a response, and answering them (st2 inquiry). */
export function register(program: Command): void {
  const command = program.command('inquiry').description('Inquiries waiting for a response (core.ask), and responding to them');

  command
    .command('list')
    .description('Inquiries waiting for a response, newest first')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<Inquiry[]>('GET', `/api/v1/inquiries?limit=${enc(options.limit)}`);
      if (options.json) return printJson(data);
      const rows = data.map((inquiry) => [inquiry.id, `${inquiry.ttl} min`, who(inquiry), inquiry.route]);
      printList(['id', 'ttl', 'may respond', 'route'], rows, 'no inquiries waiting for a response');
    });

  command
    .command('get')
    .description('One inquiry: who may respond and the schema of the response')
    .argument('<id>', 'the inquiry id (its execution id)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const { data } = await (await requireApi(loadConfig())).request<Inquiry>('GET', `/api/v1/inquiries/${enc(id)}`);
      if (options.json) return printJson(data);
      process.stdout.write(`id: ${data.id}\nttl: ${data.ttl} minutes\nmay respond: ${who(data)}\n${data.route ? `route: ${data.route}\n` : ''}${data.parent ? `parent: ${data.parent}\n` : ''}schema:\n${JSON.stringify(data.schema, null, 2)}\n`);
    });

  command
    .command('respond')
    .description('Respond to an inquiry with a JSON object matching its schema')
    .argument('<id>', 'the inquiry id (its execution id)')
    .requiredOption('-r, --response <json>', 'the response, a JSON object (st2 inquiry respond -r)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { response: string; json?: boolean }) => {
      const response = parseResponse(options.response);
      const { data } = await (await requireApi(loadConfig())).request<{ id: string; response: Record<string, unknown> }>('PUT', `/api/v1/inquiries/${enc(id)}`, { id, response });
      if (options.json) return printJson(data);
      process.stdout.write(`response to inquiry ${data.id} accepted\n`);
    });
}
