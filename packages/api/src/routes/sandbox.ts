import type { FastifyInstance } from 'fastify';
import { detectSandbox, operatorSandboxPolicy, warmSpawnStatus, type PackrunConfig, type SandboxHost, type SandboxLimits } from '@packrun/core';

const limitsSchema = {
  type: 'object',
  properties: { memory_mb: { type: 'number' }, pids: { type: 'number' }, cpu: { type: 'number' }, network: { type: 'boolean' }, timeout_seconds: { type: 'number' } },
} as const;

const sandboxSchema = {
  type: 'object',
  properties: {
    layers: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, active: { type: 'boolean' }, mode: { type: 'string' }, reason: { type: 'string' } }, required: ['name', 'active', 'mode', 'reason'] },
    },
    missing_required: { type: 'array', items: { type: 'string' } },
    limits: { type: 'object', properties: { defaults: limitsSchema, caps: limitsSchema } },
    warm_spawn: { type: 'object', properties: { active: { type: 'boolean' }, reason: { type: 'string' } } },
  },
  required: ['layers', 'missing_required', 'limits', 'warm_spawn'],
} as const;

const limitsView = (limits: SandboxLimits) => ({ memory_mb: limits.memoryMb, pids: limits.pids, cpu: limits.cpu, network: limits.network, timeout_seconds: limits.timeoutSeconds });

/**
 * `GET /api/v1/sandbox` (Packrun's own; st2 has no sandbox): the layers `packrun doctor` reports,
 * as this server's host gives them, with the job limits and warm spawning. Only what doctor says
 * about the layers: no host paths granted, interpreters or broker details, which an observer has
 * no need of. The probe runs once, when first asked (it creates namespaces and a cgroup).
 */
export function sandboxRoute(app: FastifyInstance, deps: { config: PackrunConfig }): void {
  let host: Promise<SandboxHost> | undefined;
  app.get('/api/v1/sandbox', {
    config: { access: 'read' },
    schema: { summary: "The sandbox layers this server's host provides, as `packrun doctor` reports them, with the job limits", response: { 200: sandboxSchema } },
  }, async () => {
    host ??= detectSandbox(deps.config);
    const found = await host.catch((error: unknown) => {
      host = undefined;
      throw error;
    });
    const limits = operatorSandboxPolicy(deps.config);
    const warm = warmSpawnStatus(deps.config, found);
    return {
      layers: found.layers.map((layer) => ({ name: layer.name, active: layer.active, mode: layer.mode, reason: layer.reason })),
      missing_required: found.missingRequired,
      limits: { defaults: limitsView(limits.defaults), caps: limitsView(limits.caps) },
      warm_spawn: { active: warm.active, reason: warm.reason },
    };
  });
}
