import type { FastifyRequest } from 'fastify';

/**
 * Where a credential may come from, in StackStorm's order (its router takes the first one present
 * and never falls through to the next when that one is wrong): the `X-Auth-Token` header, the
 * `St2-Api-Key` header (Packrun's own `X-Api-Key` beside it), the `?x-auth-token=` and
 * `?st2-api-key=` query parameters. Packrun's `?api_key=` is taken only on the routes that
 * declare `keyInQuery` (event streams, webhooks), as before st2's names were accepted everywhere.
 */
export type CredentialLocation = 'header' | 'query' | 'basic';

export interface PresentedCredential {
  kind: 'api-key' | 'token';
  value: string;
  location: CredentialLocation;
}

/** Query parameters that carry a credential: redacted from logs (request-log.ts). */
export const credentialQueryParameters: readonly string[] = ['x-auth-token', 'st2-api-key', 'api_key'];

/**
 * Takes the credential parameters out of the parsed query once authentication has read them, so
 * that a route's closed query schema does not refuse them and no handler sees them. `api_key`
 * stays where the route does not take it: there it is no credential, only an unknown parameter.
 */
export function dropCredentialParameters(request: FastifyRequest, route: { keyInQuery: boolean }): void {
  const query = request.query as Record<string, unknown> | undefined;
  if (query === undefined || query === null) return;
  for (const name of credentialQueryParameters) if (name !== 'api_key' || route.keyInQuery) delete query[name];
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function queryParameter(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The password of an `Authorization: Basic` header, with its user: `st2 auth <user> -p <password>`
 * and `st2 login` send one. Packrun has no password backend; on the token route the password may
 * be an API key of that user (auth-routes.ts).
 */
export function basicCredentials(request: FastifyRequest): { user: string; password: string } | undefined {
  const value = header(request, 'authorization');
  const match = value === undefined ? null : /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The credential a request presents, or undefined. `keyOnly` routes (minting tokens) look only
 * for API keys, then for a Basic password; `tokenPresented` then says a token was sent and ignored.
 */
export function presentedCredential(
  request: FastifyRequest,
  route: { keyInQuery: boolean; keyOnly: boolean },
): { credential?: PresentedCredential; tokenPresented: boolean } {
  const tokenFromHeader = header(request, 'x-auth-token');
  const keyFromHeader = header(request, 'st2-api-key') ?? header(request, 'x-api-key');
  const tokenFromQuery = queryParameter(request, 'x-auth-token');
  const keyFromQuery = queryParameter(request, 'st2-api-key') ?? (route.keyInQuery ? queryParameter(request, 'api_key') : undefined);
  const tokenPresented = tokenFromHeader !== undefined || tokenFromQuery !== undefined;
  if (route.keyOnly) {
    const basic = basicCredentials(request);
    const found: PresentedCredential | undefined =
      keyFromHeader !== undefined ? { kind: 'api-key', value: keyFromHeader, location: 'header' }
      : keyFromQuery !== undefined ? { kind: 'api-key', value: keyFromQuery, location: 'query' }
      : basic !== undefined && basic.password !== '' ? { kind: 'api-key', value: basic.password, location: 'basic' }
      : undefined;
    return { ...(found ? { credential: found } : {}), tokenPresented };
  }
  const ordered: Array<PresentedCredential | undefined> = [
    tokenFromHeader === undefined ? undefined : { kind: 'token', value: tokenFromHeader, location: 'header' },
    keyFromHeader === undefined ? undefined : { kind: 'api-key', value: keyFromHeader, location: 'header' },
    tokenFromQuery === undefined ? undefined : { kind: 'token', value: tokenFromQuery, location: 'query' },
    keyFromQuery === undefined ? undefined : { kind: 'api-key', value: keyFromQuery, location: 'query' },
  ];
  const credential = ordered.find((item) => item !== undefined);
  return { ...(credential ? { credential } : {}), tokenPresented };
}
