import { useState } from 'preact/hooks';
import type { Pack, PackEnvironment } from '../api/types.ts';
import { ErrorNote, Link, LoadStatus, StatusBadge } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';

/**
 * The installed packs, with install (from a folder on the server, a git URL, a tarball or an index
 * name), upgrade (install again from its recorded source) and remove for a role that may. Each
 * starts an execution (packs.install, packs.uninstall)
 * whose page shows its progress live. Each pack's environment is the one its active version runs
 * with, as the server's install built it, with the interpreter that built it (not pack.yaml's
 * python_versions, which only say what the pack accepts).
 */
export function PacksView() {
  const { api, mayAdminister } = useSession();
  const packs = useApiLoad((client) => client.listPacks());
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function start(operation: () => Promise<string>): Promise<void> {
    setBusy(true);
    setActionError(undefined);
    try {
      navigate(`/executions/${encodeURIComponent(await operation())}`);
    } catch (caught) {
      setActionError(caught);
      setBusy(false);
    }
  }

  function install(event: Event): void {
    event.preventDefault();
    const sources = String(new FormData(event.currentTarget as HTMLFormElement).get('source') ?? '')
      .split(/\s+/)
      .filter(Boolean);
    if (sources.length === 0) {
      setActionError(new Error('Name a pack to install: a folder or tarball on the server, a git or tarball URL, or an index name.'));
      return;
    }
    void start(() => api.installPacks(sources));
  }

  return (
    <main id="main">
      <h1>Packs</h1>
      {mayAdminister ? (
        <form class="card" onSubmit={install} aria-label="Install packs">
          <div class="field field-text">
            <label for="pack-source">Install from</label>
            <input id="pack-source" name="source" type="text" autocomplete="off" spellcheck={false} placeholder="/srv/packs/mypack, https://github.com/org/pack.git, pack.tar.gz, or an index name" aria-describedby="pack-source-help" />
            <p id="pack-source-help" class="muted small">
              Several separated by spaces; name=version or URL=ref picks a version. The install's progress opens as its execution.
            </p>
          </div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Install'}
          </button>
        </form>
      ) : null}
      <ErrorNote error={actionError} />
      <LoadStatus load={packs} what="the packs" />
      {packs.data ? (
        <ListTable<Pack>
          items={packs.data}
          rowKey={(pack) => pack.ref}
          rowAttributes={(pack) => ({ 'data-pack': pack.ref })}
          columns={[
            { label: 'Pack', rowHeader: true, cell: (pack) => <Link href={`/actions?pack=${encodeURIComponent(pack.ref)}`}>{pack.ref}</Link> },
            { label: 'Version', cell: (pack) => pack.version },
            { label: 'Source', class: 'mono', cell: (pack) => pack.source ?? <span class="muted">—</span> },
            { label: 'Environment', cell: (pack) => <EnvironmentCell environment={pack.environment} /> },
            {
              label: 'Python',
              class: 'nowrap',
              cell: (pack) =>
                pack.environment?.python ?? (
                  <span class="muted" title={pack.python_versions ? `pack.yaml supports ${pack.python_versions.join(', ')}` : undefined}>
                    —
                  </span>
                ),
            },
            { label: 'Description', cell: (pack) => pack.description ?? '' },
            { label: 'Config', hideLabel: true, cell: (pack) => <Link href={`/packs/${encodeURIComponent(pack.ref)}/config`}>Config</Link> },
            mayAdminister && {
              label: 'Remove',
              hideLabel: true,
              cell: (pack) =>
                pack.ref === 'core' || pack.ref === 'packs' ? null : (
                  <>
                    {/* A pack uploaded by a client has no source the server keeps to install again from. */}
                    {pack.source && !pack.source.startsWith('upload:') ? (
                      <button type="button" disabled={busy} onClick={() => void start(() => api.upgradePacks([pack.ref]))} aria-label={`Upgrade ${pack.ref}`}>
                        Upgrade
                      </button>
                    ) : null}{' '}
                    <button type="button" disabled={busy} onClick={() => void start(() => api.removePacks([pack.ref]))} aria-label={`Remove ${pack.ref}`}>
                      Remove
                    </button>
                  </>
                ),
            },
          ]}
        />
      ) : null}
    </main>
  );
}

const envKinds: Record<PackEnvironment['kind'], string> = { python: 'Python virtualenv', node: 'node_modules', none: 'None needed' };

/** The env's kind and state, and a later install's build of another under way or failed. */
function EnvironmentCell({ environment }: { environment: PackEnvironment | undefined }) {
  if (!environment) return <span class="muted">Not reported</span>;
  const { kind, state, build } = environment;
  return (
    <>
      {kind === 'none' ? <span class="muted">{envKinds.none}</span> : <>{envKinds[kind]} <StatusBadge status={state} /></>}
      {build ? (
        <p class="small env-build">
          <StatusBadge status={build.state} />{' '}
          <Link href={`/executions/${encodeURIComponent(build.executionId)}`}>{build.state === 'building' ? 'a new version is being installed' : 'the last install failed'}</Link>
          {build.error ? <>: {build.error.message}</> : null}
        </p>
      ) : null}
    </>
  );
}
