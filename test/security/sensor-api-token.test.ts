import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { packCodeApiFixture, type PackCodeApiFixture } from '../st2client/pack-code-api-fixture.ts';

/**
 * Issue 15, item 3, for sensors: StackStorm's sensor container gives each sensor ST2_API_URL and
 * ST2_AUTH_TOKEN. Pack `sensorprobe` (listed in PACKRUN_ACTION_API_PACKS) runs its sensor inside
 * a real `packrun up` with every sandbox layer; the sensor builds st2client's `Client()` from its
 * environment alone, writes and reads its own key, dispatches its report through st2's webhook,
 * and tries what its token must not do. From outside, the token is tried again after the sensor
 * is disabled.
 */
const sensorProbeDir = path.join(import.meta.dirname, '..', 'st2client', 'fixtures', 'sensorprobe');
const sensorRef = 'sensorprobe.ProbeSensor';

type Call = { status: number; body: unknown };
interface Report {
  variables: string[];
  api_url: string;
  token: string;
  own_key: string;
  whoami: number;
  foreign_key: Call;
  foreign_write: Call;
  list_all: Call;
  apikeys: Call;
  execution: Call;
  rules: Call;
  foreign_trigger: Call;
}

let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;
let report: Report | undefined;

beforeAll(async () => {
  const made = await packCodeApiFixture({ warm: false, packs: [sensorProbeDir], env: { PACKRUN_ACTION_API_PACKS: 'sensorprobe' } });
  if ('skip' in made) {
    skipReason = made.skip;
    return;
  }
  fixture = made.fixture;
  await retryUntil(
    async () => {
      const listed = await fixture!.api.call<Array<{ payload: Report }>>('GET', '/api/v1/triggerinstances?trigger=sensorprobe.report');
      report = listed.status === 200 ? listed.body[0]?.payload : undefined;
      return report !== undefined;
    },
    { what: 'the sensor\'s report', withinMs: 120_000, everyMs: 100 },
  );
}, 400_000);

afterAll(async () => {
  await fixture?.close();
});

describe.runIf(process.getuid?.() === 0)('the token and way out StackStorm\'s API gives a sensor', () => {
  it('reaches the API from the sensor\'s namespace with st2client, writing and reading its own key and dispatching its own trigger', async (context) => {
    if (skipReason) return context.skip(skipReason);
    expect(report!.variables).toEqual(expect.arrayContaining(['ST2_API_URL', 'ST2_AUTH_TOKEN', 'ST2_AUTH_URL', 'ST2_STREAM_URL']));
    expect(report!.variables).not.toContain('ST2_ACTION_AUTH_TOKEN');
    expect(report!.api_url).toBe(`http://127.0.0.1:${fixture!.apiPort}/v1`);
    expect(report!.own_key).toBe('from-sensor');
    expect(report!.whoami).toBe(200);
    const stored = await fixture!.api.call<{ value: string }>('GET', `/api/v1/keys/${encodeURIComponent('sensorprobe.ProbeSensor:seen')}`);
    expect(stored.body.value).toBe('from-sensor');
  });

  it('reaches no other pack\'s keys and no route past the datastore and its own triggers', (context) => {
    if (skipReason) return context.skip(skipReason);
    for (const name of ['foreign_key', 'foreign_write', 'list_all'] as const) {
      expect(report![name].status, `${name}: ${JSON.stringify(report![name])}`).toBe(403);
      expect(JSON.stringify(report![name].body)).toContain('DATASTORE_ACCESS_DENIED');
    }
    for (const name of ['apikeys', 'execution', 'rules'] as const) {
      expect(report![name].status, `${name}: ${JSON.stringify(report![name])}`).toBe(403);
      expect(JSON.stringify(report![name].body)).toContain('TOKEN_SCOPE_FORBIDDEN');
    }
    expect(report!.foreign_trigger.status, JSON.stringify(report!.foreign_trigger)).toBe(403);
    expect(JSON.stringify(report!.foreign_trigger.body)).toContain('TRIGGER_NOT_OWNED');
  });

  it('is held to the same scope from outside, and dies when the sensor is disabled', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const token = report!.token;
    const headers = { 'x-auth-token': token };
    expect((await fixture!.api.call('GET', '/api/v1/apikeys', undefined, headers)).status).toBe(403);
    expect((await fixture!.api.call('POST', '/api/v1/packs/uninstall', { packs: ['sensorprobe'] }, headers)).status).toBe(403);
    expect((await fixture!.api.call<{ valid: boolean }>('POST', '/auth/v1/tokens/validate', { token })).body).toEqual({ valid: true });

    const disabled = await fixture!.api.call('PUT', `/api/v1/sensortypes/${sensorRef}`, { enabled: false });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    const after = await fixture!.api.call<{ code?: string }>('GET', `/api/v1/keys/${encodeURIComponent('sensorprobe.ProbeSensor:seen')}`, undefined, headers);
    expect(after.status, JSON.stringify(after.body)).toBe(401);
    expect((await fixture!.api.call<{ valid: boolean }>('POST', '/auth/v1/tokens/validate', { token })).body).toEqual({ valid: false });

    // Enabled again, the sensor runs with a new token; the old one stays dead (deleted with its run).
    const enabled = await fixture!.api.call('PUT', `/api/v1/sensortypes/${sensorRef}`, { enabled: true });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
    await retryUntil(
      async () => {
        const listed = await fixture!.api.call<Array<{ payload: Report }>>('GET', '/api/v1/triggerinstances?trigger=sensorprobe.report');
        return listed.body.length >= 2;
      },
      { what: 'the restarted sensor\'s report', withinMs: 120_000, everyMs: 100 },
    );
    expect((await fixture!.api.call('GET', '/api/v1/user', undefined, headers)).status).toBe(401);
  });

  it('never reaches the server\'s log', (context) => {
    if (skipReason) return context.skip(skipReason);
    expect(fixture!.server.output()).not.toContain(report!.token);
  });
});
