/**
 * A classic-BPF seccomp program, generated here so the sandbox needs no native dependency. It is
 * handed to bubblewrap (`--seccomp FD`), which loads it after setting up the namespaces, so the
 * calls bubblewrap itself needs (mount, unshare, pivot_root) are denied only to the job.
 *
 * The program allows everything except calls that reach kernel attack surface a pack never needs:
 * mounting, namespaces, tracing other processes, module loading, keyrings, BPF, perf, kexec, swap,
 * clock and host name changes, file-handle tricks and userfaultfd. Denied calls fail with EPERM
 * (not a kill) so well-behaved code sees an ordinary error. `clone` is allowed unless it asks for a
 * new namespace; `clone3` answers ENOSYS because its flags sit behind a pointer seccomp cannot read,
 * and libc then falls back to `clone`. Only x86_64 is supported: other architectures report the
 * layer inactive rather than run a filter whose numbers were never checked.
 */

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

// Classic BPF opcodes (linux/filter.h).
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_JA = 0x05;
const BPF_RET_K = 0x06;

// seccomp return actions (linux/seccomp.h).
const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

// Offsets in struct seccomp_data.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

const CLONE_NAMESPACE_FLAGS =
  0x00020000 | // CLONE_NEWNS
  0x02000000 | // CLONE_NEWCGROUP
  0x04000000 | // CLONE_NEWUTS
  0x08000000 | // CLONE_NEWIPC
  0x10000000 | // CLONE_NEWUSER
  0x20000000 | // CLONE_NEWPID
  0x40000000 | // CLONE_NEWNET
  0x00000080; // CLONE_NEWTIME

/** x86_64 numbers of the calls the job may not make (arch/x86/entry/syscalls/syscall_64.tbl). */
export const deniedSyscalls: Readonly<Record<string, number>> = {
  ptrace: 101,
  syslog: 103,
  uselib: 134,
  vhangup: 153,
  pivot_root: 155,
  _sysctl: 156,
  adjtimex: 159,
  chroot: 161,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  iopl: 172,
  ioperm: 173,
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  get_kernel_syms: 177,
  query_module: 178,
  quotactl: 179,
  nfsservctl: 180,
  lookup_dcookie: 212,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
};
const SYS_CLONE = 56;
const SYS_CLONE3 = 435;
const SYS_SETGROUPS = 116;

/** Calls that change a process's uids or gids, with how many id arguments each takes. */
const idChangingSyscalls: ReadonlyArray<{ nr: number; ids: number }> = [
  { nr: 105, ids: 1 }, // setuid
  { nr: 106, ids: 1 }, // setgid
  { nr: 113, ids: 2 }, // setreuid
  { nr: 114, ids: 2 }, // setregid
  { nr: 117, ids: 3 }, // setresuid
  { nr: 119, ids: 3 }, // setresgid
  { nr: 122, ids: 1 }, // setfsuid
  { nr: 123, ids: 1 }, // setfsgid
];
/** `-1` in a set*id argument: leave that id unchanged. */
const UNCHANGED_ID = 0xffffffff;

export interface SeccompOptions {
  /**
   * For a warm zygote, which holds CAP_SETUID and CAP_SETGID only to hand each forked child a job
   * uid: uid and gid changes are allowed into this range only, or to `also` (the zygote's own
   * uid, which setpriv switches to after bubblewrap loaded the program), and setgroups only to
   * clear the list: code running in the zygote cannot become root or any other account of the host.
   */
  idRange?: { first: number; count: number; also: number };
}

interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Label = 'allow' | 'deny' | 'enosys';
type Step = Instruction & { jtLabel?: Label; jfLabel?: Label; kLabel?: Label };

/**
 * For each id-changing call: every id argument must be -1, `also` or inside the range, else EPERM. The
 * accumulator holds the call number on entry and on the way past a call that does not match;
 * a matching call ends in allow or deny. Only the low 32 bits are compared: uid_t is 32 bits.
 */
