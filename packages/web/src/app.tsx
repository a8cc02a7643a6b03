import { useEffect, useMemo, useState } from 'preact/hooks';
import { createApi, type Credential } from './api/client.ts';
import type { User } from './api/types.ts';
import { Link, Loading } from './components/common.tsx';
import { navigate, useLocation, type Location } from './router.ts';
import { forgetCredential, SessionContext, sessionFor, storeCredential, storedCredential } from './session.ts';
import { ActionPage } from './views/action-page.tsx';
import { ActionsListView } from './views/actions-list.tsx';
import { ExecutionPage } from './views/execution-page.tsx';
import { ExecutionsListView } from './views/executions-list.tsx';
import { HealthView } from './views/health.tsx';
import { InquiriesView, InquiryPage } from './views/inquiries.tsx';
import { PackConfigView } from './views/pack-config.tsx';
import { PacksView } from './views/packs.tsx';
import { RuleEditView } from './views/rule-edit.tsx';
import { RuleCreateView, RulePage, RulesView } from './views/rules.tsx';
import { LoginView } from './views/login.tsx';
import { ApiKeysView } from './views/api-keys.tsx';
import { DatastoreView } from './views/datastore.tsx';
import { SensorsView } from './views/sensors.tsx';
import { TriggersView } from './views/triggers.tsx';

/** A path inside the app to return to after signing in; anything else goes to the executions. */
function safeNext(location: Location): string {
  const next = location.query.get('next') ?? '';
  return /^\/(?!\/)[^\\]*$/.test(next) && !next.startsWith('/login') ? next : '/executions';
}

function viewFor(location: Location) {
  const segments = location.path.split('/').filter(Boolean).map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  const [section, item, part] = segments;
  if (section === 'executions' && item) return <ExecutionPage id={item} />;
  if (section === 'executions') return <ExecutionsListView location={location} />;
  if (section === 'actions' && item) return <ActionPage refName={item} />;
  if (section === 'actions') return <ActionsListView location={location} />;
  if (section === 'inquiries' && item) return <InquiryPage id={item} />;
  if (section === 'inquiries') return <InquiriesView />;
  if (section === 'packs' && item && part === 'config') return <PackConfigView packRef={item} />;
  if (section === 'packs') return <PacksView />;
  if (section === 'rules' && item === 'new') return <RuleCreateView />;
  if (section === 'rules' && item && part === 'edit') return <RuleEditView refName={item} />;
  if (section === 'rules' && item) return <RulePage refName={item} />;
  if (section === 'rules') return <RulesView />;
  if (section === 'health') return <HealthView />;
  if (section === 'datastore') return <DatastoreView location={location} />;
  if (section === 'sensors') return <SensorsView />;
  if (section === 'triggers') return <TriggersView location={location} />;
  if (section === 'api-keys') return <ApiKeysView />;
  return (
    <main id="main">
      <h1>Not found</h1>
      <p>
        Nothing here. <Link href="/executions">See the executions</Link>.
      </p>
    </main>
  );
}

const sections = [
  { href: '/executions', label: 'Executions' },
  { href: '/actions', label: 'Actions' },
  { href: '/packs', label: 'Packs' },
  { href: '/rules', label: 'Rules' },
  { href: '/inquiries', label: 'Inquiries' },
  { href: '/sensors', label: 'Sensors' },
  { href: '/triggers', label: 'Triggers' },
  { href: '/datastore', label: 'Datastore' },
  { href: '/api-keys', label: 'API keys', adminOnly: true },
  { href: '/health', label: 'Health' },
];

export function App() {
  const location = useLocation();
  const [signedIn, setSignedIn] = useState<{ credential: Credential; user: User }>();
  const [checking, setChecking] = useState(() => storedCredential() !== undefined);

  const signOut = (): void => {
    forgetCredential();
    setSignedIn(undefined);
    navigate('/login', { replace: true });
  };

  // A credential kept in this tab is checked again on load: it may have been revoked meanwhile.
  useEffect(() => {
    const credential = storedCredential();
    if (!credential) return;
    createApi(credential)
      .whoami()
      .then((user) => setSignedIn({ credential, user }))
      .catch(() => forgetCredential())
      .finally(() => setChecking(false));
  }, []);

  const session = useMemo(() => {
    if (!signedIn) return undefined;
    return sessionFor(createApi(signedIn.credential, signOut), signedIn.user, signOut);
  }, [signedIn]);

  useEffect(() => {
    if (checking) return;
    if (!session && location.path !== '/login') {
      const here = location.path === '/' ? '' : location.path + location.query.toString().replace(/^(?=.)/, '?');
      navigate(here ? `/login?next=${encodeURIComponent(here)}` : '/login', { replace: true });
    } else if (session && (location.path === '/login' || location.path === '/')) {
      navigate(location.path === '/login' ? safeNext(location) : '/executions', { replace: true });
    }
  }, [checking, session, location.path]);

  if (checking) return <Loading what="your session" />;
  if (!session) {
    if (location.path !== '/login') return null;
    return (
      <LoginView
        onSignedIn={(credential, user) => {
          storeCredential(credential);
          setSignedIn({ credential, user });
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/executions" class="brand">
          Packrun
        </Link>
        <nav aria-label="Sections">
          {sections.filter((item) => !item.adminOnly || session.mayAdminister).map((item) => (
            <Link href={item.href} aria-current={location.path.startsWith(item.href) ? 'page' : undefined}>
              {item.label}
            </Link>
          ))}
        </nav>
        <div class="who">
          <span title={`role ${session.user.rbac.roles.join(', ')}`}>
            {session.user.username} <span class="muted small">({session.user.rbac.roles.join(', ')})</span>
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {viewFor(location)}
    </SessionContext.Provider>
  );
}
