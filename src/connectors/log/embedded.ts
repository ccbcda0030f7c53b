/**
 * The embedded log: a durable local log under <dataDir>/log/ that several pinpipe processes share
 * (an api producing while consume-batch and consume-stream consume). Topics of partitions of
 * segment files with CRC-checked frames; group-committed appends (one write + fdatasync per batch
 * of concurrent sends); consumer groups with one active member each. See docs/design.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';
import { Parts } from '../types.js';
import type { ConsumerOptions, Log, LogAdmin, LogConsumer, LogProducer } from './types.js';
import { EmbeddedAdmin } from './embedded-admin.js';
import { EmbeddedConsumer } from './embedded-consumer.js';
import { logDirOf } from './embedded-files.js';
import { EmbeddedProducer, WriterPool } from './embedded-producer.js';
import { TopicRegistry } from './embedded-topics.js';

export interface EmbeddedLogOptions {
  /** roll a partition to a new segment file at this size (default 128 MiB; fixed per topic at creation) */
  segmentBytes?: number;
  /** sparse index density (default an entry per 64 KiB; fixed per topic at creation) */
  indexIntervalBytes?: number;
}

export class EmbeddedLog implements Log {
  readonly kind = 'embedded' as const;
  readonly logDir: string;
  private readonly topics: TopicRegistry;
  private readonly pool: WriterPool;
  private readonly parts = new Parts();

  constructor(cfg: Config, opts: EmbeddedLogOptions = {}) {
    this.logDir = logDirOf(cfg.dataDir);
    this.topics = new TopicRegistry(this.logDir, {
      partitions: cfg.log.partitions,
      segmentBytes: opts.segmentBytes ?? 128 * 1024 * 1024,
      indexIntervalBytes: opts.indexIntervalBytes ?? 64 * 1024,
    });
    this.pool = new WriterPool(this.logDir, this.topics);
  }

  /** nothing to connect: files are opened when used */
  async connect(): Promise<void> {}

  /** the log directory can be read (a log not created yet is healthy) */
  async health(): Promise<void> {
    try {
      if (existsSync(this.logDir)) readdirSync(this.logDir);
    } catch (e) {
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot read the log directory ${this.logDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        retriable: true,
        cause: e,
      });
    }
  }

  producer(): LogProducer {
    return this.parts.track(new EmbeddedProducer(this.pool));
  }

  consumer(opts: ConsumerOptions): LogConsumer {
    return this.parts.track(new EmbeddedConsumer(this.topics, this.logDir, opts));
  }

  admin(): LogAdmin {
    return this.parts.track(new EmbeddedAdmin(this.topics, this.logDir));
  }

  /** closes the producers, consumers and admins made here that are still open */
  close(): Promise<void> {
    return this.parts.closeAll();
  }
}
