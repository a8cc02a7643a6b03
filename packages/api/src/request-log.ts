import type { FastifyRequest } from 'fastify';
import { credentialQueryParameters } from './auth/credentials.ts';

const redacted = '[redacted]';

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * A URL fit for a log: the values of the query parameters that carry credentials (`x-auth-token`,
 * `st2-api-key`, `api_key`, however their names are spelled or encoded) are replaced, so a token
 * or a key sent in a URL never reaches a log file. The rest of the URL is kept as sent.
 */
export function urlForLog(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return pathForLog(url);
  const pairs = url.slice(queryAt + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    return credentialQueryParameters.includes(decodedName(name)) ? `${name}=${redacted}` : pair;
  });
  return `${pathForLog(url.slice(0, queryAt))}?${pairs.join('&')}`;
}

/**
 * st2's `/apikeys/{api_key_id_or_key}` takes the key itself in the path: whatever follows
 * `/apikeys/` is logged only when it has the shape of a key id (24 hex digits), however spelled.
 */
function pathForLog(path: string): string {
  return path.replace(/(\/apikeys\/)([^/]+)/gi, (_whole, prefix: string, segment: string) => (/^[0-9a-f]{24}$/i.test(segment) ? `${prefix}${segment}` : `${prefix}${redacted}`));
}

/**
 * fastify's `req` log serializer with the URL redacted (and the URL as sent, when the st2 path
 * aliases rewrote it). Headers are not logged at all, so X-Auth-Token, St2-Api-Key, X-Api-Key and
 * Authorization never are.
 */
export function requestForLog(request: FastifyRequest): Record<string, unknown> {
  const original = request.originalUrl;
  return {
    method: request.method,
    url: urlForLog(request.url),
    ...(original !== undefined && original !== request.url ? { originalUrl: urlForLog(original) } : {}),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
