import { describe, expect, it } from 'vitest';
import { buildSeccompFilter, deniedSyscalls } from './seccomp-filter.ts';

/** A tiny classic-BPF interpreter: enough to run the generated filter against chosen syscalls. */
function evaluate(program: Buffer, data: { arch: number; nr: number; arg0?: number; args?: number[] }): number {
  const args = data.args ?? [data.arg0 ?? 0];
  let accumulator = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) accumulator = k === 0 ? data.nr : k === 4 ? data.arch : k >= 16 && (k - 16) % 8 === 0 ? (args[(k - 16) / 8] ?? 0) : Number.NaN;
    else if (code === 0x06) return k;
    else if (code === 0x05) pc += k;
    else if (code === 0x15) pc += accumulator === k ? jt : jf;
    else if (code === 0x35) pc += accumulator >= k ? jt : jf;
    else if (code === 0x45) pc += (accumulator & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('fell off the end of the program');
}

const x64 = 0xc000003e;
const allow = 0x7fff0000;
const eperm = 0x00050001;

describe('buildSeccompFilter', () => {
  const program = buildSeccompFilter();

  it('denies every listed call with EPERM and allows ordinary ones', () => {
    for (const nr of Object.values(deniedSyscalls)) expect(evaluate(program, { arch: x64, nr })).toBe(eperm);
    for (const nr of [0, 1, 2, 57, 59, 231, 257]) expect(evaluate(program, { arch: x64, nr })).toBe(allow);
  });

  it('allows clone for threads and processes, denies it for new namespaces, and sends clone3 back to clone', () => {
    expect(evaluate(program, { arch: x64, nr: 56, arg0: 0x003d0f00 })).toBe(allow);
    expect(evaluate(program, { arch: x64, nr: 56, arg0: 0x10000000 | 0x11 })).toBe(eperm);
    expect(evaluate(program, { arch: x64, nr: 435 })).toBe(0x00050000 | 38);
  });

  it('kills a process that switches architecture and denies the x32 ABI', () => {
    expect(evaluate(program, { arch: 0x40000003, nr: 1 })).toBe(0x80000000);
    expect(evaluate(program, { arch: x64, nr: 0x40000000 + 1 })).toBe(eperm);
  });

  it('has no id restriction unless asked: a cold job may call setuid (it holds no capability to use it)', () => {
    expect(evaluate(program, { arch: x64, nr: 105, args: [0] })).toBe(allow);
  });
});

describe('buildSeccompFilter for a zygote', () => {
  const first = 1_000_000;
  const zygoteUid = 999_998;
  const program = buildSeccompFilter({ idRange: { first, count: 1000, also: zygoteUid } });
  const setresuid = 117;
  const setresgid = 119;
  const setuid = 105;
  const setgroups = 116;

  it('lets a child change its uids and gids into the job range (or the zygote its own), or leave one unchanged with -1', () => {
    expect(evaluate(program, { arch: x64, nr: setresuid, args: [zygoteUid, zygoteUid, zygoteUid] })).toBe(allow);
    expect(evaluate(program, { arch: x64, nr: setresuid, args: [first, first, first] })).toBe(allow);
    expect(evaluate(program, { arch: x64, nr: setresgid, args: [first + 999, 0xffffffff, first + 999] })).toBe(allow);
    expect(evaluate(program, { arch: x64, nr: setuid, args: [first + 5] })).toBe(allow);
  });

  it('refuses root or any uid outside the range in any argument', () => {
    expect(evaluate(program, { arch: x64, nr: setresuid, args: [0, 0, 0] })).toBe(eperm);
    expect(evaluate(program, { arch: x64, nr: setresuid, args: [first, first, 0] })).toBe(eperm);
    expect(evaluate(program, { arch: x64, nr: setresgid, args: [first, first + 1000, first] })).toBe(eperm);
    expect(evaluate(program, { arch: x64, nr: setuid, args: [first - 1] })).toBe(eperm);
    for (const nr of [106, 113, 114, 122, 123]) expect(evaluate(program, { arch: x64, nr, args: [0, 0] })).toBe(eperm);
  });

  it('allows setgroups only to clear the list, and still denies the cold list and allows ordinary calls', () => {
    expect(evaluate(program, { arch: x64, nr: setgroups, args: [0, 0] })).toBe(allow);
    expect(evaluate(program, { arch: x64, nr: setgroups, args: [1, 0] })).toBe(eperm);
    for (const nr of Object.values(deniedSyscalls)) expect(evaluate(program, { arch: x64, nr })).toBe(eperm);
    for (const nr of [0, 1, 2, 57, 59, 231, 257]) expect(evaluate(program, { arch: x64, nr })).toBe(allow);
    expect(evaluate(program, { arch: x64, nr: 56, arg0: 0x10000000 })).toBe(eperm);
  });
});
