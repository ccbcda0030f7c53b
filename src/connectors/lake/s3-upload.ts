/**
 * Multipart upload with client-s3 alone: CreateMultipartUpload, UploadPart (a few in parallel,
 * each retried), CompleteMultipartUpload; AbortMultipartUpload on any failure so that no partial
 * upload lingers. The object appears only at Complete, atomically.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { forEachLimit } from '../../core/parallel.js';
import { withRetry } from './s3-errors.js';

export const PART_SIZE = 8 * 1024 * 1024;
const PARALLEL_PARTS = 4;

/** The bytes [start, end) of what is uploaded (a Buffer's slice, or a read of a file). */
export type PartReader = (start: number, end: number) => Promise<Buffer>;

/** A Buffer as parts. */
export const bufferParts =
  (body: Buffer): PartReader =>
  (start, end) =>
    Promise.resolve(body.subarray(start, end));

/** Upload `size` bytes read part by part (at most PARALLEL_PARTS parts in memory at once). */
export async function multipartUpload(client: S3Client, bucket: string, key: string, size: number, read: PartReader): Promise<void> {
  const created = await withRetry(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
  const uploadId = created.UploadId!;
  try {
    const count = Math.ceil(size / PART_SIZE);
    const etags: string[] = new Array(count);
    // on a failure, the parts in flight finish before the upload is aborted
    const parts = Array.from({ length: count }, (_, i) => i);
    await forEachLimit(parts, PARALLEL_PARTS, async (i) => {
      const part = await read(i * PART_SIZE, Math.min(size, (i + 1) * PART_SIZE));
      const res = await withRetry(() =>
        client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: part, ContentLength: part.length })),
      );
      etags[i] = res.ETag!;
    });
    await withRetry(() =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      ),
    );
  } catch (e) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
    throw e;
  }
}
