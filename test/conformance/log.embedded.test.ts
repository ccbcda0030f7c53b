import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedLog } from '../../src/connectors/log/embedded.js';
import { loadConfig } from '../../src/core/config.js';
import { logConformance } from './log.conformance.js';

logConformance('embedded', async () => {
  const cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-log-')) } });
  return {
    log: new EmbeddedLog(cfg),
    topic: (logical: string) => `t-${logical}`,
    reopen: async () => new EmbeddedLog(cfg),
    cleanup: async () => rmSync(cfg.dataDir, { recursive: true, force: true }),
  };
});

// the same suite with tiny segments and a dense index, so that rolling and index lookups are exercised
logConformance('embedded, 4 KiB segments', async () => {
  const cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-log-')), 'log.partitions': 2 } });
  const opts = { segmentBytes: 4096, indexIntervalBytes: 256 };
  return {
    log: new EmbeddedLog(cfg, opts),
    topic: (logical: string) => `small.${logical}`,
    reopen: async () => new EmbeddedLog(cfg, opts),
    cleanup: async () => rmSync(cfg.dataDir, { recursive: true, force: true }),
  };
});
