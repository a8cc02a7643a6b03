import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Credential } from './api/client.ts';
import type { User } from './api/types.ts';

/**
 * The signed-in credential lives in sessionStorage: gone when the tab closes, never in
 * localStorage, a cookie or a URL.
 */
const storageKey = 'packrun.credential';

export function storedCredential(): Credential | undefined {
  try {
    const raw = sessionStorage.getItem(storageKey);
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as Partial<Credential>;
    if ((parsed.kind === 'api-key' || parsed.kind === 'token') && typeof parsed.value === 'string' && parsed.value !== '') return { kind: parsed.kind, value: parsed.value };
  } catch {
    // Unreadable: signed out.
  }
  return undefined;
}

export function storeCredential(credential: Credential): void {
  sessionStorage.setItem(storageKey, JSON.stringify(credential));
}

export function forgetCredential(): void {
  sessionStorage.removeItem(storageKey);
}

/** Roles that may run, cancel and re-run (the API's `operate` permission, docs/api.md "Roles"). */
const operatorRoles = new Set(['system_admin', 'admin', 'operator']);

/** Roles with the API's `admin` permission. */
const adminRoles = new Set(['system_admin', 'admin']);

export interface Session {
  api: Api;
  user: User;
  /** The role may run actions and cancel or re-run executions; the server refuses them otherwise anyway. */
  mayOperate: boolean;
  /** The role may install and remove packs, and create rules (the API's `admin` permission). */
  mayAdminister: boolean;
  signOut(): void;
}

export function sessionFor(api: Api, user: User, signOut: () => void): Session {
  return { api, user, mayOperate: user.rbac.roles.some((role) => operatorRoles.has(role)), mayAdminister: user.rbac.roles.some((role) => adminRoles.has(role)), signOut };
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in view');
  return session;
}