function idRangeChecks(range: { first: number; count: number; also: number }): Step[] {
  const steps: Step[] = [];
  const last = range.first + range.count;
  for (const { nr, ids } of idChangingSyscalls) {
    const checks: Step[] = [];
    for (let arg = 0; arg < ids; arg++) {
      checks.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARG0_LOW + 8 * arg });
      checks.push({ code: BPF_JEQ_K, jt: 3, jf: 0, k: UNCHANGED_ID });
      checks.push({ code: BPF_JEQ_K, jt: 2, jf: 0, k: range.also });
      checks.push({ code: BPF_JGE_K, jt: 0, jf: 0, k: range.first, jfLabel: 'deny' });
      checks.push({ code: BPF_JGE_K, jt: 0, jf: 0, k: last, jtLabel: 'deny' });
    }
    checks.push({ code: BPF_JA, jt: 0, jf: 0, k: 0, kLabel: 'allow' });
    steps.push({ code: BPF_JEQ_K, jt: 0, jf: checks.length, k: nr }, ...checks);
  }
  // setgroups(0, NULL) clears the supplementary groups; any other list is refused.
  steps.push({ code: BPF_JEQ_K, jt: 0, jf: 2, k: SYS_SETGROUPS });
  steps.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARG0_LOW });
  steps.push({ code: BPF_JEQ_K, jt: 0, jf: 0, k: 0, jtLabel: 'allow', jfLabel: 'deny' });
  return steps;
}

/** Whether this process's architecture has a filter. */
export function seccompArchSupported(arch: string = process.arch): boolean {
  return arch === 'x64';
}

/** The filter as the bytes of a `struct sock_filter[]`, ready for bubblewrap's `--seccomp FD`. */
export function buildSeccompFilter(options: SeccompOptions = {}): Buffer {
  // Jumps to the three return instructions at the end are written as labels and resolved once the
  // program's length is known: classic BPF jumps are relative, forward-only and at most 255.
  const body: Step[] = [
    { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARCH },
    { code: BPF_JEQ_K, jt: 1, jf: 0, k: AUDIT_ARCH_X86_64 },
    { code: BPF_RET_K, jt: 0, jf: 0, k: RET_KILL_PROCESS },
    { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_NR },
    { code: BPF_JGE_K, jt: 0, jf: 0, k: X32_SYSCALL_BIT, jtLabel: 'deny' },
  ];
  for (const nr of Object.values(deniedSyscalls)) body.push({ code: BPF_JEQ_K, jt: 0, jf: 0, k: nr, jtLabel: 'deny' });
  if (options.idRange) body.push(...idRangeChecks(options.idRange));
  body.push({ code: BPF_JEQ_K, jt: 0, jf: 0, k: SYS_CLONE3, jtLabel: 'enosys' });
  body.push({ code: BPF_JEQ_K, jt: 0, jf: 0, k: SYS_CLONE, jfLabel: 'allow' });
  body.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: OFFSET_ARG0_LOW });
  body.push({ code: BPF_JSET_K, jt: 0, jf: 0, k: CLONE_NAMESPACE_FLAGS, jtLabel: 'deny', jfLabel: 'allow' });
  const targets: Record<Label, number> = { allow: body.length, deny: body.length + 1, enosys: body.length + 2 };
  const program: Instruction[] = body.map((instruction, pc) => {
    const resolve = (label: Label | undefined, fallback: number): number => {
      if (label === undefined) return fallback;
      const offset = targets[label] - pc - 1;
      if (offset > 255) throw new RangeError('seccomp filter too long for a classic BPF jump');
      return offset;
    };
    const k = instruction.kLabel === undefined ? instruction.k : resolve(instruction.kLabel, 0);
    return { code: instruction.code, k, jt: resolve(instruction.jtLabel, instruction.jt), jf: resolve(instruction.jfLabel, instruction.jf) };
  });
  program.push({ code: BPF_RET_K, jt: 0, jf: 0, k: RET_ALLOW });
  program.push({ code: BPF_RET_K, jt: 0, jf: 0, k: RET_ERRNO | EPERM });
  program.push({ code: BPF_RET_K, jt: 0, jf: 0, k: RET_ERRNO | ENOSYS });

  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    const at = index * 8;
    bytes.writeUInt16LE(instruction.code, at);
    bytes.writeUInt8(instruction.jt, at + 2);
    bytes.writeUInt8(instruction.jf, at + 3);
    bytes.writeUInt32LE(instruction.k >>> 0, at + 4);
  });
  return bytes;
}
