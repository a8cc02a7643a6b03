import { useState } from 'preact/hooks';
import type { SensorType } from '../api/types.ts';
import { sensorEvents } from '../api/stream.ts';
import { ErrorNote, LiveState, LoadStatus, StatusBadge, Time } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useLiveStream } from '../hooks/use-live-stream.ts';
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

/** A sensor's new state in place of its row; a sensor not listed yet (a pack just installed) in ref order. */
function withSensor(sensors: SensorType[], changed: SensorType): SensorType[] {
  if (sensors.some((sensor) => sensor.ref === changed.ref)) return sensors.map((sensor) => (sensor.ref === changed.ref ? changed : sensor));
  return [...sensors, changed].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

const streamPath = `/api/v1/stream?events=${sensorEvents.join(',')}`;

/**
 * The sensors with their processes' state (running, backing off, failing), how often each was
 * started, its last error and stderr, and restart / enable / disable for a role that may operate
 * (st2's /sensortypes routes). Kept current by the event stream's st2.sensor__update: a crash, a
 * restart or another user's disable shows without a reload.
 */
export function SensorsView() {
  const { api, mayOperate } = useSession();
  const sensors = useApiLoad((client) => client.listSensors());
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const streamState = useLiveStream(
    streamPath,
    (event) => {
      if (event.type === 'sensor') sensors.setData((current) => current && withSensor(current, event.sensor));
    },
    sensors.reload,
  );

  async function act(ref: string, operation: () => Promise<SensorType>): Promise<void> {
    setBusy(ref);
    setActionError(undefined);
    try {
      const changed = await operation();
      sensors.setData((current) => current && withSensor(current, changed));
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
        <LiveState state={streamState} />
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
