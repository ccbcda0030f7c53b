/** A KafkaLog on the real broker (TEST_KAFKA_BROKERS) with a private topic prefix, for tests. */
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { privateTopicPrefix, tmpDir } from './services.js';

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
  const topics = privateTopicPrefix('pt');
  const data = tmpDir('pinpipe-kafka-');
  const cfg = loadConfig({
    env: {},
    flags: { dataDir: data.dir, 'log.kind': 'kafka', 'log.kafka.brokers': topics.brokers, 'log.kafka.clientId': 'pinpipe-test' },
  });
  const logger = createLogger({ level: 'error' });
  const newLog = () => new KafkaLog(cfg, { logger });
  const log = newLog();
  return {
    cfg,
    log,
    topic: (logical) => `${topics.prefix}${logical}`,
    newLog,
    cleanup: async () => {
      try {
        await topics.drop();
      } finally {
        await log.close();
        data.drop();
      }
    },
  };
}
