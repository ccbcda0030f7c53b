/**
 * The S3 lake's localDir(): mirror the objects under a prefix into a local directory for the
 * engine (DuckDB reads local files; httpfs is not available). Only missing or changed objects are
 * downloaded (size and ETag compared with manifests kept outside the mirrored tree, plus the
 * local file's size), files of objects no longer present are deleted, and empty directories are
 * pruned, so the directory holds exactly the objects under the prefix. Downloads stream to a
 * temporary file renamed into place (bounded memory, never a partial file under a real name).
 * Callers serialize mirrors of one bucket with a lock (several processes may share the cache).
 *
 * There is one manifest per directory of keys (e.g. raw/pin/dt=D/hr=07/), so mirrors of nested
 * prefixes share them: batch-run mirrors raw/<topic>/dt=D/, an ad hoc query raw/, and the query
 * finds the day already downloaded (one manifest per mirrored prefix made it fetch all 12,960
 * objects of a day again).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forEachLimit } from '../../core/parallel.js';
import { TMP_PREFIX } from './keys.js';
import { withRetry } from './s3-errors.js';

export interface RemoteObject {
  /** key relative to the mirrored prefix */
  rel: string;
  /** full S3 key */
  key: string;
  size: number;
  etag: string;
}

/** file name → what was downloaded, for one directory of keys */
type Manifest = Record<string, { size: number; etag: string }>;
/** real S3 answers a GET in tens of ms: a day is ~13,000 objects (one per minute, partition and topic) */
const PARALLEL_DOWNLOADS = 16;

const leafOf = (key: string): string => key.slice(0, key.lastIndexOf('/') + 1);
const nameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

/** Mirror `objects` into `dir`; manifests live in `metaRoot` (one per directory of keys). */
export async function mirror(client: S3Client, bucket: string, objects: RemoteObject[], dir: string, metaRoot: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const leaves = new Map<string, { old: Manifest; next: Manifest }>();
  const todo: RemoteObject[] = [];
  for (const o of objects) {
    const leaf = leafOf(o.key);
    let m = leaves.get(leaf);
    if (!m) leaves.set(leaf, (m = { old: await readManifest(manifestPath(metaRoot, leaf)), next: {} }));
    const have = m.old[nameOf(o.key)];
    const size = await fileSize(path.join(dir, ...o.rel.split('/')));
    if (have && have.etag === o.etag && have.size === o.size && size === o.size) m.next[nameOf(o.key)] = have;
    else todo.push(o);
  }
  let done = false;
  try {
    await forEachLimit(todo, PARALLEL_DOWNLOADS, async (o) => {
      leaves.get(leafOf(o.key))!.next[nameOf(o.key)] = await download(client, bucket, o, path.join(dir, ...o.rel.split('/')));
    });
    done = true;
  } finally {
    // rewrite the manifests that changed: after a failure keeping what was known too, after
    // success exactly what is there
    for (const [leaf, m] of leaves) {
      const changed = Object.keys(m.next).some((n) => m.next[n] !== m.old[n]) || Object.keys(m.old).some((n) => !(n in m.next));
      if (changed) await writeManifest(manifestPath(metaRoot, leaf), done ? m.next : { ...m.old, ...m.next });
    }
  }
  const keep = new Set(objects.map((o) => o.rel));
  await prune(dir, '', keep);
}

async function download(client: S3Client, bucket: string, o: RemoteObject, file: string): Promise<{ size: number; etag: string }> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `${TMP_PREFIX}${process.pid}.${randomBytes(6).toString('hex')}.${path.basename(file)}`);
  try {
    return await withRetry(async () => {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
      await pipeline(res.Body as Readable, createWriteStream(tmp));
      await fsp.rename(tmp, file);
      return { size: res.ContentLength ?? o.size, etag: res.ETag ?? o.etag };
    });
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Delete files not in keep (and stale temporary files), then empty directories; true if dir ends empty. */
async function prune(dir: string, rel: string, keep: Set<string>): Promise<boolean> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let left = 0;
  for (const ent of entries) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (await prune(full, `${rel}${ent.name}/`, keep)) await fsp.rmdir(full).catch(() => left++);
      else left++;
    } else if (keep.has(rel + ent.name)) left++;
    else await fsp.rm(full, { force: true });
  }
  return left === 0;
}

async function fileSize(file: string): Promise<number | null> {
  try {
    const st = await fsp.stat(file);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

async function readManifest(file: string): Promise<Manifest> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as Manifest;
  } catch {
    return {};
  }
}

async function writeManifest(file: string, m: Manifest): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(m));
  await fsp.rename(tmp, file);
}

/** The manifest of one directory of keys: `<metaRoot>/<sha1 of the directory's full prefix>.json`. */
export const manifestPath = (metaRoot: string, fullPrefix: string): string =>
  path.join(metaRoot, `${createHash('sha1').update(fullPrefix).digest('hex')}.json`);
