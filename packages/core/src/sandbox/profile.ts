import { PackrunError } from '../errors.ts';
import type { PackrunConfig } from '../config.ts';

/**
 * The limits one job runs under. The operator sets defaults and caps in config; a pack (`sandbox:`
 * in pack.yaml) and an action (`sandbox:` in its yaml) may ask for their own values, the action's
 * winning over the pack's. Asking for less than the cap is honoured; asking for more is clamped to
 * the cap and reported, never an error, so a pack written for a roomier site still runs here.
 */
export interface SandboxLimits {
  memoryMb: number;
  pids: number;
  /** CPU share in cores. */
  cpu: number;
  network: boolean;
  timeoutSeconds: number;
}

export interface OperatorSandboxPolicy {
  defaults: SandboxLimits;
  caps: SandboxLimits;
}

export interface ClampedLimit {
  field: keyof SandboxLimits;
  requested: number | boolean;
  applied: number | boolean;
  source: 'pack' | 'action';
}

export interface SandboxProfile extends SandboxLimits {
  /** Requests that were looser than the operator allows, and what was applied instead. */
  clamped: ClampedLimit[];
}

/** The yaml keys of a `sandbox:` block and the limit each sets. */
const yamlKeys = {
  memory_mb: 'memoryMb',
  pids: 'pids',
  cpu: 'cpu',
  network: 'network',
  timeout: 'timeoutSeconds',
} as const satisfies Record<string, keyof SandboxLimits>;

export function operatorSandboxPolicy(config: PackrunConfig): OperatorSandboxPolicy {
  return {
    defaults: {
      memoryMb: Math.min(config.sandboxMemoryMb, config.sandboxMemoryMaxMb),
      pids: Math.min(config.sandboxPids, config.sandboxPidsMax),
      cpu: Math.min(config.sandboxCpu, config.sandboxCpuMax),
      network: config.sandboxNetwork,
      timeoutSeconds: Math.min(config.actionTimeoutSeconds, config.sandboxTimeoutMaxSeconds),
    },
    caps: {
      memoryMb: config.sandboxMemoryMaxMb,
      pids: config.sandboxPidsMax,
      cpu: config.sandboxCpuMax,
      network: config.sandboxNetwork,
      timeoutSeconds: config.sandboxTimeoutMaxSeconds,
    },
  };
}

function invalid(source: string, message: string): PackrunError {
  return new PackrunError('SANDBOX_PROFILE_INVALID', `${source}: ${message}`, {
    hint: 'a sandbox block takes memory_mb, pids, timeout (positive integers), cpu (positive number, cores) and network (true/false)',
    details: { source },
  });
}

/** Validates a raw `sandbox:` block from yaml; `source` names the file for the error message. */
function parseBlock(raw: unknown, source: string): Partial<SandboxLimits> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid(source, 'sandbox must be a mapping');
  const parsed: Partial<SandboxLimits> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(key in yamlKeys)) throw invalid(source, `unknown sandbox key "${key}"`);
    const field = yamlKeys[key as keyof typeof yamlKeys];
    if (field === 'network') {
      if (typeof value !== 'boolean') throw invalid(source, `sandbox.network must be true or false, got ${JSON.stringify(value)}`);
      parsed.network = value;
    } else if (field === 'cpu') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid(source, `sandbox.cpu must be a positive number of cores, got ${JSON.stringify(value)}`);
      parsed.cpu = value;
    } else {
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalid(source, `sandbox.${key} must be a positive integer, got ${JSON.stringify(value)}`);
      parsed[field] = value;
    }
  }
  return parsed;
}

/**
 * Resolves the limits of one job: action over pack over operator default, each clamped to the
 * operator's cap. `pack` and `action` are the raw `sandbox:` values from their yaml (validated
 * here); `packSource`/`actionSource` name the files in error messages.
 */
export function resolveSandboxProfile(input: {
  operator: OperatorSandboxPolicy;
  pack?: unknown;
  action?: unknown;
  packSource?: string;
  actionSource?: string;
}): SandboxProfile {
  const pack = parseBlock(input.pack, input.packSource ?? 'pack.yaml');
  const action = parseBlock(input.action, input.actionSource ?? 'action metadata');
  const { defaults, caps } = input.operator;
  const clamped: ClampedLimit[] = [];
  const pick = <K extends keyof SandboxLimits>(field: K): SandboxLimits[K] => {
    const fromAction = action[field];
    const fromPack = pack[field];
    const requested = fromAction ?? fromPack;
    if (requested === undefined) return defaults[field];
    const source = fromAction !== undefined ? 'action' : 'pack';
    const cap = caps[field];
    const applied = (typeof requested === 'boolean' ? requested && (cap as boolean) : Math.min(requested as number, cap as number)) as SandboxLimits[K];
    if (applied !== requested) clamped.push({ field, requested, applied, source });
    return applied;
  };
  return {
    memoryMb: pick('memoryMb'),
    pids: pick('pids'),
    cpu: pick('cpu'),
    network: pick('network'),
    timeoutSeconds: pick('timeoutSeconds'),
    clamped,
  };
}
