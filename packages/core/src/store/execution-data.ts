import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fitOutputRuns, type OutputRun } from '../process/output-runs.ts';
import { jsonFitsIn } from './json-value.ts';
import type { BlobRef, ExecutionBlobField, ExecutionBlobs, ExecutionRecord } from './types.ts';

/**
 * An execution's result document (`{result, stdout, stderr, exit_code, ...}`) between the runner
 * and its readers. Up to the inline limit it is kept whole in the record. Above it, stdout and
 * stderr (each up to the output cap) go to blobs of their own, so the output route streams them
 * as they are, and the other fields stay in the record if they fit, else go to a `result` blob
 * as JSON. The record then says how big each part is, and lists never carry more than the limit.
 */

export type CompletionData = Pick<ExecutionRecord, 'result' | 'resultBlobs' | 'resultSize' | 'outputSize' | 'outputRuns'>;

const outputFields = ['stdout', 'stderr'] as const;
type OutputField = (typeof outputFields)[number];

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The record fields for a result document, writing its large parts to `blobs` first. `written`
 * lists the blobs, for the caller to discard if the record is then not stored. `outputRuns`, the
 * order the runner saw the output in, is kept fitted to stdout and stderr as stored, and only
 * while both are text: output the shell runners parsed as JSON is no longer what was captured.
 */
export async function prepareResult(
  blobs: ExecutionBlobs,
  executionId: string,
  result: Record<string, unknown>,
  inlineBytes: number,
  outputRuns?: OutputRun[],
): Promise<{ fields: CompletionData; written: BlobRef[] }> {
  const output = (field: OutputField): string | undefined => (typeof result[field] === 'string' ? (result[field] as string) : undefined);
  const outputSize = { stdout: utf8Bytes(output('stdout') ?? ''), stderr: utf8Bytes(output('stderr') ?? '') };
  const asText = outputFields.every((field) => result[field] === undefined || output(field) !== undefined);
  const runs = outputRuns !== undefined && asText ? fitOutputRuns(outputRuns, outputSize) : undefined;
  const order: Pick<CompletionData, 'outputRuns'> = runs === undefined || runs.length === 0 ? {} : { outputRuns: runs };
  if (jsonFitsIn(result, inlineBytes)) {
    const text = JSON.stringify(result);
    if (utf8Bytes(text) <= inlineBytes) return { fields: { result, resultSize: utf8Bytes(text), outputSize, ...order }, written: [] };
  }
  const rest: Record<string, unknown> = { ...result };
  const resultBlobs: Partial<Record<ExecutionBlobField, BlobRef>> = {};
  const written: BlobRef[] = [];
  let size = 0;
  try {
    for (const field of outputFields) {
      const text = output(field);
      if (text === undefined) continue;
      delete rest[field];
      const ref = await blobs.put(executionId, field, text);
      written.push(ref);
      resultBlobs[field] = ref;
      // `"stdout":` and the string as JSON writes it, and a comma.
      size += field.length + 3 + jsonStringBytes(text) + 1;
    }
    const restText = JSON.stringify(rest);
    size += utf8Bytes(restText) - (restText === '{}' ? 1 : 0);
    const fields: CompletionData = { resultBlobs, resultSize: size, outputSize, ...order };
    if (utf8Bytes(restText) <= inlineBytes) fields.result = rest;
    else {
      const ref = await blobs.put(executionId, 'result', restText);
      written.push(ref);
      resultBlobs.result = ref;
    }
    return { fields, written };
  } catch (error) {
    await blobs.discard(executionId, written).catch(() => undefined);
    throw error;
  }
}

/** Bytes JSON.stringify(text) takes, without making it for texts that need no escaping. */
function jsonStringBytes(text: string): number {
  return /["\\\u0000-\u001f\u2028\u2029]/.test(text) ? utf8Bytes(JSON.stringify(text)) : utf8Bytes(text) + 2;
}

async function readBlob(blobs: ExecutionBlobs, executionId: string, ref: BlobRef): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.open(executionId, ref)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The whole result document of an execution, its stored parts read back; undefined before it has one. */
export async function readExecutionResult(blobs: ExecutionBlobs, record: ExecutionRecord): Promise<Record<string, unknown> | undefined> {
  const parts = record.resultBlobs;
  if (parts === undefined) return record.result;
  const whole: Record<string, unknown> = parts.result ? (JSON.parse(await readBlob(blobs, record.id, parts.result)) as Record<string, unknown>) : { ...record.result };
  for (const field of outputFields) {
    const ref = parts[field];
    if (ref) whole[field] = await readBlob(blobs, record.id, ref);
  }
  return whole;
}

/** One stream of stdout or stderr: from its blob, or from the record. */
export async function openExecutionOutput(blobs: ExecutionBlobs, record: ExecutionRecord, field: OutputField): Promise<Readable> {
  const ref = record.resultBlobs?.[field];
  if (ref) return await blobs.open(record.id, ref);
  const kept = record.result?.[field];
  const text = typeof kept === 'string' ? kept : kept === undefined ? (field === 'stdout' ? record.stdoutTail : record.stderrTail) ?? '' : JSON.stringify(kept);
  return Readable.from([Buffer.from(text, 'utf8')]);
}

/**
 * The result document as JSON, streamed: the record's or blob's other fields, then stdout and
 * stderr escaped as they are read, so a large result never sits whole in memory. The bytes are
 * `resultSize` of them.
 */
export async function openExecutionResult(blobs: ExecutionBlobs, record: ExecutionRecord): Promise<Readable> {
  const parts = record.resultBlobs;
  if (parts === undefined) return Readable.from([Buffer.from(JSON.stringify(record.result ?? null), 'utf8')]);
  const restText = parts.result ? await readBlob(blobs, record.id, parts.result) : JSON.stringify(record.result ?? {});
  const sources = await Promise.all(outputFields.map(async (field) => ({ field, ref: parts[field] })));
  async function* body(): AsyncGenerator<Buffer> {
    let first = restText === '{}';
    yield Buffer.from(restText.slice(0, -1), 'utf8');
    for (const { field, ref } of sources) {
      if (ref === undefined) continue;
      yield Buffer.from(`${first ? '' : ','}"${field}":"`, 'utf8');
      first = false;
      const decoder = new StringDecoder('utf8');
      for await (const chunk of await blobs.open(record.id, ref)) {
        const text = decoder.write(chunk as Buffer);
        if (text !== '') yield Buffer.from(JSON.stringify(text).slice(1, -1), 'utf8');
      }
      const tail = decoder.end();
      yield Buffer.from(`${JSON.stringify(tail).slice(1, -1)}"`, 'utf8');
    }
    yield Buffer.from('}', 'utf8');
  }
  return Readable.from(body());
}
