import { PackrunError } from '@packrun/core';
import { apiRequest, type ApiEndpoint } from './api-request.ts';

interface RunnerIdentity {
  user: string;
  role: string;
  /** What every runner id reported with this key must start with. */
  runnerIdPrefix: string;
}

/**
 * Who the API says this runner's key is (GET /api/v1/whoami). A key whose role may not report
 * executions stops the runner at its start, rather than at its first claim.
 */
export async function runnerIdentity(endpoint: ApiEndpoint): Promise<RunnerIdentity> {
  const identity = (await apiRequest<RunnerIdentity & { access: string[] }>(endpoint, 'GET', '/api/v1/whoami'))!;
  if (!identity.access.includes('runner')) {
    throw new PackrunError('RUNNER_KEY_ROLE', `the API key of this action runner has role ${identity.role}, which may not report executions`, {
      hint: 'create a runner key with `packrun api-key create --user runner-1 --role runner` and set PACKRUN_API_KEY',
      details: { role: identity.role },
    });
  }
  return identity;
}
