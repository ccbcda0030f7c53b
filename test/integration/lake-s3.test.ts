/** The S3 lake beyond the shared lake conformance suite, against the S3 server of the services (TEST_S3_ENDPOINT). */
import { expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3Lake } from '../../src/connectors/lake/s3.js';
import type { Config } from '../../src/core/config.js';
import { need, s3LakeConfig } from '../support/services.js';

const raw = () => new S3Client({ region: 'us-east-1', endpoint: need('TEST_S3_ENDPOINT'), forcePathStyle: true });

/** run fn with an S3 lake on a fresh bucket, removed afterwards */
async function withS3Lake(fn: (lake: S3Lake, cfg: Config) => Promise<void>, extra: Record<string, unknown> = {}): Promise<void> {
  const s = s3LakeConfig(extra);
  const lake = new S3Lake(s.cfg);
  try {
    await fn(lake, s.cfg);
  } finally {
    await lake.close();
    await s.drop();
  }
}

test('s3 lake: multipart for a big body (no upload left behind), key prefix, cache path', async () => {
  const s = s3LakeConfig({ 'lake.s3.prefix': 'team-a' });
  const { cfg } = s;
  const lake = new S3Lake(cfg);
  const c = raw();
  try {
    const big = randomBytes(17 * 1024 * 1024);
    await lake.put('curated/pins/dt=2026-11-27/part-0.parquet', big);
    await lake.put('raw/pin/x', 'x');
    const head = await c.send(new HeadObjectCommand({ Bucket: cfg.lake.s3.bucket, Key: 'team-a/curated/pins/dt=2026-11-27/part-0.parquet' }));
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/-3"$/); // three parts of at most 8 MiB
    expect((await c.send(new ListMultipartUploadsCommand({ Bucket: cfg.lake.s3.bucket }))).Uploads ?? []).toEqual([]);
    const listed = await c.send(new ListObjectsV2Command({ Bucket: cfg.lake.s3.bucket }));
    expect(listed.Contents!.map((o) => o.Key)).toEqual(['team-a/curated/pins/dt=2026-11-27/part-0.parquet', 'team-a/raw/pin/x']);
    expect(await lake.list('')).toEqual([
      { key: 'curated/pins/dt=2026-11-27/part-0.parquet', size: big.length },
      { key: 'raw/pin/x', size: 1 },
    ]);
    expect(await lake.localDir('curated/pins')).toBe(path.join(cfg.dataDir, 'cache/s3', cfg.lake.s3.bucket, 'team-a/curated/pins'));
  } finally {
    c.destroy();
    await lake.close();
    await s.drop();
  }
});

test('s3 lake: localDir downloads only missing or changed objects', async () => {
  await withS3Lake(async (lake) => {
    await lake.put('curated/geo/a', 'aaa');
    await lake.put('curated/geo/b', 'bbb');
    const dir = await lake.localDir('curated/geo/');
    const before = { a: statSync(path.join(dir, 'a')), b: statSync(path.join(dir, 'b')) };
    await new Promise((r) => setTimeout(r, 20));
    await lake.put('curated/geo/b', 'BBB'); // same size, new content and ETag
    await lake.localDir('curated/geo/');
    const after = { a: statSync(path.join(dir, 'a')), b: statSync(path.join(dir, 'b')) };
    expect([after.a.ino, after.a.mtimeMs]).toEqual([before.a.ino, before.a.mtimeMs]); // untouched
    expect(after.b.ino).not.toBe(before.b.ino); // replaced by a fresh download
    expect((await lake.get('curated/geo/b'))!.toString()).toBe('BBB');
    rmSync(path.join(dir, 'a')); // a cached file lost locally is fetched again
    await lake.localDir('curated/geo/');
    expect(statSync(path.join(dir, 'a')).size).toBe(3);
  });
});

test('s3 lake: mirrors of nested prefixes share what was downloaded (a query after batch-run fetches nothing again)', async () => {
  await withS3Lake(async (lake) => {
    await lake.put('raw/pin/dt=2026-11-26/hr=07/a.ndjson.gz', 'aaa');
    await lake.put('raw/pin/dt=2026-11-26/hr=08/b.ndjson.gz', 'bbb');
    await lake.put('raw/geo/dt=2026-11-26/hr=07/c.ndjson.gz', 'ccc');
    const day = await lake.localDir('raw/pin/dt=2026-11-26/');
    const a = statSync(path.join(day, 'hr=07', 'a.ndjson.gz'));
    const all = await lake.localDir('raw/');
    expect(path.join(all, 'pin', 'dt=2026-11-26')).toBe(day);
    const again = statSync(path.join(all, 'pin', 'dt=2026-11-26', 'hr=07', 'a.ndjson.gz'));
    expect([again.ino, again.mtimeMs]).toEqual([a.ino, a.mtimeMs]); // not downloaded twice
    expect(readFileSync(path.join(all, 'geo', 'dt=2026-11-26', 'hr=07', 'c.ndjson.gz'), 'utf8')).toBe('ccc');
    // a change seen through the wider prefix is seen through the narrower one too
    await lake.put('raw/pin/dt=2026-11-26/hr=08/b.ndjson.gz', 'BBB');
    await lake.localDir('raw/');
    const b = statSync(path.join(day, 'hr=08', 'b.ndjson.gz'));
    await lake.localDir('raw/pin/dt=2026-11-26/');
    expect(statSync(path.join(day, 'hr=08', 'b.ndjson.gz')).ino).toBe(b.ino);
    expect(readFileSync(path.join(day, 'hr=08', 'b.ndjson.gz'), 'utf8')).toBe('BBB');
  });
});

test('s3 lake: failures are LAKE_UNAVAILABLE, retriable, naming bucket and key but no credentials', async () => {
  const m = s3LakeConfig({ 'lake.s3.createBucket': false });
  const missing = m.cfg;
  const lake = new S3Lake(missing);
  try {
    const e = await lake.put('raw/pin/k', 'x').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ code: 'LAKE_UNAVAILABLE', retriable: true });
    expect((e as Error).message).toContain(`s3://${missing.lake.s3.bucket}/raw/pin/k`);
  } finally {
    await lake.close();
    await m.drop();
  }
  // credentials come from the SDK's default chain (here the environment): use recognizable ones
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'AKIDRECOGNIZABLE0001';
  process.env.AWS_SECRET_ACCESS_KEY = 'recognizable-secret-value-0001';
  const d = s3LakeConfig({ 'lake.s3.endpoint': 'http://127.0.0.1:1' });
  const down = d.cfg;
  const lake2 = new S3Lake(down);
  try {
    const e = await lake2.get('raw/pin/k').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ code: 'LAKE_UNAVAILABLE', retriable: true });
    expect((e as Error).message).toContain(`s3://${down.lake.s3.bucket}/raw/pin/k`);
    expect((e as Error).message).not.toMatch(/recognizable-secret|AKIDRECOGNIZABLE/);
  } finally {
    for (const [name, v] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (v === undefined) delete process.env[name];
      else process.env[name] = v;
    }
    await lake2.close();
    await d.drop();
  }
});
