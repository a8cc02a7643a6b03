import { actionApiRoute, type ActionApiRoute, type Logger, type PackrunConfig } from '@packrun/core';

/**
 * How the jobs of the packs in PACKRUN_ACTION_API_PACKS reach StackStorm's API at `apiUrl`, or
 * undefined when no pack gets it. Never while the API takes callers without a key
 * (PACKRUN_API_AUTH=false): every caller is a system_admin there, and the way out would hand
 * that to pack code.
 */
export async function packCodeApiRoute(config: PackrunConfig, apiUrl: string | undefined, logger: Logger): Promise<ActionApiRoute | undefined> {
  if (config.actionApiPacks.length === 0 || apiUrl === undefined) return undefined;
  if (!config.apiAuth) {
    logger.warn({ packs: config.actionApiPacks }, 'PACKRUN_ACTION_API_PACKS ignored: the API takes callers without a key (PACKRUN_API_AUTH=false)');
    return undefined;
  }
  const route = await actionApiRoute(apiUrl);
  logger.info({ packs: config.actionApiPacks, api: route.base, forwardedPorts: route.hostPorts }, 'pack code gets StackStorm\'s API (ST2_ACTION_API_URL, ST2_ACTION_AUTH_TOKEN)');
  return route;
}
