import { describe, expect, it } from 'vitest';
import { buildSeccompFilter, deniedSyscalls } from './seccomp-filter.ts';

/** A tiny classic-BPF interpreter: enough to run the generated filter against chosen syscalls. */
function evaluate(program: Buffer, data: { arch: number; nr: number; arg0?: number }): number {
  let accumulator = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) accumulator = k === 0 ? data.nr : k === 4 ? data.arch : k === 16 ? (data.arg0 ?? 0) : Number.NaN;
    else if (code === 0x06) return k;
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
});
