/**
 * `pinpipe api`: the HTTP ingestion API. Ensures the log's topics, connects a producer, serves
 * until SIGINT/SIGTERM, then stops accepting, finishes the requests in flight and closes the
 * producer (exit 0).
 */
import type { CommandContext } from './context.js';
import { topicName } from '../core/config.js';
import { DEAD_LETTER_TOPIC, TOPICS } from '../core/records.js';
import { createLog } from '../connectors/registry.js';
import { buildApp, type App } from '../api/app.js';
import { listen } from '../api/server.js';

export interface ApiOptions {
  host?: string;
  port?: number;
}

export async function run(_opts: ApiOptions, ctx: CommandContext): Promise<number> {
  const { config, logger } = ctx;
  const log = await createLog(config);
  const admin = log.admin();
  const topics = [...TOPICS, DEAD_LETTER_TOPIC].map((t) => topicName(config, t));
  await admin.ensureTopics(topics);
  const producer = log.producer();
  await producer.connect();
  let app: App | undefined;
  try {
    app = buildApp({
      config,
      producer,
      logger,
      probe: async () => {
        await admin.partitionCount(topics[0]!);
      },
    });
    const server = await listen(app, { host: config.api.host, port: config.api.port });
    logger.info(`pinpipe api listening on ${server.url}`, { url: server.url, log: log.kind, auth: config.api.apiKey ? 'api key' : 'none' });
    if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    logger.info('stopping: no new connections, finishing requests in flight');
    await server.close();
    await app.close();
    const m = app.metrics;
    logger.info('api stopped', { accepted: m.accepted, duplicates: m.duplicates, rejected: m.rejected, log_unavailable: m.logUnavailable });
  } finally {
    // also when listen failed: the parse workers must not keep the process alive
    await app?.close();
    await producer.close();
    await admin.close();
  }
  return 0;
}
