import { useEffect, useState } from 'preact/hooks';
import type { ParameterSpec } from '../api/types.ts';
import { ErrorNote, Link, Loading } from '../components/common.tsx';
import { JsonTree } from '../components/json-tree.tsx';
import { ParameterForm } from '../components/parameter-form.tsx';
import { useSession } from '../session.ts';

interface Loaded {
  schema: Record<string, ParameterSpec> | undefined;
  values: Record<string, unknown>;
}

/**
 * A pack's config, edited against its config.schema.yaml (admins): each attribute a field as in
 * the run form, filled with what is written. Secrets come masked and stay masked: a secret left
 * as ******** keeps its stored value, so the page never holds one it did not type. Other roles
 * see the config, secrets masked.
 */
export function PackConfigView({ packRef }: { packRef: string }) {
  const { api, mayAdminister } = useSession();
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(0);

  useEffect(() => {
    let live = true;
    setLoaded(undefined);
    setError(undefined);
    Promise.all([api.getConfigSchema(packRef), api.getPackConfig(packRef)]).then(
      ([schema, values]) => live && setLoaded({ schema, values: values ?? {} }),
      (caught: unknown) => live && setError(caught),
    );
    return () => {
      live = false;
    };
  }, [api, packRef, saved]);

  async function save(values: Record<string, unknown>): Promise<void> {
    setBusy(true);
    setSaveError(undefined);
    try {
      await api.savePackConfig(packRef, values);
      setSaved((count) => count + 1);
    } catch (caught) {
      setSaveError(caught);
    } finally {
      setBusy(false);
    }
  }

  const heading = (
    <h1>
      Config of <Link href="/packs">{packRef}</Link>
    </h1>
  );
  if (error) return <main id="main">{heading}<ErrorNote error={error} /></main>;
  if (!loaded) return <main id="main">{heading}<Loading what="the pack's config" /></main>;
  if (!loaded.schema) {
    return (
      <main id="main">
        {heading}
        <p class="muted">This pack has no config.schema.yaml: it takes no config.</p>
      </main>
    );
  }
  // Each attribute as a run-form field, holding what is written (else the schema's default).
  const fields: Record<string, ParameterSpec> = Object.fromEntries(
    Object.entries(loaded.schema).map(([name, attribute]) => [name, { ...attribute, default: loaded.values[name] ?? attribute.default }]),
  );
  return (
    <main id="main">
      {heading}
      {saved > 0 && !saveError ? (
        <p class="muted small" role="status">
          Saved. The pack's next execution, rule and sensor start read it.
        </p>
      ) : null}
      {mayAdminister ? (
        <>
          <p class="muted small">Secrets show as ********; leave them so to keep what is stored, or type a new value.</p>
          <ParameterForm key={saved} parameters={fields} busy={busy} onSubmit={(values) => void save(values)} submitLabel={['Save', 'Saving…']} sendDefaults />
          <ErrorNote error={saveError} />
        </>
      ) : (
        <>
          <p class="muted small">Only an admin may change a pack's config.</p>
          <JsonTree value={loaded.values} />
        </>
      )}
    </main>
  );
}
