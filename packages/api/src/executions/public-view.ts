import { jsonFitsIn, type ExecutionRecord } from '@packrun/core';

export type PublicExecution = Omit<ExecutionRecord, 'secretParameters' | 'resultBlobs'> & {
  /** true when `result` is not the whole result document: GET `resultUrl` has it. */
  resultOmitted?: true;
  resultUrl?: string;
  /** stdout and stderr, whole, with their sizes in `outputSize`. */
  outputUrl?: string;
};

const base = (id: string): string => `/api/v1/executions/${encodeURIComponent(id)}`;

/**
 * An execution as the API shows it: everything but the sealed secret values and where its blobs
 * are. A result document too big for the record (or, in a record of an earlier version, over
 * `inlineBytes`) is marked omitted, with the routes that serve it whole.
 */
export function publicExecution(record: ExecutionRecord, inlineBytes = Number.POSITIVE_INFINITY): PublicExecution {
  const { secretParameters: _sealed, resultBlobs, ...shown } = record;
  const view: PublicExecution = shown;
  const oversized = resultBlobs === undefined && record.result !== undefined && inlineBytes !== Number.POSITIVE_INFINITY && !jsonFitsIn(record.result, inlineBytes);
  if (oversized) delete view.result;
  if (resultBlobs !== undefined || oversized) {
    view.resultOmitted = true;
    view.resultUrl = `${base(record.id)}/result`;
  }
  if (record.result !== undefined || resultBlobs !== undefined) view.outputUrl = `${base(record.id)}/output`;
  return view;
}

/**
 * An execution in a list: never more than `inlineBytes` of result, and none of the output tails
 * records of earlier versions kept (their sizes and URLs say where to get them).
 */
export function listedExecution(record: ExecutionRecord, inlineBytes: number): PublicExecution {
  const view = publicExecution(record, inlineBytes);
  delete view.stdoutTail;
  delete view.stderrTail;
  return view;
}
