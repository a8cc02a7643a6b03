import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './framing.ts';
import { parseChildMessage } from './validate.ts';

describe('frames', () => {
  it('decodes frames split anywhere and several in one chunk', () => {
    const bytes = Buffer.concat([encodeFrame({ type: 'result', result: 'é', success: null }), encodeFrame({ type: 'error', error: { message: 'x' } })]);
    const decoder = new FrameDecoder();
    const frames = [...bytes].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(frames).toEqual([{ type: 'result', result: 'é', success: null }, { type: 'error', error: { message: 'x' } }]);
    expect(decoder.pending).toBe(0);
  });

  it('refuses an oversize announced length before buffering the body', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025, 0);
    expect(() => new FrameDecoder(1024).push(header)).toThrow(/exceeds/);
  });

  it('refuses frames a child may not send', () => {
    expect(() => parseChildMessage({ type: 'job', job: {} })).toThrow(/unknown frame type/);
    expect(() => parseChildMessage({ type: 'result', result: 1, success: 'yes' })).toThrow(/success/);
    expect(() => parseChildMessage({ type: 'datastore', id: 1, op: 'drop', args: { scope: 'system' } })).toThrow(/op/);
    expect(parseChildMessage({ type: 'datastore', id: 1, op: 'get', args: { name: 'k' } })).toEqual({ type: 'datastore', id: 1, op: 'get', args: { scope: 'system', name: 'k' } });
  });
});
