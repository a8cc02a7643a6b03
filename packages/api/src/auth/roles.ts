import type { ApiKeyRole, RouteAccess } from '@packrun/core';

type RankedRole = Exclude<ApiKeyRole, 'runner'>;

/** observer < operator < admin < system_admin; `runner` stands apart and ranks with none of them. */
const rank: Record<RankedRole, number> = { observer: 1, operator: 2, admin: 3, system_admin: 4 };

const observerAndUp: readonly ApiKeyRole[] = ['system_admin', 'admin', 'operator', 'observer'];

/**
 * Which roles hold each permission class a route can declare (docs/api.md, "Roles", is this
 * table). Finer decisions (decrypt, scope, whose keys, whose runner id) are made by the routes.
 */
const holders: Record<Exclude<RouteAccess, 'public'>, readonly ApiKeyRole[]> = {
  self: [...observerAndUp, 'runner'],
  read: observerAndUp,
  'execution-read': [...observerAndUp, 'runner'],
  'datastore-read': [...observerAndUp, 'runner'],
  'datastore-write': ['system_admin', 'admin', 'operator', 'runner'],
  operate: ['system_admin', 'admin', 'operator'],
  admin: ['system_admin', 'admin'],
  runner: ['system_admin', 'admin', 'runner'],
};

export function roleHolds(role: ApiKeyRole, access: Exclude<RouteAccess, 'public'>): boolean {
  return holders[access].includes(role);
}

/** The permission classes a role holds. */
export function accessOf(role: ApiKeyRole): Array<Exclude<RouteAccess, 'public'>> {
  return (Object.keys(holders) as Array<Exclude<RouteAccess, 'public'>>).filter((access) => roleHolds(role, access));
}

/** True when `role` is `minimum` or above it; a runner key is never "at least" anything. */
export function atLeast(role: ApiKeyRole, minimum: RankedRole): boolean {
  return role !== 'runner' && rank[role] >= rank[minimum];
}

/**
 * Whether a key of role `caller` may create or revoke a key of role `target`. Admins manage the
 * keys below them; only a system_admin creates or revokes admin and system_admin keys, so an
 * admin key cannot mint itself a stronger (or an equal, unrevocable-by-it) one.
 */
export function mayManageKeyOf(caller: ApiKeyRole, target: ApiKeyRole): boolean {
  if (caller === 'system_admin') return true;
  return caller === 'admin' && !atLeast(target, 'admin');
}
