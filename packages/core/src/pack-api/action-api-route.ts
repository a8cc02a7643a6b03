import net from 'node:net';
import { isThisHost } from '../sandbox/broker-exposure.ts';

export { actionApiVariableNames } from './variable-names.ts';

/**
 * How pack code reaches StackStorm's API (PACKRUN_ACTION_API_PACKS). A job with network lives in a
 * namespace of its own that reaches nothing of the host (docs/sandbox.md, "Network"): an API on
 * this host is reached through exactly one more way out, the API's port forwarded to the job's
 * own loopback, as a sensor reaches a broker on this host. An API elsewhere is reached through
 * the job's egress at its own address.
 */
export interface ActionApiRoute {
  /** The API's base as pack code reaches it (`http://127.0.0.1:<port>` for this host). */
  base: string;
  /** Host loopback ports forwarded into the job's namespace: the API's, or none. */
  hostPorts: number[];
}

export async function actionApiRoute(apiUrl: string): Promise<ActionApiRoute> {
  const url = new URL(apiUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const base = `${url.protocol}//${url.host}`;
  if (!(await isThisHost(host))) return { base, hostPorts: [] };
  return { base: `${url.protocol}//${net.isIPv6(host) ? '[::1]' : '127.0.0.1'}:${port}`, hostPorts: [port] };
}

/** Whether `pack` is in a list of packs the operator gave (comma-separated refs or `*`): PACKRUN_ACTION_API_PACKS, PACKRUN_ACTION_API_EXECUTION_READERS. */
export function packGetsApi(packs: readonly string[], pack: string): boolean {
  return packs.includes('*') || packs.includes(pack);
}

/**
 * The variables StackStorm gives: its python runner sets ST2_ACTION_API_URL and
 * ST2_ACTION_AUTH_TOKEN for every action and ST2_API_URL and ST2_AUTH_TOKEN for Python ones, its
 * sensor container ST2_API_URL and ST2_AUTH_TOKEN. ST2_AUTH_URL and ST2_STREAM_URL are set too,
 * so that an st2client `Client()` built from the environment alone reaches this API for every
 * endpoint, rather than st2's default ports (9100, 9102) on a loopback that is the job's own.
 */
export function actionApiVariables(route: ActionApiRoute, token: string, kind: 'action' | 'sensor'): Record<string, string> {
  const api = `${route.base}/v1`;
  return {
    ...(kind === 'action' ? { ST2_ACTION_API_URL: api, ST2_ACTION_AUTH_TOKEN: token } : {}),
    ST2_API_URL: api,
    ST2_AUTH_TOKEN: token,
    ST2_AUTH_URL: `${route.base}/auth/v1`,
    ST2_STREAM_URL: `${route.base}/stream/v1`,
  };
}


/** What a job of a pack given the API gets: the way out and the variables carrying its token. */
export interface ActionApiAccess {
  hostPorts: number[];
  variables: Record<string, string>;
}
