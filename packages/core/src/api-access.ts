/**
 * Who may call what on the API. Roles follow StackStorm's RBAC system roles (system_admin, admin,
 * observer) plus `operator` (runs and manages) and `runner` (a distributed action runner's key).
 * The API holds the matrix; these names live here because every package that mounts routes on the
 * API (rules engine, sensor container) declares each route's access with them.
 */
export const apiKeyRoles = ['system_admin', 'admin', 'operator', 'observer', 'runner'] as const;
export type ApiKeyRole = (typeof apiKeyRoles)[number];

/**
 * The permission class a route declares as `config: { access }`; the API refuses to start with a
 * route that declares none (docs/api.md has the matrix of which role holds which class).
 * - `public`: no key (health, the OpenAPI description)
 * - `self`: any key, about itself (whoami)
 * - `read`: view anything that reveals no secret (observer and up)
 * - `execution-read`: one execution, its output and stream (observer and up; a runner key: the ones it holds)
 * - `datastore-read` / `datastore-write`: datastore keys; scope, owner and decryption are decided per request
 * - `operate`: run, cancel and re-run actions, manage rules, triggers, sensors, fire webhooks (operator and up)
 * - `admin`: install and remove packs, manage API keys (admin and up)
 * - `runner`: claim, complete, release, heartbeat (runner keys, for runner ids bound to the key; admin and up)
 */
export const routeAccessClasses = [
  'public',
  'self',
  'read',
  'execution-read',
  'datastore-read',
  'datastore-write',
  'operate',
  'admin',
  'runner',
] as const;
export type RouteAccess = (typeof routeAccessClasses)[number];

/**
 * The header a distributed runner's datastore calls carry: the execution they serve. A runner key
 * reaches the datastore only for an execution one of its runners holds, as that execution's user.
 */
export const servedExecutionHeader = 'x-packrun-execution';
