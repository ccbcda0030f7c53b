/**
 * `pinpipe dashboard`: a read-only web page of every metric (live charts of the realtime ones,
 * tables and bars of the historical ones) and of the pipeline's health, pushed by server-sent
 * events, with the JSON endpoints behind it (docs/dashboard.md). Binds 127.0.0.1:8081 by default;
 * any other address needs an access key. Serves until SIGINT/SIGTERM, then closes the event
 * streams and exits 0.
 */
import type { CommandContext } from './context.js';
import { createLake, createLog, createRealtime, createStore } from '../connectors/registry.js';
import { loadMetrics } from '../metrics/registry.js';
import { listen } from '../api/server.js';
import { checkBind, dashboardAccess } from '../dashboard/access.js';
import { buildDashboard } from '../dashboard/app.js';
import { loadAssets } from '../dashboard/assets.js';
import { DashboardData } from '../dashboard/data.js';

export async function run(_opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const { config, logger } = ctx;
  const { host, port, apiKey } = config.dashboard;
  checkBind(host, apiKey);
  const metrics = await loadMetrics(config);
  const assets = loadAssets();
  const [log, lake, store, realtime] = await Promise.all([createLog(config), createLake(config), createStore(config), createRealtime(config)]);
  const data = new DashboardData({ config, metrics, log, lake, store, realtime }, { logger });
  try {
    await data.start();
    const app = buildDashboard({ data, assets, access: dashboardAccess(apiKey), logger });
    const server = await listen(app, { host, port });
    logger.info(`pinpipe dashboard at ${server.url}/`, { url: `${server.url}/`, metrics: metrics.all.length, stores: `${config.store.kind}/${config.realtime.kind}`, auth: apiKey ? 'access key' : 'none (localhost)' });
    if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    await server.close(2000);
    await app.close();
  } finally {
    await data.stop();
    await Promise.all([lake.close(), store.close(), realtime.close()]);
  }
  return 0;
}
