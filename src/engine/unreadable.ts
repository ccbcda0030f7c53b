/**
 * Raw lines the engine cannot read are counted and reported, never left out in silence. The raw
 * views read the chunks with read_json(ignore_errors): a line DuckDB cannot parse (broken JSON,
 * or a string with an unpaired surrogate such as "\ud800", which JSON.parse accepted) becomes a
 * row of NULLs, which the views leave out with the lines that are not stamped records; and a line
 * cut short can take the next line down with it. So the unreadable lines of a file are its
 * non-empty lines (counted here, after gunzip) minus the rows the engine reads with `_offset` or
 * `event_id` (consume-batch writes both on every line).
 *
 * Raw chunks are immutable, so each file is counted once and remembered in a small cache file
 * (by path, size and modification time): a query pays for the files it has not seen before.
 */
import { createReadStream, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { TOPICS, type RecordType } from '../core/records.js';
import { errorMessage } from '../core/errors.js';
import { forEachLimit } from '../core/parallel.js';
import type { Engine } from './duckdb.js';
import { sqlStringList } from './duckdb.js';
import { rawGlob } from './views.js';

export interface UnreadableFile {
  file: string;
  topic: RecordType;
  lines: number;
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  lines: number;
}

/** The raw topics a statement reads, by the names of their views (a mention in a string counts too: then one count too many). */
export function referencedRawTopics(sql: string): RecordType[] {
  return TOPICS.filter((t) => new RegExp(`\\braw_${t}\\b`, 'i').test(sql));
}

/** The warning for unreadable lines, or null when there are none; at most `maxFiles` files are named. */
export function unreadableWarning(list: UnreadableFile[], maxFiles = 5): string | null {
  const bad = list.filter((f) => f.lines > 0).sort((a, b) => b.lines - a.lines || (a.file < b.file ? -1 : 1));
  if (bad.length === 0) return null;
  const lines = bad.reduce((n, f) => n + f.lines, 0);
  const views = [...new Set(bad.map((f) => `raw_${f.topic}`))].sort().join(', ');
  const named = bad
    .slice(0, maxFiles)
    .map((f) => `${f.file} (${f.lines})`)
    .join(', ');
  const more = bad.length > maxFiles ? ` and ${bad.length - maxFiles} more file(s)` : '';
  return `${lines} line(s) of ${bad.length} raw file(s) could not be read (not JSON the engine accepts, e.g. an unpaired surrogate) and are not in ${views}: ${named}${more}`;
}

/** Non-empty lines of a gzipped file (streamed: memory stays one chunk). */
export async function nonEmptyLines(file: string): Promise<number> {
  let n = 0;
  let atLineStart = true;
  for await (const chunk of createReadStream(file).pipe(createGunzip()) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
      if (!(atLineStart && i === from)) n++;
      from = i + 1;
      atLineStart = true;
    }
    if (from < chunk.length) atLineStart = false;
  }
  return atLineStart ? n : n + 1;
}

/** files counted at once: their gunzip runs on libuv's thread pool (4 threads by default), so both cores work */
const COUNT_PARALLEL = 4;

/** nonEmptyLines of each file, COUNT_PARALLEL at a time (a raw zone of a day is ~13,000 small files); the first failure stops the rest */
async function countAll(files: string[], onCounted: () => void): Promise<number[]> {
  const out: number[] = new Array(files.length);
  await forEachLimit(files, COUNT_PARALLEL, async (file, i) => {
    out[i] = await nonEmptyLines(file);
    onCounted();
  });
  return out;
}

function readCache(file: string): Record<string, CacheEntry> {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, CacheEntry>) : {};
  } catch {
    return {};
  }
}

function writeCache(file: string, cache: Record<string, CacheEntry>): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, file);
  } catch {
    // only a cache: the next query counts again
  }
}

/** files counted so far of those the cache did not know (the first query over a day of 10M records counts ~13,000) */
export type CountProgress = (counted: number, total: number) => void;

/** Unreadable lines per raw file of the given topics (files with none are left out). `cacheFile`: remember counts there. */
export async function unreadableLines(
  engine: Engine,
  rawDir: string,
  topics: readonly RecordType[],
  cacheFile?: string,
  onProgress?: CountProgress,
): Promise<UnreadableFile[]> {
  const cache = cacheFile ? readCache(cacheFile) : {};
  const out: UnreadableFile[] = [];
  const todos: { topic: RecordType; todo: { file: string; size: number; mtimeMs: number }[] }[] = [];
  for (const topic of topics) {
    const files = (await engine.all('SELECT file FROM glob($1) ORDER BY file', [rawGlob(rawDir, topic)])).map((r) => String(r.file));
    const todo: { file: string; size: number; mtimeMs: number }[] = [];
    for (const file of files) {
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st) continue;
      const hit = cache[file];
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
        if (hit.lines > 0) out.push({ file, topic, lines: hit.lines });
      } else todo.push({ file, size: st.size, mtimeMs: st.mtimeMs });
    }
    if (todo.length) todos.push({ topic, todo });
  }
  const total = todos.reduce((n, t) => n + t.todo.length, 0);
  let counted = 0;
  for (const { topic, todo } of todos) {
    const readable = new Map<string, number>();
    const rows = await engine.all(
      `SELECT filename AS file, count(*) FILTER (WHERE _offset IS NOT NULL OR event_id IS NOT NULL) AS n FROM read_json(${sqlStringList(todo.map((t) => t.file))}, ` +
        "format = 'newline_delimited', ignore_errors = true, filename = true, hive_partitioning = false, columns = {_offset: 'BIGINT', event_id: 'VARCHAR'}) GROUP BY filename",
    );
    for (const r of rows) readable.set(String(r.file), Number(r.n));
    const lines = await countAll(
      todo.map((t) => t.file),
      () => onProgress?.(++counted, total),
    );
    todo.forEach((t, i) => {
      const n = Math.max(0, lines[i]! - (readable.get(t.file) ?? 0));
      cache[t.file] = { size: t.size, mtimeMs: t.mtimeMs, lines: n };
      if (n > 0) out.push({ file: t.file, topic, lines: n });
    });
  }
  if (cacheFile && total > 0) writeCache(cacheFile, cache);
  return out;
}

/** unreadableLines for the warning of a query; a failure of the count itself is reported, not thrown. */
export async function unreadableWarningFor(
  engine: Engine,
  rawDir: string,
  sql: string,
  cacheFile?: string,
  onProgress?: CountProgress,
): Promise<string | null> {
  const topics = referencedRawTopics(sql);
  if (topics.length === 0) return null;
  try {
    return unreadableWarning(await unreadableLines(engine, rawDir, topics, cacheFile, onProgress));
  } catch (e) {
    return `could not count the raw lines the engine cannot read: ${errorMessage(e)}`;
  }
}
