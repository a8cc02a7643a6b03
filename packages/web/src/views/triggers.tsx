import { useState } from 'preact/hooks';
import { schemaFields } from '../api/shapes.ts';
import type { TriggerInstance, TriggerType } from '../api/types.ts';
import { triggerInstanceEvents } from '../api/stream.ts';
import { ErrorNote, Link, LiveState, LoadStatus, StatusBadge, Time } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { ParameterForm } from '../components/parameter-form.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useLiveStream } from '../hooks/use-live-stream.ts';
import { navigate, withQuery, type Location } from '../router.ts';
import { useSession } from '../session.ts';

/** A trigger fired by hand: its payload from a form generated from the type's payload schema. */
function FireForm({ type, onFired }: { type: TriggerType; onFired: (id: string) => void }) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function fire(payload: Record<string, unknown>): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      onFired(await api.fireTrigger(type.ref, payload));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="fire-title">
      <h2 id="fire-title">
        Fire <span class="mono">{type.ref}</span>
      </h2>
      {type.description ? <p class="muted">{type.description}</p> : null}
      {/* Keyed by the type: another type's form starts from its own defaults. */}
      <ParameterForm key={type.ref} parameters={schemaFields(type.payload_schema)} busy={busy} submitLabel={['Fire', 'Firing…']} sendDefaults onSubmit={(payload) => void fire(payload)} />
      <ErrorNote error={error} />
    </section>
  );
}

/** As many instances as the API lists at once: the newest arriving push the oldest out. */
const recentInstances = 50;
const streamPath = `/api/v1/stream?events=${triggerInstanceEvents.join(',')}`;

/** An instance's new state in place of its row, or a new instance on top (newest first, as listed). */
function withInstance(instances: TriggerInstance[], changed: TriggerInstance): TriggerInstance[] {
  if (instances.some((instance) => instance.id === changed.id)) return instances.map((instance) => (instance.id === changed.id ? changed : instance));
  return [changed, ...instances].slice(0, recentInstances);
}

/**
 * Trigger types (what rules listen for), the recent trigger instances (newest first, kept current
 * by the event stream's st2.trigger_instance__create/__update), a trigger fired by hand and an
 * instance re-emitted, for a role that may operate. The type being fired is in the address
 * (`/triggers?fire=<ref>`).
 */
export function TriggersView({ location }: { location: Location }) {
  const { api, mayOperate } = useSession();
  const types = useApiLoad((client) => client.listTriggerTypes());
  const firing = location.query.get('fire') ?? '';
  // The instances of one trigger only (the sensors' process events alone can fill the list).
  const only = location.query.get('trigger') ?? '';
  const instances = useApiLoad((client) => client.listTriggerInstances(only || undefined), [only]);
  const [fired, setFired] = useState<string>();
  const [reEmitError, setReEmitError] = useState<unknown>();
  const firingType = types.data?.find((type) => type.ref === firing);
  const streamState = useLiveStream(
    streamPath,
    (event) => {
      if (event.type !== 'trigger-instance' || (only !== '' && event.instance.trigger !== only)) return;
      instances.setData((current) => current && withInstance(current, event.instance));
    },
    instances.reload,
  );

  function arrived(id: string): void {
    setFired(id);
    // The instance comes in through the stream; without it, from the list read again.
    if (streamState !== 'live') instances.reload();
  }

  async function reEmit(instance: TriggerInstance): Promise<void> {
    setReEmitError(undefined);
    try {
      arrived(await api.reEmitTriggerInstance(instance.id));
    } catch (caught) {
      setReEmitError(caught);
    }
  }

  return (
    <main id="main">
      <h1>Triggers</h1>
      {fired ? (
        <p class="ok" role="status">
          Fired: trigger instance <span class="mono">{fired}</span>.
        </p>
      ) : null}
      {mayOperate && firingType ? <FireForm type={firingType} onFired={arrived} /> : null}
      <section>
        <h2>Trigger types</h2>
        <LoadStatus load={types} what="the trigger types" />
        {types.data ? (
          <ListTable<TriggerType>
            items={types.data}
            empty="No trigger types registered."
            rowKey={(type) => type.ref}
            rowAttributes={(type) => ({ 'data-trigger-type': type.ref })}
            columns={[
              { label: 'Trigger type', rowHeader: true, class: 'mono', cell: (type) => type.ref },
              { label: 'Description', cell: (type) => type.description ?? '' },
              mayOperate && {
                label: 'Fire',
                hideLabel: true,
                class: 'nowrap',
                cell: (type) => (
                  <Link href={withQuery('/triggers', { fire: type.ref, trigger: only })} aria-current={type.ref === firing ? 'page' : undefined}>
                    <span aria-hidden="true">Fire…</span>
                    <span class="visually-hidden">Fire {type.ref}</span>
                  </Link>
                ),
              },
            ]}
          />
        ) : null}
      </section>
      <section>
        <div class="title-row">
          <h2>Recent trigger instances</h2>
          <LiveState state={streamState} />
        </div>
        <form class="filters" role="search" aria-label="Filter trigger instances" onSubmit={(event) => event.preventDefault()}>
          <label>
            Trigger
            <select
              name="trigger"
              onChange={(event) => navigate(withQuery('/triggers', { fire: firing, trigger: (event.currentTarget as HTMLSelectElement).value }), { replace: true })}
            >
              <option value="">all</option>
              {(types.data ?? []).map((type) => (
                <option value={type.ref} selected={type.ref === only}>
                  {type.ref}
                </option>
              ))}
            </select>
          </label>
        </form>
        <ErrorNote error={reEmitError} />
        <LoadStatus load={instances} what="the trigger instances" />
        {instances.data ? (
          <ListTable<TriggerInstance>
            items={instances.data}
            empty="No trigger has fired yet."
            rowKey={(instance) => instance.id}
            rowAttributes={(instance) => ({ 'data-trigger-instance': instance.id })}
            columns={[
              { label: 'Occurred', cell: (instance) => <Time value={instance.occurrence_time} /> },
              { label: 'Trigger', class: 'mono', cell: (instance) => instance.trigger },
              { label: 'Status', cell: (instance) => <StatusBadge status={instance.status} /> },
              { label: 'Source', class: 'mono small', cell: (instance) => instance.source ?? '' },
              {
                label: 'Payload',
                cell: (instance) => (
                  <details>
                    <summary>
                      <span class="mono small">{instance.id}</span>
                    </summary>
                    <pre class="output">{JSON.stringify(instance.payload, null, 2)}</pre>
                  </details>
                ),
              },
              mayOperate && {
                label: 'Re-emit',
                hideLabel: true,
                cell: (instance) => (
                  <button type="button" onClick={() => void reEmit(instance)} aria-label={`Re-emit ${instance.id}`}>
                    Re-emit
                  </button>
                ),
              },
            ]}
          />
        ) : null}
      </section>
    </main>
  );
}
