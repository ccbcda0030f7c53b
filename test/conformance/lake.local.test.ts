import { expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { loadConfig } from '../../src/core/config.js';
import { lakeConformance } from './lake.conformance.js';

const tmpCfg = () => loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-lake-')) } });

lakeConformance('local', async () => {
  const cfg = tmpCfg();
  return { lake: new LocalLake(cfg), cleanup: async () => rmSync(cfg.dataDir, { recursive: true, force: true }) };
});

test('local lake: files live under <dataDir>/lake, stale temp files are ignored, empty dirs pruned', async () => {
  const cfg = tmpCfg();
  try {
    const lake = new LocalLake(cfg);
    await lake.put('raw/pin/dt=2026-11-27/hr=01/x', 'x');
    expect(existsSync(path.join(cfg.dataDir, 'lake/raw/pin/dt=2026-11-27/hr=01/x'))).toBe(true);
    // a temp file left by a crashed writer is not an object
    writeFileSync(path.join(cfg.dataDir, 'lake/raw/pin/dt=2026-11-27/hr=01/.tmp.123.abc.y'), 'partial');
    expect((await lake.list('raw/')).map((o) => o.key)).toEqual(['raw/pin/dt=2026-11-27/hr=01/x']);
    expect(await lake.localDir('raw/pin/')).toBe(path.join(cfg.dataDir, 'lake/raw/pin'));
    await lake.delete(['raw/pin/dt=2026-11-27/hr=01/x']);
    await lake.put('raw/geo/a', 'a');
    await lake.delete(['raw/geo/a']);
    expect(existsSync(path.join(cfg.dataDir, 'lake/raw/geo'))).toBe(false);
    expect(readdirSync(path.join(cfg.dataDir, 'lake/raw'))).toEqual(['pin']);
  } finally {
    rmSync(cfg.dataDir, { recursive: true, force: true });
  }
});

test('local lake: a listing longer than one batch of stats (the event loop gets turns) has every key with its size, sorted', async () => {
  const cfg = tmpCfg();
  try {
    const lake = new LocalLake(cfg);
    // files written straight into two directories, and one elsewhere that the prefix excludes
    const want: { key: string; size: number }[] = [];
    for (const hr of ['00', '01']) {
      const dir = path.join(cfg.dataDir, 'lake/raw/pin/dt=2026-11-27', `hr=${hr}`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 400; i++) {
        const name = `pin+0+${String(i).padStart(10, '0')}.ndjson.gz`;
        writeFileSync(path.join(dir, name), 'x'.repeat(i % 7));
        want.push({ key: `raw/pin/dt=2026-11-27/hr=${hr}/${name}`, size: i % 7 });
      }
    }
    await lake.put('raw/geo/dt=2026-11-27/hr=00/g', 'g');
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    const got = await lake.list('raw/pin/');
    clearInterval(timer);
    expect(got).toEqual(want);
    expect(turns).toBeGreaterThan(0);
  } finally {
    rmSync(cfg.dataDir, { recursive: true, force: true });
  }
});

test('local lake: putFile from another file system (tmpfs) copies the bytes in and removes the file', async () => {
  const cfg = tmpCfg();
  // /dev/shm is a tmpfs on Linux: a rename from there into the data dir fails with EXDEV
  const other = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/pinpipe-putfile-') : mkdtempSync(path.join(os.tmpdir(), 'pinpipe-putfile-'));
  try {
    const lake = new LocalLake(cfg);
    const file = path.join(other, 'postings.parquet');
    writeFileSync(file, 'from another file system');
    await lake.putFile('curated/postings.parquet', file);
    expect((await lake.get('curated/postings.parquet'))!.toString()).toBe('from another file system');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(path.join(cfg.dataDir, 'lake/curated'))).toEqual(['postings.parquet']); // no temp file left
  } finally {
    rmSync(cfg.dataDir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
