/**
 * The command lines sent to a remote host. Every value that comes from a parameter (the working
 * directory, variable values, script arguments, paths) is one single-quoted shell word, so it is
 * never read as shell syntax; only `cmd` itself, which is the command the caller asked for, is
 * shell code.
 */

/** One POSIX shell word holding exactly `value` (Python's shlex.quote, which StackStorm uses). */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

interface RemoteCommandOptions {
  /** Shell code: the action's `cmd`, or the quoted script path and its quoted arguments. */
  command: string;
  cwd: string;
  env: ReadonlyArray<readonly [string, string]>;
  sudo: boolean;
  /** Whether sudo reads a password (sent on the session's input, never written into the command). */
  sudoPassword: boolean;
}

/**
 * StackStorm's command: `export K=V ... && cd <cwd> && <command>`, and with sudo the same inside
 * `sudo -E -- bash -c '...'` (-E keeps the exported variables; -S reads the password from input).
 */
export function remoteCommandBody(options: RemoteCommandOptions): string {
  const exports = options.env.length > 0 ? `export ${options.env.map(([name, value]) => `${name}=${shellQuote(value)}`).join(' ')} && ` : '';
  const body = `${exports}cd ${shellQuote(options.cwd)} && ${options.command}`;
  if (!options.sudo) return body;
  return `sudo ${options.sudoPassword ? '-S ' : ''}-E -- bash -c ${shellQuote(body)}`;
}

/**
 * Runs the body ($1) in a session of its own and watches the SSH session's input: when that input
 * ends (the runner closes it at a timeout or a cancel, or the connection is gone), the whole
 * process group is sent SIGTERM, then SIGKILL. Without it an SSH server leaves a command started
 * without a terminal running after its client has gone. With $2 = 1 the first input line is the
 * sudo password, handed to sudo through a pipe from the shell's own printf (a builtin: it never
 * shows in the remote process list). The body's own input is empty, as StackStorm's is.
 */
const watchdog = [
  'exec 3<&0',
  'p=',
  'if [ "$2" = 1 ]; then IFS= read -r p <&3 || :; fi',
  's=',
  'command -v setsid >/dev/null 2>&1 && s=setsid',
  'if [ "$2" = 1 ]; then printf "%s\\n" "$p" | $s /bin/sh -c "$1" 3<&- & else $s /bin/sh -c "$1" </dev/null 3<&- & fi',
  'c=$!',
  'p=',
  '(while IFS= read -r _; do :; done; kill -TERM -"$c" || kill -TERM "$c"; sleep "$3"; kill -KILL -"$c" || kill -KILL "$c") <&3 >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$c"',
  'r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');

/** The line the remote login shell runs: the watchdog around the body. */
export function remoteCommandLine(options: RemoteCommandOptions, killGraceSeconds: number): string {
  const grace = String(Math.max(1, Math.ceil(killGraceSeconds)));
  return `exec /bin/sh -c ${shellQuote(watchdog)} packrun ${shellQuote(remoteCommandBody(options))} ${options.sudo && options.sudoPassword ? '1' : '0'} ${grace}`;
}
