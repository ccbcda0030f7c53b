/**
 * Checked metric definitions, cached in the data directory, so that a role starting with unchanged
 * metric files does not start the engine to parse and bind them again (about 1 s and 45 MB at the
 * start of consume-stream, status or the dashboard). The key is a hash of everything the check
 * depends on: each accepted file as parsed (path, header, SQL), the code that checks and compiles
 * them (pinpipe's own metrics and engine modules, as installed) and the engine's version. Any change
 * to one of them is a miss, and the files are checked as if there were no cache. A cache file that
 * cannot be read or written is ignored: the cache only ever saves time.
 *
 * The package ships one entry of its own: the built-in files checked when it was built
 * (scripts/precheck-metrics.mjs writes PACKAGE_CACHE_DIR after tsc), so that a role with no metric
 * files of the user's starts without the engine even on a fresh data directory.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricFile } from './file.js';

const FORMAT = 1;
/** cache files kept (one per set of definitions); older ones are removed */
const KEEP = 4;
const HERE = path.dirname(fileURLToPath(import.meta.url));

let codeHash: string | null = null;

/** a hash of the modules that check and compile metric files, and of the engine's version */
function codeFingerprint(): string {
  if (codeHash !== null) return codeHash;
  const h = createHash('sha256').update(`format ${FORMAT}\n`);
  for (const dir of [HERE, path.join(HERE, 'realtime'), path.resolve(HERE, '../engine'), path.resolve(HERE, '../engine/metrics')]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(js|ts)$/.test(name) || name.endsWith('.d.ts')) continue;
      h.update(`${name}\n`).update(readFileSync(path.join(dir, name)));
    }
  }
  try {
    const main = createRequire(import.meta.url).resolve('@duckdb/node-api');
    let dir = path.dirname(main);
    while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    h.update(readFileSync(path.join(dir, 'package.json')));
  } catch {
    h.update('engine version unknown');
  }
  codeHash = h.digest('hex');
  return codeHash;
}

/**
 * The cache key of a set of accepted metric files. A built-in file counts by its name, not by the
 * path it was read from (relative to the working directory when below it): the package's entry
 * serves every working directory.
 */
export function cacheKey(files: readonly MetricFile[]): string {
  const keyed = files.map((f) => (f.builtin ? { ...f, file: `builtin/${path.basename(f.file)}` } : f));
  return createHash('sha256').update(codeFingerprint()).update(JSON.stringify(keyed)).digest('hex').slice(0, 32);
}

/** where a data directory keeps checked definitions */
export const dataCacheDir = (dataDir: string) => path.join(dataDir, 'cache', 'metrics');
/** the built-in definitions checked when the package was built (next to this module, in dist/) */
export const PACKAGE_CACHE_DIR = path.join(HERE, 'checked');

/** the checked metrics stored under this key in the first of these directories that has them, or null */
export function readCached<T>(dirs: readonly string[], key: string): T[] | null {
  for (const dir of dirs) {
    try {
      const doc = JSON.parse(readFileSync(path.join(dir, `${key}.json`), 'utf8')) as { key?: string; metrics?: T[] };
      if (doc.key === key && Array.isArray(doc.metrics)) return doc.metrics;
    } catch {
      // not there, or unreadable: the next directory, else a miss
    }
  }
  return null;
}

/** store checked metrics under this key in `dir` (only below an existing directory: a data dir, dist/; best effort) */
export function writeCached(dir: string, key: string, metrics: readonly unknown[]): void {
  try {
    if (!statSync(path.dirname(path.dirname(dir))).isDirectory()) return;
    for (const d of [path.dirname(dir), dir]) if (!existsSync(d)) mkdirSync(d);
    const file = path.join(dir, `${key}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, metrics }));
    renameSync(tmp, file);
    const old = readdirSync(dir)
      .filter((n) => n.endsWith('.json') && n !== `${key}.json`)
      .map((n) => ({ n, t: statSync(path.join(dir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t)
      .slice(KEEP - 1);
    for (const o of old) rmSync(path.join(dir, o.n), { force: true });
  } catch {
    // a read-only or missing data directory: no cache, the next start checks again
  }
}
