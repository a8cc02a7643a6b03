import { useState } from 'preact/hooks';
import type { SensorType } from '../api/types.ts';
import { ErrorNote, LoadStatus, StatusBadge, Time } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useSession } from '../session.ts';

/** Lines of a sensor's stderr, folded away: they can be long, and most of the time nobody needs them. */
function StderrLines({ lines, label }: { lines: string[]; label: string }) {
  if (lines.length === 0) return null;
  return (
    <details>
      <summary>
        {label} ({lines.length} {lines.length === 1 ? 'line' : 'lines'})
      </summary>
      <pre class="output stderr">{lines.join('\n')}</pre>
    </details>
  );
}

/**
 * The sensors with their processes' state (running, backing off, failing), how often each was
 * started, its last error and stderr, and restart / enable / disable for a role that may operate
 * (st2's /sensortypes routes).
 */
export function SensorsView() {
  const { api, mayOperate } = useSession();
  const sensors = useApiLoad((client) => client.listSensors());
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();

  async function act(ref: string, operation: () => Promise<SensorType>): Promise<void> {
    setBusy(ref);
    setActionError(undefined);
    try {
      const changed = await operation();
      sensors.setData((current) => current?.map((sensor) => (sensor.ref === changed.ref ? changed : sensor)));
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <main id="main">
      <div class="title-row">
        <h1>Sensors</h1>
        <button type="button" onClick={sensors.reload} disabled={sensors.loading}>
          Refresh
        </button>
      </div>
      <ErrorNote error={actionError} />
      <LoadStatus load={sensors} what="the sensors" />
      {sensors.data ? (
        <ListTable<SensorType>
          items={sensors.data}
          empty="No sensors: they come with packs (a pack's sensors/ folder)."
          rowKey={(sensor) => sensor.ref}
          rowAttributes={(sensor) => ({ 'data-sensor': sensor.ref })}
          columns={[
            {
              label: 'Sensor',
              rowHeader: true,
              cell: (sensor) => (
                <>
                  <span class="mono">{sensor.ref}</span>
                  {sensor.description ? <p class="muted small">{sensor.description}</p> : null}
                </>
              ),
            },
            {
              label: 'State',
              cell: (sensor) => (
                <>
                  <StatusBadge status={sensor.enabled ? sensor.status : 'disabled'} />
                  {sensor.enabled && sensor.next_start_at ? (
                    <p class="muted small">
                      next start <Time value={sensor.next_start_at} />
                    </p>
                  ) : null}
                </>
              ),
            },
            // Restarts: every start after the first.
            { label: 'Restarts', cell: (sensor) => (sensor.starts === undefined ? '—' : String(Math.max(0, sensor.starts - 1))) },
            { label: 'Started', cell: (sensor) => <Time value={sensor.started_at} /> },
            {
              label: 'Last error',
              cell: (sensor) => (
                <>
                  {sensor.last_error ? <span class="bad">{sensor.last_error}</span> : <span class="muted">—</span>}
                  <StderrLines lines={sensor.last_error_stderr} label="stderr of that failure" />
                  <StderrLines lines={sensor.stderr_tail} label="stderr tail" />
                </>
              ),
            },
            mayOperate && {
              label: 'Actions',
              hideLabel: true,
              cell: (sensor) => (
                <span class="row-actions">
                  {sensor.enabled ? (
                    <button type="button" disabled={busy !== undefined} onClick={() => void act(sensor.ref, () => api.restartSensor(sensor.ref))} aria-label={`Restart ${sensor.ref}`}>
                      Restart
                    </button>
                  ) : null}
                  <button
                    type="button"
                    disabled={busy !== undefined}
                    onClick={() => void act(sensor.ref, () => api.setSensorEnabled(sensor.ref, !sensor.enabled))}
                    aria-label={`${sensor.enabled ? 'Disable' : 'Enable'} ${sensor.ref}`}
                  >
                    {sensor.enabled ? 'Disable' : 'Enable'}
                  </button>
                </span>
              ),
            },
          ]}
        />
      ) : null}
    </main>
  );
}
