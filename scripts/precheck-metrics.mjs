// After tsc (npm run build): check the built-in metric files once, with the code just built, and
// keep the result in dist/metrics/checked (src/metrics/cache.ts). A role whose only metrics are the
// built-in ones then starts without loading the engine to check them, even on a fresh data
// directory; the entry's key covers the files, the checking code and the engine's version, so any
// change to them is a miss and the files are checked at start as before.
import { rmSync } from 'node:fs';
import { loadConfig } from '../dist/core/config.js';
import { PACKAGE_CACHE_DIR } from '../dist/metrics/cache.js';
import { checkMetrics } from '../dist/metrics/registry.js';

rmSync(PACKAGE_CACHE_DIR, { recursive: true, force: true });
const cfg = loadConfig({ env: {}, flags: {} });
const { set, problems } = await checkMetrics(cfg, { dir: null, cacheDir: PACKAGE_CACHE_DIR });
if (problems.length) {
  for (const p of problems) console.error(`precheck-metrics: ${p.message}`);
  process.exit(1);
}
if (set.all.length === 0) {
  console.error('precheck-metrics: no built-in metric files found');
  process.exit(1);
}
