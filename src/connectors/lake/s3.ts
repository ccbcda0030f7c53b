/**
 * The lake on S3 or any S3-compatible store (@aws-sdk/client-s3). Settings lake.s3: bucket,
 * endpoint (custom endpoint for S3-compatible servers), region, forcePathStyle, prefix (prepended
 * to every key, a '/' added if missing), createBucket (create it when missing: on connect, or on first use).
 * Credentials come only from the SDK's default chain (environment, shared profile, instance or
 * container role), never from pinpipe's config. Transient failures (5xx, throttling, network) are
 * retried by the SDK (maxAttempts) and then with backoff here; what still fails is
 * LAKE_UNAVAILABLE (retriable) naming bucket and key. Bodies over 8 MiB use multipart upload.
 * localDir(prefix) mirrors the objects under prefix (taken as a directory) into
 * `<dataDir>/cache/s3/<bucket>/<prefix>` (see s3-cache.ts).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';
import { SharedAttempt } from '../../core/serial.js';
import { withLock } from '../../core/lockfile.js';
import { checkKey, checkPrefix } from './keys.js';
import { mirror, type RemoteObject } from './s3-cache.js';
import { isNotFound, lakeError, withRetry } from './s3-errors.js';
import { PART_SIZE, bufferParts, multipartUpload } from './s3-upload.js';
import type { Lake, LakeObject } from './types.js';

const DELETE_BATCH = 1000;

export class S3Lake implements Lake {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly keyPrefix: string;
  private readonly region: string;
  private readonly createBucket: boolean;
  private readonly cacheRoot: string;
  private readonly bucketReady = new SharedAttempt();

  constructor(cfg: Config) {
    const s3 = cfg.lake.s3;
    this.bucket = s3.bucket;
    this.region = s3.region;
    this.createBucket = s3.createBucket;
    this.keyPrefix = s3.prefix === '' || s3.prefix.endsWith('/') ? s3.prefix : `${s3.prefix}/`;
    if (this.keyPrefix) checkPrefix(this.keyPrefix);
    this.cacheRoot = path.join(cfg.dataDir, 'cache');
    // The SDK warns on every run under Node 20 that its releases after January 2027 will need Node
    // 22; pinpipe pins its SDK version (package-lock.json), so the notice only adds noise to every
    // command's output. A user who wants it sets the variable to anything else.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      maxAttempts: 3,
      // plain checksums only where S3 requires them: S3-compatible servers vary in support
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private full = (key: string): string => this.keyPrefix + key;

  /** Run one lake operation: bucket ready, retries, errors wrapped. */
  private async op<T>(what: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.ensureBucket();
      return await withRetry(fn);
    } catch (e) {
      throw lakeError(what, this.bucket, this.full(key), e);
    }
  }

  private ensureBucket(): Promise<void> {
    if (!this.createBucket) return Promise.resolve();
    return this.bucketReady.run(() =>
      withRetry(async () => {
        try {
          const loc = this.region === 'us-east-1' ? undefined : { LocationConstraint: this.region as BucketLocationConstraint };
          await this.client.send(new CreateBucketCommand({ Bucket: this.bucket, CreateBucketConfiguration: loc }));
        } catch (e) {
          if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
        }
      }),
    );
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const k = this.full(checkKey(key));
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    await this.op('put', key, async () => {
      if (buf.length > PART_SIZE) await multipartUpload(this.client, this.bucket, k, buf.length, bufferParts(buf));
      else await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: k, Body: buf, ContentLength: buf.length }));
    });
  }

  /** nothing to get ready: putFile uploads the file as it is */
  async prepareFile(): Promise<void> {}

  async putFile(key: string, file: string): Promise<void> {
    const k = this.full(checkKey(key));
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size <= PART_SIZE) await this.put(key, await fh.readFile());
      else
        // read part by part: a large file is never whole in memory
        await this.op('put', key, () =>
          multipartUpload(this.client, this.bucket, k, size, async (start, end) => {
            const buf = Buffer.alloc(end - start);
            const { bytesRead } = await fh.read(buf, 0, buf.length, start);
            if (bytesRead !== buf.length) throw new Error(`${file} changed while uploading (${bytesRead} of ${buf.length} bytes at ${start})`);
            return buf;
          }),
        );
    } finally {
      await fh.close();
    }
    await fsp.rm(file, { force: true });
  }

  async get(key: string): Promise<Buffer | null> {
    const k = this.full(checkKey(key));
    return this.op('get', key, async () => {
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: k }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    const k = this.full(checkKey(key));
    return this.op('exists', key, async () => {
      try {
        await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: k }));
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    });
  }

  /** Every object under a full S3 prefix, with ETags, across ListObjectsV2 pages. */
  private async listFull(fullPrefix: string): Promise<{ key: string; size: number; etag: string }[]> {
    const out: { key: string; size: number; etag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await withRetry(() =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullPrefix, ContinuationToken: token, MaxKeys: 1000 })),
      );
      for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0, etag: o.ETag ?? '' });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async list(prefix: string): Promise<LakeObject[]> {
    checkPrefix(prefix);
    const objs = await this.op('list', prefix, () => this.listFull(this.full(prefix)));
    return objs
      .filter((o) => !o.key.endsWith('/')) // "directory" markers written by other tools
      .map((o) => ({ key: o.key.slice(this.keyPrefix.length), size: o.size }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: string[]): Promise<void> {
    const full = keys.map((k) => this.full(checkKey(k)));
    for (let i = 0; i < full.length; i += DELETE_BATCH) {
      const batch = full.slice(i, i + DELETE_BATCH);
      await this.op('delete', keys[i]!, async () => {
        const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        const failed = (res.Errors ?? []).filter((er) => er.Code !== 'NoSuchKey');
        if (failed.length)
          throw Object.assign(new Error(`${failed.length} object(s) not deleted, first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`), {
            name: 'DeleteObjectsError',
          });
      });
    }
  }

  async copy(from: string, to: string): Promise<boolean> {
    const [src, dst] = [this.full(checkKey(from)), this.full(checkKey(to))];
    return this.op('copy', from, async () => {
      try {
        // the source key URL-encoded, its '/' kept
        await this.client.send(
          new CopyObjectCommand({ Bucket: this.bucket, Key: dst, CopySource: `${this.bucket}/${src.split('/').map(encodeURIComponent).join('/')}` }),
        );
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    });
  }

  /** The object's URI for Hadoop's S3A filesystem (Spark): `s3a://bucket/<prefix><key>`. */
  s3aUri(key: string): string {
    return `s3a://${this.bucket}/${this.full(key)}`;
  }

  /** Remove every object under prefix, also those list() leaves out ("directory" markers that S3A writes). */
  async removeAll(prefix: string): Promise<number> {
    checkPrefix(prefix);
    if (!prefix) throw new PinpipeError('INTERNAL', 'removeAll needs a prefix');
    const keys = (await this.op('list', prefix, () => this.listFull(this.full(prefix)))).map((o) => o.key);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      await this.op('delete', prefix, () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
    }
    return keys.length;
  }

  async localDir(prefix: string): Promise<string> {
    checkPrefix(prefix);
    const dirPrefix = this.full(prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`);
    const bucketDir = path.join(this.cacheRoot, 's3', this.bucket);
    const dir = path.join(bucketDir, ...dirPrefix.split('/').filter(Boolean));
    return this.op('localDir', prefix, async () => {
      await fsp.mkdir(path.dirname(bucketDir), { recursive: true });
      // one mirror at a time per bucket, across processes sharing the data dir
      await withLock(
        `${bucketDir}.lock`,
        async () => {
          const objects: RemoteObject[] = [];
          for (const o of await this.listFull(dirPrefix)) {
            const rel = o.key.slice(dirPrefix.length);
            try {
              checkKey(rel);
            } catch {
              continue; // a directory marker or a key that cannot be a local path
            }
            objects.push({ rel, key: o.key, size: o.size, etag: o.etag });
          }
          await mirror(this.client, this.bucket, objects, dir, path.join(this.cacheRoot, 's3-manifests', this.bucket));
        },
        600_000,
      );
      return dir;
    });
  }

  /** the client connects on each request; the bucket is created here, if configured (else on first use) */
  async connect(): Promise<void> {
    try {
      await this.ensureBucket();
    } catch (e) {
      throw lakeError('create bucket', this.bucket, this.keyPrefix, e);
    }
  }

  /** the bucket answers one listing request (no retries beyond the SDK's) */
  async health(): Promise<void> {
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyPrefix, MaxKeys: 1 }));
    } catch (e) {
      throw lakeError('health check', this.bucket, this.keyPrefix, e);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
