import { expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
