import type { PackrunConfig } from '../config.ts';
import type { SandboxHost } from './detect.ts';

export interface WarmSpawnStatus {
  /** Python actions are forked from a zygote inside the sandbox. */
  active: boolean;
  reason: string;
}

/**
 * Whether sandboxed Python actions are forked from warm zygotes on this host, in the words
 * `packrun doctor` prints; the same test as the sandbox decorator's (bubblewrap and per-job uids).
 */
export function warmSpawnStatus(config: PackrunConfig, host: SandboxHost): WarmSpawnStatus {
  if (!config.warmSpawn) return { active: false, reason: 'turned off (PACKRUN_WARM_SPAWN=off): every action starts a fresh process' };
  const missing = host.layers.filter((layer) => (layer.name === 'bubblewrap' || layer.name === 'user') && !layer.active).map((layer) => layer.name);
  if (missing.length > 0 || host.missingRequired.length > 0) {
    return { active: false, reason: `sandboxed Python actions start cold: zygotes under the sandbox need the ${missing.join(' and ') || 'required'} layer${missing.length > 1 ? 's' : ''}` };
  }
  // A zygote with network gets a network namespace of its own, as a cold job does; its children share it.
  const network = host.network && config.sandboxNetwork ? "; a zygote with network runs in a network namespace of its own (the outside world, never the host), which its children share" : '';
  return {
    active: true,
    reason: `Python actions in children forked ahead from per-pack zygotes inside the sandbox (zygote uid ${config.sandboxZygoteUid}), what each child leaves in the zygote's /tmp, /dev/shm, message queues and System V IPC removed before the next one starts; Node actions in wrappers, shell actions in a /bin/sh, started ahead inside it${network}`,
  };
}
