import { readFileSync } from 'node:fs';

/** The process group of `pid` (field 5 of /proc/<pid>/stat), or undefined once it is gone. */
function processGroupOf(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const afterName = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop() ?? '';
    const group = Number(afterName.split(' ')[2]);
    return Number.isInteger(group) ? group : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Those of `pids` (a job cgroup's) that left the process group `group` and so were not reached by
 * a SIGKILL sent to the group: a daemon that called setsid, say. Processes gone meanwhile are not
 * counted.
 */
export function outsideProcessGroup(pids: number[], group: number): number[] {
  return pids.filter((pid) => {
    const found = processGroupOf(pid);
    return found !== undefined && found !== group;
  });
}
