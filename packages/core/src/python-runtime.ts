import path from 'node:path';

const pythonDir = path.resolve(import.meta.dirname, '../python');

/**
 * Where the Python side of action and sensor execution lives. A pack's interpreter runs a wrapper
 * as `<venv>/bin/python -I <wrapper>`; the wrapper appends `libDir` (Packrun's st2common and
 * st2reactor stand-ins), then the st2 fallback site (python/st2-fallback), LAST to sys.path
 * itself, so nothing here goes into PYTHONPATH.
 */
export const pythonRuntime = {
  actionWrapper: path.join(pythonDir, 'packrun_action_wrapper.py'),
  sensorWrapper: path.join(pythonDir, 'packrun_sensor_wrapper.py'),
  libDir: path.join(pythonDir, 'lib'),
} as const;
