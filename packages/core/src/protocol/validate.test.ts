import { describe, expect, it } from 'vitest';
import { FrameError } from './framing.ts';
import { parseChildMessage } from './validate.ts';

describe('parseChildMessage', () => {
  it('takes an exiting frame with an exit status from 0 to 255', () => {
    expect(parseChildMessage({ type: 'exiting', code: 0 })).toEqual({ type: 'exiting', code: 0 });
    expect(parseChildMessage({ type: 'exiting', code: 255 })).toEqual({ type: 'exiting', code: 255 });
  });

  it('refuses an exiting frame whose code no process could exit with', () => {
    for (const code of [-1, 256, 1.5, '0', null, undefined]) {
      expect(() => parseChildMessage({ type: 'exiting', code }), String(code)).toThrow(FrameError);
    }
  });

  it('refuses a frame of a type no child sends', () => {
    expect(() => parseChildMessage({ type: 'job', job: {} })).toThrow(/unknown frame type "job"/);
  });
});
