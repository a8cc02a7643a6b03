import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids inside a pid namespace (what a zygote in bubblewrap sees of itself and its children) turned
 * into host pids, which are what cgroups and signals from the runtime need. The last field of a
 * process's `NSpid` line is its pid in its innermost namespace.
 */
function innermostPid(hostPid: number): number | undefined {
  try {
    const line = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${hostPid}/status`, 'utf8'))?.[1];
    const fields = line?.trim().split(/\s+/).map(Number);
    return fields && fields.length > 1 ? fields[fields.length - 1] : undefined;
  } catch {
    return undefined;
  }
}

function childrenOf(hostPid: number): number[] {
  try {
    return readdirSync(`/proc/${hostPid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${hostPid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The host pid of the direct child of `parentHostPid` that is `nsPid` in its own namespace. */
export function childHostPid(parentHostPid: number, nsPid: number): number | undefined {
  return childrenOf(parentHostPid).find((pid) => innermostPid(pid) === nsPid);
}

/** The host pid of the descendant of `ancestorHostPid` (bubblewrap) that is `nsPid` inside its namespace. */
export function descendantHostPid(ancestorHostPid: number, nsPid: number): number | undefined {
  const queue = [ancestorHostPid];
  for (let visited = 0; queue.length > 0 && visited < 64; visited++) {
    const pid = queue.shift() as number;
    if (pid !== ancestorHostPid && innermostPid(pid) === nsPid) return pid;
    queue.push(...childrenOf(pid));
  }
  return undefined;
}
