import { PackrunError, isPackrunError } from '../errors.ts';

/**
 * A write the store's disk refused: full (STORE_FULL), over quota or failing (STORE_WRITE_FAILED).
 * Both end the execution the write was for (the ledger stores it failed with this reason) and
 * answer an API call with 507 or 503, never with a 500 that leaves the caller guessing.
 */
export type StoreWriteFault = 'STORE_FULL' | 'STORE_WRITE_FAILED';

const hints: Record<StoreWriteFault, string> = {
  STORE_FULL: 'free space on the disk holding the store (PACKRUN_HOME/store, or MongoDB\'s), or remove old executions (`packrun execution purge`, PACKRUN_RETENTION_*); a request refused with it can be retried with the same id',
  STORE_WRITE_FAILED: 'check the disk holding the store (quota, I/O errors in the kernel log); a request refused with it can be retried with the same id',
};

export function storeWriteFault(code: StoreWriteFault, what: string, cause: unknown, details: Record<string, unknown> = {}): PackrunError {
  const reason = code === 'STORE_FULL' ? 'the disk is full' : `the disk refused the write (${(cause as Error | undefined)?.message ?? String(cause)})`;
  // A fault of the operator's disk, not of Packrun: told plainly, without a stack trace.
  return new PackrunError(code, `the store could not write ${what}: ${reason}`, { hint: hints[code], details, cause });
}

/** The fault an errno from a file write stands for, if it is one. */
export function faultOfErrno(errno: string | undefined): StoreWriteFault | undefined {
  if (errno === 'ENOSPC') return 'STORE_FULL';
  if (errno === 'EDQUOT' || errno === 'EIO' || errno === 'EROFS') return 'STORE_WRITE_FAILED';
  return undefined;
}

/** The fault a MongoDB server error stands for: 14031 is OutOfDiskSpace; WiredTiger's refusals carry the errno text. */
export function faultOfMongoError(error: unknown): StoreWriteFault | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as Error | null)?.message ?? '';
  if (code === 14031 || /No space left on device|ENOSPC/.test(message)) return 'STORE_FULL';
  if (/Disk quota exceeded|EDQUOT|Input\/output error/.test(message)) return 'STORE_WRITE_FAILED';
  return undefined;
}

export function isStoreWriteFault(error: unknown): error is PackrunError & { code: StoreWriteFault } {
  return isPackrunError(error) && (error.code === 'STORE_FULL' || error.code === 'STORE_WRITE_FAILED');
}
