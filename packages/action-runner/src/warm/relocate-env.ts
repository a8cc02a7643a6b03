/**
 * A job's environment with its job folder moved: a job started ahead of its execution (a zygote
 * child, a pre-spawned wrapper) has a folder of its own rather than `jobs/<execution>`, and HOME,
 * TMPDIR and anything under the old folder must point there instead.
 */
export function relocateEnv(env: Record<string, string>, from: string, to: string): Record<string, string> {
  const moved: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    moved[name] = value === from ? to : value.startsWith(`${from}/`) ? to + value.slice(from.length) : value;
  }
  return moved;
}
