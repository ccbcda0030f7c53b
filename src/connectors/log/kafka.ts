/**
 * The log on Apache Kafka: consumers and admin through kafkajs, the producer through
 * @platformatic/kafka (a third of kafkajs's CPU per record produced; kafkajs consumes faster;
 * docs/design.md). All Kafka client code of pinpipe lives in kafka*.ts:
 *   kafka-client.ts           kafkajs connection settings, log routing, error mapping; TLS/SASL settings of both clients
 *   kafka-producer-client.ts  @platformatic/kafka producer settings and error mapping
 *   kafka-producer.ts         coalescing idempotent producer (acks=all)
 *   kafka-consumer.ts         consumer group member with manual commits
 *   kafka-admin.ts            topics, end offsets, group offsets
 */
import type { Kafka } from 'kafkajs';
import type { Config } from '../../core/config.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { ConsumerOptions, Log } from './types.js';
import { CONSUMER_REQUEST_TIMEOUT_MS, createKafkaClient } from './kafka-client.js';
import { KafkaAdmin, LazyAdmin } from './kafka-admin.js';
import { KafkaProducer, type KafkaProducerOptions } from './kafka-producer.js';
import { KafkaConsumer } from './kafka-consumer.js';

export interface KafkaLogOptions {
  logger?: Logger;
  producer?: KafkaProducerOptions;
}

export class KafkaLog implements Log {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  /** the consumers' client: a longer request time-out (kafka-client.ts) */
  private consumerKafka: Kafka | null = null;
  private readonly logger: Logger;
  /** consumers made by this log (a producer of a consuming process loads its client lazily) */
  private consumers = 0;

  constructor(
    private readonly cfg: Config,
    private readonly options: KafkaLogOptions = {},
  ) {
    this.logger = options.logger ?? createLogger({ component: 'kafka' });
    this.kafka = createKafkaClient(cfg, this.logger);
  }

  producer(): KafkaProducer {
    return new KafkaProducer(this.cfg, new LazyAdmin(this.kafka), this.logger, this.options.producer, () => this.consumers > 0);
  }

  consumer(opts: ConsumerOptions): KafkaConsumer {
    this.consumers++;
    this.consumerKafka ??= createKafkaClient(this.cfg, this.logger, { requestTimeoutMs: CONSUMER_REQUEST_TIMEOUT_MS });
    return new KafkaConsumer(this.consumerKafka, new LazyAdmin(this.kafka), opts, this.logger);
  }

  admin(): KafkaAdmin {
    return new KafkaAdmin(this.kafka, this.cfg);
  }
}
