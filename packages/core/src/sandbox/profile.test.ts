import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { operatorSandboxPolicy, resolveSandboxProfile } from './profile.ts';

const operator = operatorSandboxPolicy(
  loadConfig({ PACKRUN_SANDBOX_MEMORY_MB: '256', PACKRUN_SANDBOX_MEMORY_MAX_MB: '1024', PACKRUN_SANDBOX_PIDS: '64', PACKRUN_ACTION_TIMEOUT: '30' }),
);

describe('resolveSandboxProfile', () => {
  it('uses the operator defaults when neither pack nor action asks', () => {
    expect(resolveSandboxProfile({ operator })).toEqual({ memoryMb: 256, pids: 64, cpu: 1, network: true, timeoutSeconds: 30, clamped: [] });
  });

  it('lets the action override the pack and both tighten the operator defaults', () => {
    const profile = resolveSandboxProfile({ operator, pack: { memory_mb: 128, network: false, pids: 32 }, action: { memory_mb: 64, cpu: 0.5 } });
    expect(profile).toMatchObject({ memoryMb: 64, pids: 32, cpu: 0.5, network: false, clamped: [] });
  });

  it('clamps a looser request to the operator cap and reports it', () => {
    const strict = operatorSandboxPolicy(loadConfig({ PACKRUN_SANDBOX_NETWORK: 'false', PACKRUN_SANDBOX_MEMORY_MAX_MB: '512' }));
    const profile = resolveSandboxProfile({ operator: strict, pack: { memory_mb: 4096, network: true } });
    expect(profile.memoryMb).toBe(512);
    expect(profile.network).toBe(false);
    expect(profile.clamped).toEqual([
      { field: 'memoryMb', requested: 4096, applied: 512, source: 'pack' },
      { field: 'network', requested: true, applied: false, source: 'pack' },
    ]);
  });

  it('rejects unknown keys and malformed values, naming the file', () => {
    expect(() => resolveSandboxProfile({ operator, pack: { memory: 1 }, packSource: 'packs/x/pack.yaml' })).toThrow(/packs\/x\/pack.yaml: unknown sandbox key "memory"/);
    expect(() => resolveSandboxProfile({ operator, action: { pids: -3 } })).toThrow(/sandbox.pids must be a positive integer/);
    expect(() => resolveSandboxProfile({ operator, action: { network: 'no' } })).toThrow(/sandbox.network must be true or false/);
    expect(() => resolveSandboxProfile({ operator, action: [1] })).toThrow(/must be a mapping/);
  });
});
