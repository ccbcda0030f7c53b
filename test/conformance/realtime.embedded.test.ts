import { expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRealtime } from '../../src/connectors/realtime/embedded.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { BUILTIN, realtimeMetric } from '../support/metrics.js';
import { realtimeConformance } from './realtime.conformance.js';

const tmpCfg = (): Config => loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-rt-')) } });

realtimeConformance('embedded', async () => {
  const cfg = tmpCfg();
  return {
    realtime: new EmbeddedRealtime(cfg),
    reopen: () => new EmbeddedRealtime(cfg),
    cleanup: async () => rmSync(cfg.dataDir, { recursive: true, force: true }),
  };
});

test('embedded realtime: windows live in the rt_* tables of the serving store file', async () => {
  const cfg = tmpCfg();
  try {
    const rt = new EmbeddedRealtime(cfg);
    await rt.connect(BUILTIN.realtime);
    await rt.commit('g', { offsets: { 'pin:0': 5 }, watermark: 1, counters: {} }, [
      { metric: 'R2', minute: '2026-11-27T10:00:00Z', key: 'Chile', values: { postings: 3 }, final: true },
      { metric: 'R4', minute: '2026-11-27T10:00:00Z', key: '', values: { distinct_posters: 2 }, final: false },
    ]);
    const store = new EmbeddedStore(cfg);
    expect(await store.select(realtimeMetric('R2').spec)).toEqual([{ minute: '2026-11-27T10:00:00.000Z', country: 'Chile', postings: 3, final: true }]);
    expect(await store.select(realtimeMetric('R4').spec)).toEqual([{ minute: '2026-11-27T10:00:00.000Z', distinct_posters: 2, final: false }]);
    expect(await store.query('SELECT group_name, checkpoint FROM stream_checkpoints')).toEqual([
      { group_name: 'g', checkpoint: '{"offsets":{"pin:0":5},"watermark":1,"counters":{}}' },
    ]);
  } finally {
    rmSync(cfg.dataDir, { recursive: true, force: true });
  }
});
