/** Shared set-up for tests against the real Kafka of scripts/services-up.sh (TEST_KAFKA_BROKERS). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';

export function kafkaBrokers(): string[] {
  const v = process.env.TEST_KAFKA_BROKERS;
  if (!v) {
    throw new Error(
      'TEST_KAFKA_BROKERS is not set. Run the suite with `npm test`, or start the services with `npm run services:up` ' +
        'and export TEST_KAFKA_BROKERS=127.0.0.1:9092 (see `npm run -s services:env`) before running jest directly.',
    );
  }
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export interface KafkaFixture {
  cfg: Config;
  log: KafkaLog;
  /** a topic name unique to this fixture */
  topic: (logical: string) => string;
  newLog: () => KafkaLog;
  /** delete every topic this fixture named, and the temp dir */
  cleanup: () => Promise<void>;
}

export function kafkaFixture(): KafkaFixture {
  const brokers = kafkaBrokers();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-kafka-'));
  const cfg = loadConfig({ env: {}, flags: { dataDir, 'log.kind': 'kafka', 'log.kafka.brokers': brokers, 'log.kafka.clientId': 'pinpipe-test' } });
  const prefix = `pt-${randomBytes(4).toString('hex')}-`;
  const logger = createLogger({ level: 'error' });
  const newLog = () => new KafkaLog(cfg, { logger });
  const log = newLog();
  return {
    cfg,
    log,
    topic: (logical) => `${prefix}${logical}`,
    newLog,
    cleanup: async () => {
      const admin = log.admin();
      try {
        const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        await admin.deleteTopics(mine);
      } finally {
        await admin.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
