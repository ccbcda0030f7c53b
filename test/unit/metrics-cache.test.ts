/**
 * Checked metric definitions cached in the data directory (src/metrics/cache.ts): a hit gives the
 * same definitions as a full check; any change to a file is a miss and is checked again; a broken
 * cache file is ignored; `metrics check` never uses the cache.
 */
import { afterAll, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { PinpipeError } from '../../src/core/errors.js';
import { loadMetrics } from '../../src/metrics/registry.js';

const FIXTURES = path.resolve('test/fixtures/metrics');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-metrics-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function setUp(name: string) {
  const dataDir = path.join(tmp, name, 'data');
  const dir = path.join(tmp, name, 'metrics');
  cpSync(FIXTURES, dir, { recursive: true });
  cpSync(FIXTURES, dataDir, { recursive: true }); // any existing directory will do
  const cfg = loadConfig({ env: {}, flags: { dataDir } });
  const cacheFiles = () => {
    try {
      return readdirSync(path.join(dataDir, 'cache', 'metrics'));
    } catch {
      return [];
    }
  };
  return { cfg, dir, dataDir, cacheFiles };
}

test('a second load reads the cache and gives the same definitions as a full check', async () => {
  const { cfg, dir, dataDir, cacheFiles } = setUp('same');
  const checked = await loadMetrics(cfg, { dir, cache: false });
  expect(cacheFiles()).toEqual([]);
  const first = await loadMetrics(cfg, { dir });
  expect(cacheFiles()).toHaveLength(1);
  const second = await loadMetrics(cfg, { dir });
  for (const s of [first, second]) {
    expect(s.all).toEqual(checked.all);
    expect(s.layout.columns).toEqual(checked.layout.columns);
    expect(s.postingsColumns).toEqual(checked.postingsColumns);
  }
  // and it is the cache that answered: what the cache file says is what a load returns
  const file = path.join(dataDir, 'cache', 'metrics', cacheFiles()[0]!);
  writeFileSync(file, readFileSync(file, 'utf8').replace('"title":"Postings per minute by category"', '"title":"(from the cache) R1"'));
  expect((await loadMetrics(cfg, { dir })).get('R1').title).toMatch(/^\(from the cache\) R1/);
  expect(second.realtime.map((m) => m.id).sort()).toEqual(['R1', 'R2', 'R3', 'R4', 'R5', 'big_posters_by_country', 'media_per_minute']);
});

test('a changed file is checked again: a refusal is not hidden by an earlier good check', async () => {
  const { cfg, dir, cacheFiles } = setUp('changed');
  await loadMetrics(cfg, { dir });
  writeFileSync(path.join(dir, 'media_per_minute.sql'), '-- kind: realtime\nSELECT media_type, count(*) AS n FROM pins GROUP BY no_such_column\n');
  const err = await loadMetrics(cfg, { dir }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PinpipeError);
  expect((err as PinpipeError).code).toBe('METRIC_INVALID');
  expect((err as Error).message).toMatch(/media_per_minute\.sql.*no_such_column/s);
  expect(cacheFiles()).toHaveLength(1); // nothing cached for the refused set
  // a valid change: a new title is a new key, and the new title is what the set holds
  writeFileSync(
    path.join(dir, 'media_per_minute.sql'),
    '-- title: Media per minute (new)\n-- kind: realtime\nSELECT media_type, count(*) AS n FROM pins GROUP BY media_type\n',
  );
  const s = await loadMetrics(cfg, { dir });
  expect(s.get('media_per_minute').title).toBe('Media per minute (new)');
  expect(cacheFiles()).toHaveLength(2);
});

test('a broken cache file is ignored and replaced', async () => {
  const { cfg, dir, dataDir, cacheFiles } = setUp('broken');
  const good = await loadMetrics(cfg, { dir });
  const [name] = cacheFiles();
  writeFileSync(path.join(dataDir, 'cache', 'metrics', name!), '{"key": "x", "metri');
  const again = await loadMetrics(cfg, { dir });
  expect(again.all).toEqual(good.all);
  const third = await loadMetrics(cfg, { dir });
  expect(third.all).toEqual(good.all);
});

test('no data directory yet: no cache, the definitions are checked', async () => {
  const cfg = loadConfig({ env: {}, flags: { dataDir: path.join(tmp, 'absent', 'data') } });
  const s = await loadMetrics(cfg, { dir: null });
  expect(s.all.map((m) => m.id)).toContain('Q1');
  expect(() => readdirSync(path.join(tmp, 'absent'))).toThrow();
});

test('the built-in files count by name: an entry written from one working directory serves another, with the paths as read there', async () => {
  const { cfg, cacheFiles } = setUp('cwd');
  const home = process.cwd();
  const fromRoot = await loadMetrics(cfg, { dir: null });
  expect(fromRoot.get('Q1').file).toBe(path.join('src', 'metrics', 'builtin', 'Q1.sql'));
  expect(cacheFiles()).toHaveLength(1);
  try {
    process.chdir(tmp);
    const elsewhere = await loadMetrics(cfg, { dir: null });
    expect(cacheFiles()).toHaveLength(1); // the same key: served from the entry above
    expect(elsewhere.get('Q1').file).toBe(path.join(home, 'src', 'metrics', 'builtin', 'Q1.sql'));
    expect(elsewhere.all.map((m) => ({ ...m, file: '' }))).toEqual(fromRoot.all.map((m) => ({ ...m, file: '' })));
  } finally {
    process.chdir(home);
  }
});

test("a cache directory of its own, as the build writes the package's entry: written once, then what it holds is served", async () => {
  const pkg = path.join(tmp, 'pkg', 'dist', 'metrics', 'checked');
  mkdirSync(path.dirname(pkg), { recursive: true });
  const { cfg: buildCfg, cacheFiles } = setUp('build');
  const built = await loadMetrics(buildCfg, { dir: null, cacheDir: pkg });
  expect(readdirSync(pkg)).toHaveLength(1);
  const file = path.join(pkg, readdirSync(pkg)[0]!);
  writeFileSync(file, readFileSync(file, 'utf8').replace('"title":"Most popular category per country"', '"title":"(from the package) Q1"'));
  const again = await loadMetrics(buildCfg, { dir: null, cacheDir: pkg });
  expect(again.get('Q1').title).toBe('(from the package) Q1');
  expect(again.get('R1')).toEqual(built.get('R1'));
  expect(cacheFiles()).toEqual([]); // the data directory's own cache untouched
});
