/**
 * src/engine/unreadable.ts over a raw zone of many files: each file's count of unreadable lines is
 * its own (the files are counted several at a time), the cache answers a second call, and a
 * damaged file makes the count fail with the file's error rather than a wrong figure.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../src/core/config.js';
import { openEngine } from '../../src/engine/duckdb.js';
import { unreadableLines, unreadableWarningFor } from '../../src/engine/unreadable.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-unreadable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** raw chunk k of a topic: 3 stamped lines, then k lines the engine cannot read (broken JSON) */
function writeRaw(rawDir: string, topic: string, k: number): string {
  const dir = path.join(rawDir, topic, 'dt=2026-11-20', `hr=${String(k % 24).padStart(2, '0')}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${topic}+0+${String(k * 100).padStart(10, '0')}.ndjson.gz`);
  const good = [0, 1, 2].map((i) => JSON.stringify({ ind: k * 100 + i, event_id: `e-${k}-${i}`, _partition: 0, _offset: k * 100 + i }));
  const bad = Array.from({ length: k }, (_, i) => `{"ind": ${i}, "event_id": "broken`);
  writeFileSync(file, gzipSync([...good, ...bad].join('\n') + '\n'));
  return file;
}

describe('unreadable raw lines over many files', () => {
  test('every file gets its own count, whatever order the counting finishes in; the cache answers for files it knows; a damaged file fails the count', async () => {
    const rawDir = path.join(root, 'lake', 'raw');
    const files = Array.from({ length: 40 }, (_, k) => writeRaw(rawDir, 'geo', k));
    const cfg = loadConfig({ env: {}, flags: { dataDir: root } });
    const engine = await openEngine(cfg);
    const cacheFile = path.join(root, 'cache', 'raw-unreadable.json');
    try {
      const byFile = (list: { file: string; lines: number }[]) => Object.fromEntries(list.map((f) => [f.file, f.lines]));
      const want = Object.fromEntries(files.slice(1).map((f, i) => [f, i + 1]));
      const ticks: [number, number][] = [];
      expect(byFile(await unreadableLines(engine, rawDir, ['geo'], cacheFile, (n, total) => ticks.push([n, total])))).toEqual(want);
      // progress: one tick per file counted, of all the files to count
      expect(ticks).toEqual(files.map((_, i) => [i + 1, files.length]));
      // the cache holds every file (those without unreadable lines too), and answers for the files it knows
      const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, { lines: number; mtimeMs: number }>;
      expect(Object.keys(cache).sort()).toEqual([...files].sort());
      writeFileSync(cacheFile, JSON.stringify({ ...cache, [files[5]!]: { ...cache[files[5]!], lines: 99 } }));
      ticks.length = 0;
      expect(byFile(await unreadableLines(engine, rawDir, ['geo'], cacheFile, (n, total) => ticks.push([n, total])))).toEqual({ ...want, [files[5]!]: 99 });
      expect(ticks).toEqual([]);
      // entries of other modification times are counted again
      writeFileSync(cacheFile, JSON.stringify(Object.fromEntries(files.map((f) => [f, { ...cache[f], mtimeMs: 0 }]))));
      expect(byFile(await unreadableLines(engine, rawDir, ['geo'], cacheFile))).toEqual(want);

      // a damaged chunk: the warning says the count failed, and why
      const damaged = writeRaw(rawDir, 'user', 7);
      writeRaw(rawDir, 'user', 8);
      writeFileSync(damaged, readFileSync(damaged).subarray(0, 20));
      const warning = await unreadableWarningFor(engine, rawDir, 'SELECT * FROM raw_user');
      // (the engine reads past it; gunzip of the file, in the counting, fails)
      expect(warning).toBe('could not count the raw lines the engine cannot read: Error: unexpected end of file');
    } finally {
      engine.close();
    }
  });
});
