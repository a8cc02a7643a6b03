import { actionApiRoute, packGetsApi, type ActionApiRoute, type Logger, type PackrunConfig } from '@packrun/core';

/**
 * How the jobs of the packs in PACKRUN_ACTION_API_PACKS reach StackStorm's API at `apiUrl`, or
 * undefined when no pack gets it. Never while the API takes callers without a key
 * (PACKRUN_API_AUTH=false): every caller is a system_admin there, and the way out would hand
 * that to pack code.
 */
export async function packCodeApiRoute(config: PackrunConfig, apiUrl: string | undefined, logger: Logger): Promise<ActionApiRoute | undefined> {
  // A reader's grant rides on the token PACKRUN_ACTION_API_PACKS gives; without one it grants nothing.
  const tokenless = config.actionApiExecutionReaders.filter((pack) => pack !== '*' && !packGetsApi(config.actionApiPacks, pack));
  if (tokenless.length > 0) {
    logger.warn({ packs: tokenless }, 'PACKRUN_ACTION_API_EXECUTION_READERS names packs not in PACKRUN_ACTION_API_PACKS: their code gets no API token, so they read no execution');
  }
  if (config.actionApiPacks.length === 0 || apiUrl === undefined) return undefined;
  if (!config.apiAuth) {
    logger.warn({ packs: config.actionApiPacks }, 'PACKRUN_ACTION_API_PACKS ignored: the API takes callers without a key (PACKRUN_API_AUTH=false)');
    return undefined;
  }
  const route = await actionApiRoute(apiUrl);
  logger.info({ packs: config.actionApiPacks, api: route.base, forwardedPorts: route.hostPorts }, 'pack code gets StackStorm\'s API (ST2_ACTION_API_URL, ST2_ACTION_AUTH_TOKEN)');
  return route;
}
