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
import { withRetry } from './s3-errors.js';

export const PART_SIZE = 8 * 1024 * 1024;
const PARALLEL_PARTS = 4;

export async function multipartUpload(client: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  const created = await withRetry(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
  const uploadId = created.UploadId!;
  try {
    const count = Math.ceil(body.length / PART_SIZE);
    const etags: string[] = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const part = body.subarray(i * PART_SIZE, Math.min(body.length, (i + 1) * PART_SIZE));
        const res = await withRetry(() =>
          client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: part, ContentLength: part.length })),
        );
        etags[i] = res.ETag!;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
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
