import type { Readable } from 'node:stream';
import type mongoose from 'mongoose';
import { PackrunError } from '../errors.ts';
import { faultOfMongoError, storeWriteFault } from './store-write-faults.ts';
import type { BlobRef, ExecutionBlobField, ExecutionBlobs } from './types.ts';

/**
 * MongoDB's blobs: GridFS, bucket `execution_blobs`, one file per part with the execution id in
 * its metadata (indexed, so an execution's blobs are found without a scan). GridFS rather than a
 * plain collection: a document stops at 16 MiB, and a GridFS file is read in chunks, so a large
 * result streams to a client without being held whole. A file is named in a record only once its
 * upload completed; one whose record was never written (a completion that lost its race) is
 * discarded by the ledger.
 */
const bucketName = 'execution_blobs';

type Db = mongoose.mongo.Db;

export async function createGridFsBlobs(db: Db, mongo: typeof mongoose.mongo): Promise<ExecutionBlobs> {
  const bucket = new mongo.GridFSBucket(db, { bucketName });
  await db.collection(`${bucketName}.files`).createIndex({ 'metadata.executionId': 1 });

  const objectId = (executionId: string, ref: BlobRef): mongoose.mongo.ObjectId => {
    if (!/^[0-9a-f]{24}$/.test(ref.$blob)) {
      throw new PackrunError('STORE_BLOB_MISSING', `execution "${executionId}" names a blob "${ref.$blob}" this store never wrote`, { details: { executionId }, userError: false });
    }
    return new mongo.ObjectId(ref.$blob);
  };

  const deleteFiles = async (ids: mongoose.mongo.ObjectId[]): Promise<void> => {
    for (const id of ids) {
      try {
        await bucket.delete(id);
      } catch (error) {
        // Already gone (a removal that ran twice): nothing left to do.
        if (!/FileNotFound|not found/i.test((error as Error).message)) throw error;
      }
    }
  };

  return {
    async put(executionId: string, field: ExecutionBlobField, data: string): Promise<BlobRef> {
      const bytes = Buffer.from(data, 'utf8');
      const upload = bucket.openUploadStream(`${executionId}/${field}`, { metadata: { executionId, field } });
      try {
        await new Promise<void>((resolve, reject) => {
          upload.once('finish', () => resolve());
          upload.once('error', reject);
          upload.end(bytes);
        });
      } catch (error) {
        // The chunks written so far are removed, as a file blob's partial copy is.
        await upload.abort().catch(() => undefined);
        const fault = faultOfMongoError(error);
        if (fault === undefined) throw error;
        throw storeWriteFault(fault, `the ${field} of execution "${executionId}" (${bytes.length} bytes) to GridFS`, error, { executionId });
      }
      return { $blob: upload.id.toHexString(), size: bytes.length };
    },

    async open(executionId: string, ref: BlobRef): Promise<Readable> {
      const id = objectId(executionId, ref);
      const [file] = await bucket.find({ _id: id }).limit(1).toArray();
      if (file === undefined) {
        throw new PackrunError('STORE_BLOB_MISSING', `a blob of execution "${executionId}" is missing from GridFS bucket ${bucketName}`, {
          details: { executionId, blob: ref.$blob },
          userError: false,
        });
      }
      if (file.length !== ref.size) {
        throw new PackrunError('STORE_BLOB_DAMAGED', `a blob of execution "${executionId}" is ${file.length} bytes where ${ref.size} were written`, {
          details: { executionId, blob: ref.$blob, size: file.length, expected: ref.size },
          userError: false,
        });
      }
      return bucket.openDownloadStream(id);
    },

    async discard(executionId: string, refs: BlobRef[]): Promise<void> {
      await deleteFiles(refs.map((ref) => objectId(executionId, ref)));
    },

    async removeAll(executionIds: string[]): Promise<void> {
      if (executionIds.length === 0) return;
      const files = await bucket.find({ 'metadata.executionId': { $in: executionIds } }, { projection: { _id: 1 } }).toArray();
      await deleteFiles(files.map((file) => file._id));
    },
  };
}
