import {
  actionApiVariables,
  mintPackCodeToken,
  packGetsApi,
  revokePackCodeTokens,
  sensorTokenScopeId,
  type ActionApiAccess,
  type ActionApiRoute,
  type PackrunConfig,
  type SensorRecord,
  type Store,
} from '@packrun/core';

/**
 * The user a sensor's token acts as: StackStorm's sensor container mints its sensors' tokens for
 * its system user (`stanley`), the user rules act as; Packrun's rules act as `packrun`.
 */
const sensorUser = 'packrun';

/**
 * A sensor process runs for days: its token lives as long as the process, not a fixed time. The
 * container revokes it when the process ends and when the sensor next starts (the same id for
 * every run, so one left by a runtime that died is gone then), and the API refuses it while the
 * sensor is disabled or removed (pack-code-access.ts). The expiry only bounds a token that none
 * of those ever reaches.
 */
const sensorTokenTtlSeconds = 30 * 24 * 60 * 60;

export interface SensorApiAccess extends ActionApiAccess {
  /** Deletes the token: called when the process it was minted for has ended. */
  revoke(): Promise<void>;
}

/**
 * StackStorm's API for one run of `sensor`, when the operator lists its pack in
 * PACKRUN_ACTION_API_PACKS and the API's address is known: ST2_API_URL, ST2_AUTH_TOKEN (a token of
 * this run, held to what pack-code-access.ts lets a sensor do) and the API's port to forward into
 * the sensor's namespace. Undefined for every other pack.
 */
export async function sensorApiAccess(options: {
  store: Store;
  config: PackrunConfig;
  sensor: SensorRecord;
  route: Promise<ActionApiRoute | undefined> | undefined;
}): Promise<SensorApiAccess | undefined> {
  const { store, sensor } = options;
  if (options.route === undefined || !packGetsApi(options.config.actionApiPacks, sensor.pack)) return undefined;
  // `packrun up` starts sensors before its API listens: a listed pack's sensor waits for its address.
  const route = await options.route;
  if (route === undefined) return undefined;
  const id = sensorTokenScopeId(sensor.ref);
  await revokePackCodeTokens(store, id);
  const token = await mintPackCodeToken(store, {
    scope: { kind: 'sensor', id, pack: sensor.pack, holder: sensor.ref },
    user: sensorUser,
    ttlSeconds: sensorTokenTtlSeconds,
  });
  return {
    hostPorts: route.hostPorts,
    variables: actionApiVariables(route, token, 'sensor'),
    revoke: () => revokePackCodeTokens(store, id),
  };
}
