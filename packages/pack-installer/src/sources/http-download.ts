import { createWriteStream } from 'node:fs';
import { PackrunError } from '@packrun/core';

function downloadError(url: string, message: string, cause?: unknown): PackrunError {
  return new PackrunError('PACK_DOWNLOAD_FAILED', `downloading ${url} failed: ${message}`, {
    hint: 'check the URL and that the host is reachable',
    details: { url },
    ...(cause !== undefined && { cause }),
  });
}

async function get(url: string, signal: AbortSignal | undefined): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', ...(signal && { signal }) });
  } catch (cause) {
    throw downloadError(url, cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause), cause);
  }
  if (!response.ok) throw downloadError(url, `HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** Streams a URL into a file, stopping as soon as it exceeds `maxBytes` (checked as bytes arrive, not from headers). */
export async function downloadToFile(url: string, file: string, maxBytes: number, signal?: AbortSignal): Promise<void> {
  const response = await get(url, signal);
  if (!response.body) throw downloadError(url, 'empty response');
  const out = createWriteStream(file, { flags: 'wx' });
  let received = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      received += chunk.byteLength;
      if (received > maxBytes) {
        throw new PackrunError('PACK_ARCHIVE_UNSAFE', `${url} is larger than ${maxBytes} bytes`, { details: { url, maxBytes } });
      }
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
}

export async function fetchJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const response = await get(url, signal);
  try {
    return await response.json();
  } catch (cause) {
    throw downloadError(url, 'the response is not JSON', cause);
  }
}
