/**
 * The local lake: a directory `<dataDir>/lake` holding objects as files at their keys.
 * put() is atomic (temporary file in the same directory, fsync, rename, fsync of the directory),
 * so a reader sees the old object, the new one or none, never a partial one. Temporary files
 * (basename starting with `.tmp.`) are never listed; stale ones from a crash are ignored.
 */
import { randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.js';
import { PinpipeError, isPinpipeError } from '../../core/errors.js';
import { TMP_PREFIX, checkKey, checkPrefix } from './keys.js';
import type { Lake, LakeObject } from './types.js';

export class LocalLake implements Lake {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(cfg: Config) {
    this.root = path.join(cfg.dataDir, 'lake');
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const file = this.file(key);
    const dir = path.dirname(file);
    const tmp = path.join(dir, `${TMP_PREFIX}${process.pid}.${randomBytes(6).toString('hex')}.${path.basename(file)}`);
    await io('put', key, async () => {
      await intoDir(dir, async () => {
        try {
          await writeTmp(tmp, body);
          await fsp.rename(tmp, file);
        } catch (e) {
          await fsp.rm(tmp, { force: true });
          throw e;
        }
      });
      await syncPath(dir);
    });
  }

  async putFile(key: string, file: string): Promise<void> {
    const dest = this.file(key);
    const dir = path.dirname(dest);
    await io('put', key, async () => {
      // the bytes on disk before the object appears (rename does not flush them)
      const fh = await fsp.open(file, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await intoDir(dir, () => fsp.rename(file, dest));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        // another file system: a copy, atomic as put() is
        await this.put(key, await fsp.readFile(file));
        await fsp.rm(file, { force: true });
        return;
      }
      await syncPath(dir);
    });
  }

  async prepareFile(file: string): Promise<void> {
    await syncPath(file).catch(() => undefined);
  }

  async get(key: string): Promise<Buffer | null> {
    const file = this.file(key);
    return io('get', key, async () => {
      try {
        return await fsp.readFile(file);
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    });
  }

  async exists(key: string): Promise<boolean> {
    const file = this.file(key);
    return io('exists', key, async () => {
      try {
        return (await fsp.stat(file)).isFile();
      } catch (e) {
        if (isMissing(e)) return false;
        throw e;
      }
    });
  }

  async list(prefix: string): Promise<LakeObject[]> {
    checkPrefix(prefix);
    // start at the deepest directory that the prefix fully names
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut + 1);
    const out: LakeObject[] = [];
    await io('list', prefix, async () => {
      await walk(path.join(this.root, ...base.split('/').filter(Boolean)), base, prefix, out);
    });
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async delete(keys: string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const file = this.file(key);
      await io('delete', key, async () => {
        try {
          await fsp.unlink(file);
          dirs.add(path.dirname(file));
        } catch (e) {
          if (!isMissing(e)) throw e;
        }
      });
    }
    // prune directories left empty (best effort; a concurrent put may refill them)
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
      for (let d = dir; d.startsWith(this.root + path.sep); d = path.dirname(d)) {
        try {
          await fsp.rmdir(d);
        } catch {
          break;
        }
      }
    }
  }

  async copy(from: string, to: string): Promise<boolean> {
    const body = await this.get(from);
    if (body === null) return false;
    await this.put(to, body);
    return true;
  }

  async localDir(prefix: string): Promise<string> {
    checkPrefix(prefix);
    const dir = path.join(this.root, ...prefix.split('/').filter(Boolean));
    await io('localDir', prefix, () => fsp.mkdir(dir, { recursive: true }));
    return dir;
  }

  /** nothing to connect: files are opened when used */
  async connect(): Promise<void> {}

  /** the lake directory can be read (a lake not created yet is healthy) */
  async health(): Promise<void> {
    await io('health', '', async () => {
      try {
        await fsp.readdir(this.root);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    });
  }

  async close(): Promise<void> {}
}

async function walk(dir: string, dirKey: string, prefix: string, out: LakeObject[]): Promise<void> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw e;
  }
  for (const ent of entries) {
    if (ent.name.startsWith(TMP_PREFIX)) continue;
    const key = dirKey + ent.name;
    if (ent.isDirectory()) {
      const sub = key + '/';
      // descend only where keys can still match the prefix
      if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(path.join(dir, ent.name), sub, prefix, out);
    } else if (ent.isFile() && key.startsWith(prefix)) {
      // a synchronous stat: ~15 µs, a third of an awaited one (a listing of a day of 10M records,
      // 12,960 objects: 0.18 s instead of 0.6 s); the event loop gets a turn every STAT_BATCH files
      if (out.length % STAT_BATCH === STAT_BATCH - 1) await new Promise((r) => setImmediate(r));
      try {
        out.push({ key, size: fs.statSync(path.join(dir, ent.name)).size });
      } catch (e) {
        if (!isMissing(e)) throw e; // deleted meanwhile
      }
    }
  }
}

const STAT_BATCH = 256;

/**
 * Make `dir` and run `place` (which puts a file into it); a concurrent delete may prune the
 * directory between the two (ENOENT): try again, a few times.
 */
async function intoDir(dir: string, place: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.mkdir(dir, { recursive: true });
      await place();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw e;
    }
  }
}

async function writeTmp(tmp: string, body: Buffer | string): Promise<void> {
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * fsync a directory (after a rename into it) or a file (prepareFile); a file system that cannot is
 * not an error: the rename is still atomic, and putFile syncs the file itself.
 */
async function syncPath(target: string): Promise<void> {
  const fh = await fsp.open(target, 'r');
  try {
    await fh.sync();
  } catch {
    // some file systems cannot fsync a directory
  } finally {
    await fh.close();
  }
}

/** absent as an object: no such file, or a directory (a key prefix, not an object) */
const isMissing = (e: unknown) => ['ENOENT', 'EISDIR', 'ENOTDIR'].includes((e as NodeJS.ErrnoException)?.code ?? '');

async function io<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isPinpipeError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new PinpipeError('LAKE_UNAVAILABLE', `local lake ${op} ${JSON.stringify(key)} failed: ${code}: ${(e as Error).message}`, {
      retriable: true,
      cause: e,
    });
  }
}
