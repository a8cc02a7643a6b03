import type { InlineRunner, RunnerInput } from './runner.ts';
import { needsServer } from './server-services.ts';

/** What an inquiry asks, as StackStorm's inquirer runner keeps it in the execution's result. */
function inquiryOf(input: RunnerInput): Record<string, unknown> {
  const { schema, roles, users, route, ttl } = input.runnerParameters;
  return { schema, roles, users, route, ttl };
}

/**
 * inquirer: StackStorm's runner that asks a human. It runs nothing: the execution stays `pending`
 * with the inquiry in its result until a response that validates against the schema arrives
 * through the API (`PUT /api/v1/inquiries/{id}`), or its ttl runs out (docs/inquiries.md).
 */
export const inquirerRunner: InlineRunner = {
  inline: true,
  describe: (input) => ({ runs: 'nothing: the execution waits, pending, for a response to its inquiry', inquiry: inquiryOf(input) }),
  async run(input, context) {
    if (!context.services.takesResponses) throw needsServer(input, 'waits for a response through the API');
    return { status: 'pending', result: inquiryOf(input) };
  },
};
