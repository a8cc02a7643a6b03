import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiProbePackDir, packCodeApiFixture, resultOf, st2PackDir, type PackCodeApiFixture } from './pack-code-api-fixture.ts';

/**
 * Issue 15, item 3: the Exchange's `st2` pack (test/fixtures/exchange/st2, unmodified) drives
 * Packrun through st2client as it drove StackStorm: its actions import st2client unlisted (the st2
 * fallback libraries provide it, as st2's virtualenv did) and build a `Client` from
 * ST2_ACTION_API_URL and ST2_ACTION_AUTH_TOKEN, which Packrun gives the jobs of the packs in
 * PACKRUN_ACTION_API_PACKS. Inside a real `packrun up` with every sandbox layer, started cold (the
 * warm path is test/security/pack-code-token.test.ts's): the API's port is the job's one way out.
 */
let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;
beforeAll(async () => {
  const made = await packCodeApiFixture({ warm: false, packs: [st2PackDir, apiProbePackDir] });
  if ('skip' in made) skipReason = made.skip;
  else fixture = made.fixture;
}, 600_000);

afterAll(async () => {
  await fixture?.close();
});

describe.runIf(process.getuid?.() === 0)('the Exchange st2 pack through st2client', () => {
  it('pack code imports st2client unlisted and a Client() built from the environment alone reaches the API with the job\'s token', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const base = `http://127.0.0.1:${fixture!.apiPort}`;
    const answer = resultOf<{ ref: string; endpoints: Record<string, string> }>(await fixture!.execute('apiprobe.probe', { case: 'st2client' }));
    expect(answer.ref).toBe('apiprobe.probe');
    expect(answer.endpoints).toMatchObject({ api: `${base}/v1`, auth: `${base}/auth/v1`, stream: `${base}/stream/v1` });
  });

  it("st2.kv.get_object reads and deserialises a key of its pack (st2client asks ?decrypt=False, Python's spelling)", async (context) => {
    if (skipReason) return context.skip(skipReason);
    const set = await fixture!.api.call('PUT', `/api/v1/keys/${encodeURIComponent('st2.objects:thing')}`, { value: JSON.stringify({ a: 1, b: ['x'] }), scope: 'system' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const record = await fixture!.execute('st2.kv.get_object', { key: 'st2.objects:thing' });
    expect(resultOf(record)).toEqual({ a: 1, b: ['x'] });
  });

  it('st2.kv.get_object of another pack\'s key fails, naming the refusal', async (context) => {
    if (skipReason) return context.skip(skipReason);
    await fixture!.api.call('PUT', `/api/v1/keys/${encodeURIComponent('victim.Secrets:password')}`, { value: '"victim-canary"', secret: true, scope: 'system' });
    const record = await fixture!.execute('st2.kv.get_object', { key: 'victim.Secrets:password', decrypt: true });
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record.result)).not.toContain('victim-canary');
    expect(JSON.stringify(record.result)).toMatch(/403|local to pack/);
  });

  it('st2.kv.set_object serialises and stores a key of its pack', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const record = await fixture!.execute('st2.kv.set_object', { key: 'st2.objects:written', value: { b: [1, 2], c: 'three' } });
    expect(resultOf(record)).toEqual({ key: 'st2.objects:written', value: { b: [1, 2], c: 'three' }, ttl: null });
    const stored = await fixture!.api.call<{ value: string }>('GET', `/api/v1/keys/${encodeURIComponent('st2.objects:written')}`);
    expect(JSON.parse(stored.body.value)).toEqual({ b: [1, 2], c: 'three' });
  });
});
