import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What the security tests share: a shared object whose load leaves a trace, and a look at every
 * process's environment.
 */

/** A shared object that, loaded into any process, appends `uid=<uid> exe=<binary>` to `trace`. */
export interface PreloadProbe {
  so: string;
  trace: string;
  /** The lines of the trace written by processes running as root. */
  rootLoads(): string[];
  /** Every line of the trace. */
  loads(): string[];
}

const probeSource = `
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void leave_trace(void) {
  char exe[512] = {0};
  if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0) exe[0] = '?';
  int fd = open(TRACE, O_WRONLY | O_APPEND | O_CREAT, 0666);
  if (fd < 0) return;
  dprintf(fd, "uid=%d exe=%s\\n", (int)getuid(), exe);
  close(fd);
}
`;

/** Compiles the probe with gcc (scripts/setup.sh installs it) into a fresh folder anyone may read. */
export function compilePreloadProbe(): PreloadProbe {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-preload-'));
  chmodSync(dir, 0o755);
  const traceDir = path.join(dir, 'trace');
  mkdirSync(traceDir);
  // Anyone may write: a load inside a job (whatever its uid) is traced as well as one outside.
  chmodSync(traceDir, 0o777);
  const trace = path.join(traceDir, 'loads');
  const source = path.join(dir, 'probe.c');
  const so = path.join(dir, 'probe.so');
  writeFileSync(source, probeSource);
  execFileSync('gcc', ['-shared', '-fPIC', `-DTRACE="${trace}"`, '-o', so, source]);
  chmodSync(so, 0o755);
  const loads = (): string[] => {
    try {
      return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { so, trace, loads, rootLoads: () => loads().filter((line) => line.startsWith('uid=0 ')) };
}

export interface ProcessSeen {
  pid: number;
  uid: number;
  exe: string;
}

/** Every live process whose environment holds `needle` right now. */
export function processesWithEnv(needle: string): ProcessSeen[] {
  const found: ProcessSeen[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`).includes(needle)) continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      let exe = '?';
      try {
        exe = readlinkSync(`/proc/${entry}/exe`);
      } catch {
        // A process of another uid namespace, or gone: its uid still says enough.
      }
      found.push({ pid: Number(entry), uid, exe });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Polls every process's environment for `needle` until `running` settles; returns what held it. */
export async function watchEnvironments<T>(needle: string, running: Promise<T>): Promise<{ value: T; seen: ProcessSeen[] }> {
  const seen = new Map<number, ProcessSeen>();
  let done = false;
  const finished = running.finally(() => {
    done = true;
  });
  while (!done) {
    for (const process of processesWithEnv(needle)) seen.set(process.pid, process);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { value: await finished, seen: [...seen.values()] };
}

/** Processes that set a job's sandbox up: none of them may ever hold what a caller gave. */
export function beforeTheBoundary(seen: ProcessSeen[]): ProcessSeen[] {
  return seen.filter((process) => process.uid === 0 || /\/(bwrap|setpriv)$/.test(process.exe));
}
