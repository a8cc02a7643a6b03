import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintPackCodeToken, newId, nowIso, sensorTokenScopeId } from '@packrun/core';
import { openEventStream, type EventStreamReader } from '../helpers/event-stream.ts';
import { startAuthzStack, type AuthzStack } from './authz-fixture.ts';

/**
 * The stream's trigger instance events carry what a sensor or a webhook received (here a secret
 * in a webhook body): they go only to callers who may read trigger instances through the REST
 * API. A runner key and the tokens pack code holds (a sensor's, an action's, both of an admin's
 * user) try every way onto the stream; none opens it or gets the payload, while an observer key
 * does, so the event is really sent.
 */
let stack: AuthzStack;
let sensorToken: string;
let actionToken: string;
const readers: EventStreamReader[] = [];
const canary = `canary-webhook-secret-${newId()}`;

async function stream(headers: Record<string, string>, query = ''): Promise<EventStreamReader> {
  const reader = await openEventStream(new URL(`/api/v1/stream?events=st2.trigger_instance__*${query}`, stack.url), headers);
  readers.push(reader);
  return reader;
}

beforeAll(async () => {
  stack = await startAuthzStack();
  const now = nowIso();
  await stack.store.sensors.put({
    id: 'probe.Listener', ref: 'probe.Listener', pack: 'probe', name: 'Listener', enabled: true, entryPoint: 'listener.py', triggerTypes: [], metadata: {}, createdAt: now, updatedAt: now,
  });
  sensorToken = await mintPackCodeToken(stack.store, { scope: { kind: 'sensor', id: sensorTokenScopeId('probe.Listener'), pack: 'probe', holder: 'probe.Listener' }, user: stack.keys.admin.user, ttlSeconds: 600 });
  const execution = newId();
  await stack.store.executions.insert({
    id: execution, action: 'core.local', pack: 'core', parameters: {}, status: 'running', runnerId: 'runner-1', log: [], createdAt: now, context: { user: stack.keys.admin.user }, user: stack.keys.admin.user,
  });
  actionToken = await mintPackCodeToken(stack.store, { scope: { kind: 'action', id: execution, pack: 'core', holder: 'runner-1' }, user: stack.keys.admin.user, ttlSeconds: 600 });
}, 60_000);

afterAll(async () => {
  for (const reader of readers) reader.close();
  await stack?.close();
});

describe('trigger instance events on the stream', () => {
  it('reach a key that may read trigger instances, never a runner key or pack code\'s tokens', async () => {
    const observer = await stream({ 'st2-api-key': stack.keys.observer.key });
    expect(observer.status).toBe(200);
    const refused = [
      await stream({ 'st2-api-key': stack.keys.runner.key }),
      await stream({}, `&api_key=${stack.keys.runner.key}`),
      await stream({ 'x-auth-token': sensorToken }),
      await stream({}, `&x-auth-token=${sensorToken}`),
      await stream({ 'x-auth-token': actionToken }),
      await stream({}, `&x-auth-token=${actionToken}`),
    ];
    expect(refused.map((reader) => reader.status)).toEqual([403, 403, 403, 403, 403, 403]);
    // Refused for what they are, not as dead tokens: each still opens a route pack code may call.
    const open = async (path: string, token: string) => (await fetch(new URL(path, stack.url), { headers: { 'x-auth-token': token } })).status;
    expect(await open('/api/v1/keys?prefix=probe.Listener:', sensorToken)).toBe(200);
    expect(await open('/api/v1/actions/core.local', actionToken)).toBe(200);

    // As the rules engine does: stored, then published.
    const id = newId();
    await stack.store.triggerInstances.put({ id, trigger: 'core.st2.webhook', payload: { body: { password: canary } }, occurredAt: nowIso(), status: 'processing', source: 'webhook:st2' });
    await stack.bus.publish('trigger-instance-updates', { id, status: 'processing', created: true, at: nowIso() });
    const sent = await observer.waitFor((event) => event.event === 'st2.trigger_instance__create' && event.data['id'] === id, 'the observer sent the instance');
    expect(JSON.stringify(sent.data)).toContain(canary);
    for (const reader of refused) expect(reader.events).toEqual([]);
  });
});
