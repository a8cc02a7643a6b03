import { describe, expect, it } from 'vitest';
import { readApiKey, readKeyValuePair, readSensorType, readTriggerInstance, readTriggerType, schemaFields } from './shapes.ts';

describe("reading the API's datastore, sensor, trigger and API-key records", () => {
  it('reads a masked secret as masked, and a user-scoped key with its owner and expiry', () => {
    expect(readKeyValuePair({ name: 'pw', value: '********', secret: true, encrypted: true, scope: 'st2kv.system' })).toEqual({
      name: 'pw',
      value: '********',
      secret: true,
      encrypted: true,
      scope: 'st2kv.system',
    });
    expect(readKeyValuePair({ name: 'k', value: 'v', scope: 'st2kv.user', user: 'ops', expire_timestamp: '2026-01-01T00:00:00.000Z' })).toMatchObject({
      secret: false,
      scope: 'st2kv.user',
      user: 'ops',
      expire_timestamp: '2026-01-01T00:00:00.000Z',
    });
    expect(() => readKeyValuePair({ value: 'v' })).toThrow(/without a name/);
  });

  it("reads a sensor's process state, with unknown when no container reported it", () => {
    const sensor = readSensorType({ ref: 'p.S', pack: 'p', name: 'S', enabled: true, trigger_types: ['p.t'], status: 'failing', starts: 4, last_error: 'exited with code 3', stderr_tail: ['a', 7, 'b'] });
    expect(sensor).toMatchObject({ ref: 'p.S', status: 'failing', starts: 4, last_error: 'exited with code 3', stderr_tail: ['a', 'b'], last_error_stderr: [] });
    expect(readSensorType({ ref: 'p.T', enabled: false })).toMatchObject({ pack: 'p', status: 'unknown', enabled: false, trigger_types: [] });
  });

  it('reads trigger types and instances, and an API key without any key or hash', () => {
    expect(readTriggerType({ ref: 'p.order', payload_schema: { type: 'object' } })).toEqual({ ref: 'p.order', pack: 'p', payload_schema: { type: 'object' } });
    expect(readTriggerInstance({ id: 'i', trigger: 'p.order', occurrence_time: 't', payload: { a: 1 }, status: 'processed', source: 'webhook:st2' })).toEqual({
      id: 'i',
      trigger: 'p.order',
      occurrence_time: 't',
      payload: { a: 1 },
      status: 'processed',
      source: 'webhook:st2',
    });
    const key = readApiKey({ id: 'k1', user: 'u', role: 'observer', enabled: false, created_at: 't', key_hash: '********', metadata: { description: 'd' } });
    expect(key).toEqual({ id: 'k1', user: 'u', role: 'observer', enabled: false, created_at: 't', metadata: { description: 'd' } });
  });

  it("makes a payload schema's properties into form fields, required by the schema's list", () => {
    expect(schemaFields({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer', required: true }, c: 'junk' }, required: ['a'] })).toEqual({
      a: { type: 'string', required: true },
      b: { type: 'integer', required: true },
    });
    expect(schemaFields({})).toEqual({});
  });
});
