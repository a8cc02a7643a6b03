import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitOutputRuns, OutputRunRecorder, type OutputRun } from '../process/output-runs.ts';
import { prepareResult } from './execution-data.ts';
import { createFileBlobs } from './file-blobs.ts';
import { openExecutionOutputInOrder, openExecutionOutputPieces } from './output-replay.ts';
import type { ExecutionRecord } from './types.ts';

const blobs = createFileBlobs({ dir: mkdtempSync(path.join(os.tmpdir(), 'packrun-output-replay-')), durable: false });
let serial = 0;

/** A completed record whose result went through prepareResult, as the ledger stores it. */
async function stored(result: Record<string, unknown>, runs: OutputRun[] | undefined, inlineBytes: number): Promise<ExecutionRecord> {
  const id = `replay-${(serial += 1)}`;
  const { fields } = await prepareResult(blobs, id, result, inlineBytes, runs);
  return { id, action: 'tests.a', pack: 'tests', parameters: {}, status: 'succeeded', log: [], createdAt: '', endedAt: '', context: {}, ...fields };
}

async function replay(record: ExecutionRecord): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openExecutionOutputInOrder(blobs, record)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('the output run list', () => {
  it('merges a stream written twice in a row, and past its cap keeps the order it has', () => {
    const recorder = new OutputRunRecorder(3);
    for (const [stream, bytes] of [['stdout', 2], ['stdout', 3], ['stderr', 0], ['stderr', 1], ['stdout', 4], ['stderr', 5], ['stdout', 6]] as const) recorder.add(stream, bytes);
    recorder.closeStream('stdout', 3);
    expect(recorder.runs).toEqual([[0, 5], [1, 1], [0, 4]]);
  });

  it('trusts nothing in a run list: bad shapes are dropped whole, lengths cut to what is stored', () => {
    const sizes = { stdout: 5, stderr: 2 };
    for (const bogus of [null, 'runs', [[2, 1]], [[0, -1]], [[0, 1.5]], [[0, 1, 2]], [{ 0: 0, 1: 1 }], [[0, Number.MAX_SAFE_INTEGER + 2]], Array.from({ length: 5000 }, () => [0, 1])]) {
      expect(fitOutputRuns(bogus, sizes)).toBeUndefined();
    }
    expect(fitOutputRuns([[0, 3], [1, 9], [0, 9], [1, 4]], sizes)).toEqual([[0, 3], [1, 2], [0, 2]]);
  });
});

describe('replaying a completed execution in the order it wrote', () => {
  const result = { stdout: 'out-1\nout-2\n', stderr: 'err-1\nerr-2\n', exit_code: 0 };
  const runs: OutputRun[] = [[0, 6], [1, 6], [0, 6], [1, 6]];

  it('interleaves inline output and output in blobs alike', async () => {
    for (const inline of [16 * 1024, 0]) {
      const record = await stored(result, runs, inline);
      expect(record.resultBlobs === undefined).toBe(inline > 0);
      expect(await replay(record)).toBe('out-1\nerr-1\nout-2\nerr-2\n');
    }
  });

  it('replays a record without runs as stdout then stderr', async () => {
    expect(await replay(await stored(result, undefined, 0))).toBe('out-1\nout-2\nerr-1\nerr-2\n');
  });

  it('keeps no runs for output the shell runners parsed as JSON', async () => {
    const record = await stored({ stdout: { parsed: true }, stderr: 'e' }, [[0, 5], [1, 1]], 16 * 1024);
    expect(record.outputRuns).toBeUndefined();
  });

  it('walks a blob larger than one read chunk a run at a time', async () => {
    const big = { stdout: `${'a'.repeat(100_000)}${'b'.repeat(100_000)}`, stderr: '<1><2>' };
    const record = await stored(big, [[0, 100_000], [1, 3], [0, 100_000], [1, 3]], 0);
    expect(await replay(record)).toBe(`${'a'.repeat(100_000)}<1>${'b'.repeat(100_000)}<2>`);
  });

  it('tags each piece with its stream, a character a read chunk splits whole in one piece', async () => {
    // 90,000 bytes: the first 64 KiB read of the blob ends inside a character.
    const wide = { stdout: '日'.repeat(30_000), stderr: 'é'.repeat(3) };
    const record = await stored(wide, [[0, 45_000], [1, 2], [0, 45_000], [1, 4]], 0);
    const tagged: Array<[string, string]> = [];
    for await (const { stream, text } of await openExecutionOutputPieces(blobs, record)) {
      expect(text).not.toContain('\uFFFD');
      const last = tagged.at(-1);
      if (last !== undefined && last[0] === stream) last[1] += text;
      else tagged.push([stream, text]);
    }
    expect(tagged).toEqual([['stdout', '日'.repeat(15_000)], ['stderr', 'é'], ['stdout', '日'.repeat(15_000)], ['stderr', 'éé']]);
  });

  it('never cuts inside a character, even where a crafted run says to', async () => {
    const record = await stored({ stdout: 'é日x', stderr: '!' }, [], 16 * 1024);
    // 1 byte into é, then 1 byte into 日: each cut moves on to the end of its character.
    record.outputRuns = [[0, 1], [1, 1], [0, 1]];
    expect(await replay(record)).toBe('é!日x');
  });
});
