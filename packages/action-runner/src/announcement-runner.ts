import { announcementRoute, PackrunError } from '@packrun/core';
import type { InlineRunner, RunnerInput } from './runner.ts';
import { needsServer } from './server-services.ts';

function routeOf(input: RunnerInput): string {
  if (input.runnerParameters['experimental'] !== true) {
    // StackStorm refuses the same way: the runner is experimental and must be acknowledged.
    throw new PackrunError('PARAMETER_INVALID', `action ${input.action.ref} needs experimental: true to use the announcement runner`, {
      hint: 'set the parameter "experimental" to true (core.announcement does)',
      details: { action: input.action.ref, parameter: 'experimental' },
    });
  }
  const route = String(input.runnerParameters['route'] ?? 'general');
  // The route names the stream event (st2.announcement__<route>).
  if (!announcementRoute.test(route)) {
    throw new PackrunError('PARAMETER_INVALID', `action ${input.action.ref}: parameter "route" must be words separated by dots, got ${JSON.stringify(route)}`, {
      details: { action: input.action.ref, parameter: 'route' },
    });
  }
  return route;
}

/**
 * announcement: broadcasts the action's parameters under a route. StackStorm publishes them on its
 * `st2.announcement` exchange; Packrun publishes them on the bus, and the API sends them to every
 * `/api/v1/stream` client as the event `st2.announcement__<route>`. The result is StackStorm's:
 * the parameters, and the same under `output`.
 */
export const announcementRunner: InlineRunner = {
  inline: true,
  describe: (input) => ({ announces: { route: routeOf(input), payload: input.parameters } }),
  async run(input, context) {
    const route = routeOf(input);
    const announce = context.services.announce;
    if (!announce) throw needsServer(input, 'broadcasts on the live stream');
    await announce(route, input.parameters);
    return { status: 'succeeded', result: { output: input.parameters, ...input.parameters } };
  },
};
