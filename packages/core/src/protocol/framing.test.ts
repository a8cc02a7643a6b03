import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from './framing.ts';
import { parseChildMessage } from './validate.ts';
import { resultSubject, inputSubject, withEnvelope } from '../limits/configured-limits.ts';

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
    const bounds = { limits: { maxBytes: 1024, maxDepth: 3, maxStringBytes: 1024, maxItems: 1024 }, subject: inputSubject('a frame') };
    expect(() => new FrameDecoder(bounds).push(header)).toThrow('a frame is 1025 bytes, over the limit of 1024 bytes');
  });

  it('refuses a frame nested deeper than its bounds before parsing it, and one 500,000 deep without recursion', () => {
    const bounds = withEnvelope({ maxBytes: 8 * 1024 * 1024, maxDepth: 3, maxStringBytes: 1024, maxItems: 1024 }, resultSubject('a frame from the action'));
    expect(new FrameDecoder(bounds).push(encodeFrame({ type: 'result', result: [[[1]]], success: null }))).toHaveLength(1);
    expect(() => new FrameDecoder(bounds).push(encodeFrame({ type: 'result', result: [[[[1]]]], success: null }))).toThrow(
      'a frame from the action is nested more than 3 levels deep (PACKRUN_JSON_MAX_DEPTH)',
    );
    const deep = Buffer.from(`{"type":"result","result":${'['.repeat(500_000)}${']'.repeat(500_000)}}`);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(deep.length, 0);
    expect(() => new FrameDecoder(bounds).push(Buffer.concat([header, deep]))).toThrow(/nested more than 3 levels/);
  });

  it('refuses frames a child may not send', () => {
    expect(() => parseChildMessage({ type: 'job', job: {} })).toThrow(/unknown frame type/);
    expect(() => parseChildMessage({ type: 'result', result: 1, success: 'yes' })).toThrow(/success/);
    expect(() => parseChildMessage({ type: 'datastore', id: 1, op: 'drop', args: { scope: 'system' } })).toThrow(/op/);
    expect(parseChildMessage({ type: 'datastore', id: 1, op: 'get', args: { name: 'k' } })).toEqual({ type: 'datastore', id: 1, op: 'get', args: { scope: 'system', name: 'k' } });
  });
});
