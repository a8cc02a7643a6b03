/**
 * The paths StackStorm's clients derive, mapped onto Packrun's one route table before routing.
 * st2client uses ST2_API_URL, ST2_AUTH_URL and ST2_STREAM_URL as they are given and appends the
 * resource (`/actions/core.local`, `/tokens`, `/stream`), so each URL form an st2 user has
 * configured reaches the API port as a different prefix:
 *
 * | st2 setting (on Packrun's one port)      | request path          | served as            |
 * |------------------------------------------|-----------------------|----------------------|
 * | ST2_API_URL=http://host:port/api/v1      | /api/v1/actions       | itself               |
 * | ST2_API_URL=http://host:port/v1 (st2api) | /v1/actions           | /api/v1/actions      |
 * | ST2_API_URL=http://host:port/api (nginx) | /api/actions          | /api/v1/actions      |
 * | ST2_AUTH_URL=http://host:port/auth/v1    | /auth/v1/tokens       | itself               |
 * | ST2_AUTH_URL=http://host:port/auth       | /auth/tokens          | /auth/v1/tokens      |
 * | ST2_STREAM_URL=http://host:port/v1       | /v1/stream            | /api/v1/stream       |
 * | ST2_STREAM_URL=http://host:port/stream/v1| /stream/v1/stream     | /api/v1/stream       |
 * | ST2_STREAM_URL=http://host:port/stream   | /stream/stream        | /api/v1/stream       |
 * | (st2stream's output route, nginx form)   | /stream/executions/…  | /stream/v1/executions/… |
 * | st2api's old name of executions          | /api/v1/actionexecutions… | /api/v1/executions… |
 *
 * The rewrite is a plain prefix replacement on the raw path, before any decoding: it never decides
 * access, it only picks which registered route the router then matches (authorization is decided
 * on that route, authorize.ts). A spelling of a prefix other than these exact bytes (`/%761/`,
 * `/V1/`, `//v1/`) is not rewritten and matches no route.
 */

const apiPrefix = '/api/v1/';
const authPrefix = '/auth/v1/';
const streamPaths = new Set(['/stream/v1/stream', '/stream/stream']);
/** st2api still serves executions under their old name, `actionexecutions`. */
const oldExecutions = `${apiPrefix}actionexecutions`;

/** `rest` (after a prefix) unless it already starts with the `v1` segment. */
function versionless(rest: string): boolean {
  return rest !== 'v1' && !rest.startsWith('v1/');
}

/** `/api/v1/actionexecutions…` as `/api/v1/executions…`; any other path as it is. */
function currentName(path: string): string {
  if (path === oldExecutions || path.startsWith(`${oldExecutions}/`)) return `${apiPrefix}executions${path.slice(oldExecutions.length)}`;
  return path;
}

/** The path (and query) the router should see for a request path as a client sent it. */
export function canonicalApiUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  if (streamPaths.has(path)) return `${apiPrefix}stream${query}`;
  if (path.startsWith('/stream/executions/')) return `/stream/v1/executions/${path.slice('/stream/executions/'.length)}${query}`;
  if (path.startsWith('/v1/')) return `${currentName(`${apiPrefix}${path.slice('/v1/'.length)}`)}${query}`;
  if (path.startsWith('/api/') && versionless(path.slice('/api/'.length))) return `${currentName(`${apiPrefix}${path.slice('/api/'.length)}`)}${query}`;
  if (path.startsWith('/auth/') && versionless(path.slice('/auth/'.length))) return `${authPrefix}${path.slice('/auth/'.length)}${query}`;
  const current = currentName(path);
  return current === path ? url : `${current}${query}`;
}
