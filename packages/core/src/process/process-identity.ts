import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/**
 * Who a process is, as a lock or a record of a running server says it: a pid alone identifies
 * nothing once the process is gone (pids are reused, a restarted container runs as pid 1 again,
 * and its host name may change), so the identity adds when the process started (/proc/<pid>/stat
 * field 22, clock ticks since boot) and the boot id.
 */
export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22; undefined where /proc is not there. */
  startTime?: string;
  bootId?: string;
  /** The pid namespace the pid counts in (`pid:[4026531836]`): pids of two namespaces are not comparable. */
  pidNamespace?: string;
  host: string;
}

const bootIdFile = '/proc/sys/kernel/random/boot_id';

function readBootId(): string | undefined {
  try {
    return readFileSync(bootIdFile, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 is the command name in parentheses and may itself hold spaces and parentheses: the
  // fields after it start past the last ')', with field 3 first.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3];
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

export function currentProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid);
  const bootId = readBootId();
  const pidNamespace = readPidNamespace();
  return {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    ...(bootId === undefined ? {} : { bootId }),
    ...(pidNamespace === undefined ? {} : { pidNamespace }),
    host: os.hostname(),
  };
}

/**
 * Whether this process sees the process `recorded` names running now: the same boot and pid
 * namespace, and its pid still held by a process started at its start time. False whenever that
 * cannot be told from here (another machine, boot or namespace, no /proc): the opposite of
 * whyProcessIsGone, which never calls a process gone that it cannot see.
 */
export function isRunningHere(recorded: Pick<ProcessIdentity, 'pid' | 'startTime' | 'bootId' | 'pidNamespace'>): boolean {
  if (recorded.startTime === undefined || recorded.bootId === undefined || recorded.pidNamespace === undefined) return false;
  return recorded.bootId === readBootId() && recorded.pidNamespace === readPidNamespace() && processStartTime(recorded.pid) === recorded.startTime;
}

/**
 * Why the process a record names no longer runs, or undefined while it may still run: the machine
 * booted since, its pid is gone, or its pid now belongs to a process started at another time (our
 * own pid included). Without boot ids (no /proc) only a pid on this host can be judged, and only
 * by existence; a process on another host is never judged gone.
 */
export function whyProcessIsGone(recorded: ProcessIdentity, me: ProcessIdentity = currentProcessIdentity()): string | undefined {
  if (recorded.bootId !== undefined && me.bootId !== undefined) {
    if (recorded.bootId !== me.bootId) return 'the machine has booted since (another boot id)';
    const startTime = processStartTime(recorded.pid);
    if (startTime === undefined) return `process ${recorded.pid} is gone`;
    if (recorded.startTime !== undefined && startTime !== recorded.startTime) return `pid ${recorded.pid} now belongs to a process started at another time`;
    return undefined;
  }
  if (recorded.host === me.host && !pidExists(recorded.pid)) return `process ${recorded.pid} is gone`;
  return undefined;
}

/** Reads the identity fields of a parsed record, or undefined when it holds none. */
export function parseProcessIdentity(value: unknown): ProcessIdentity | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record['pid'] !== 'number' || typeof record['host'] !== 'string') return undefined;
  return {
    pid: record['pid'],
    host: record['host'],
    ...(typeof record['startTime'] === 'string' ? { startTime: record['startTime'] } : {}),
    ...(typeof record['bootId'] === 'string' ? { bootId: record['bootId'] } : {}),
  };
}
