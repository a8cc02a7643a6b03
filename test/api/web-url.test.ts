import { afterAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from './harness.ts';
import { builtWebUi } from '../web/browser-stack.ts';

/**
 * st2's `web_url` of an execution: its page in the web UI, at the address the operator names
 * (PACKRUN_WEB_UI_URL, st2's webui_base_url) or the API's own (test/st2client/st2-cli.test.ts
 * follows that one with the real CLI); none while the UI is not served.
 */
const stacks: ServiceStack[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.close();
});

async function ranOn(env: Record<string, string>): Promise<{ one: St2Execution; listed: St2Execution[] }> {
  const stack = await startStack({ packs: ['core'], env });
  stacks.push(stack);
  const created = (await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' } })).json<St2Execution>();
  await retryUntil(async () => (await stack.store.executions.get(created.id))?.status === 'succeeded', { what: 'execution done' });
  return {
    one: (await stack.call('GET', `/api/v1/executions/${created.id}`)).json<St2Execution>(),
    listed: (await stack.call('GET', '/api/v1/executions?limit=5')).json<St2Execution[]>(),
  };
}

// Without the built UI (scripts/setup.sh builds it) there is no page to point at.
describe.skipIf(!builtWebUi)('web_url', () => {
  it('points at the execution\'s page under PACKRUN_WEB_UI_URL, in an execution and in lists', async () => {
    const { one, listed } = await ranOn({ PACKRUN_WEB_UI_URL: 'https://packrun.example/ui/' });
    expect(one.web_url).toBe(`https://packrun.example/ui/executions/${one.id}`);
    expect(listed.find((item) => item.id === one.id)?.web_url).toBe(one.web_url);
  });

  it('is not given while the web UI is not served', async () => {
    const { one, listed } = await ranOn({ PACKRUN_WEB_UI: 'off', PACKRUN_WEB_UI_URL: 'https://packrun.example/ui' });
    expect(one).not.toHaveProperty('web_url');
    expect(listed.every((item) => item.web_url === undefined)).toBe(true);
  });
});
