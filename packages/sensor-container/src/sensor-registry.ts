import type { InstalledPack, LoadedPack, SensorRecord, Store } from '@packrun/core';

/**
 * Writes a freshly activated pack's sensors to the store, and removes those it no longer ships.
 * `updatedAt` is the activation time, so a reinstall changes it (the container restarts the
 * sensor on the new version) while re-registering the same install at start-up does not.
 */
export async function registerPackSensors(store: Store, installed: InstalledPack, loaded: LoadedPack): Promise<string[]> {
  const refs: string[] = [];
  for (const sensor of loaded.sensors) {
    const existing = await store.sensors.get(sensor.ref);
    const record: SensorRecord = {
      id: sensor.ref,
      ref: sensor.ref,
      pack: loaded.ref,
      name: sensor.className,
      enabled: sensor.enabled,
      entryPoint: sensor.entryPoint ?? '',
      triggerTypes: sensor.triggerTypes.map((type) => type.ref),
      metadata: sensor.raw,
      createdAt: existing?.createdAt ?? installed.installedAt,
      updatedAt: installed.installedAt,
    };
    if (sensor.description !== undefined) record.description = sensor.description;
    if (sensor.pollInterval !== undefined) record.pollInterval = sensor.pollInterval;
    // A sensor the user disabled stays disabled when the same install is registered again.
    if (existing && existing.updatedAt === installed.installedAt) record.enabled = existing.enabled;
    await store.sensors.put(record);
    refs.push(sensor.ref);
  }
  await store.sensors.remove({ pack: loaded.ref, id: { $nin: refs } });
  return refs;
}

export async function unregisterPackSensors(store: Store, packRef: string): Promise<void> {
  await store.sensors.remove({ pack: packRef });
}
