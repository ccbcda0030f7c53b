/** Admin of the Kafka log: topics, end offsets, group offsets (kafkajs admin client). */
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../../core/config.js';
import { PinpipeError } from '../../core/errors.js';
import { SharedAttempt } from '../../core/serial.js';
import { retry } from '../../core/retry.js';
import type { CommitOffset, LogAdmin } from './types.js';
import { toLogError } from './kafka-client.js';

/** A kafkajs admin client connected on first use (and again after a failed connect). */
export class LazyAdmin {
  private readonly connecting = new SharedAttempt<Admin>();
  private closed = false;

  constructor(private readonly kafka: Kafka) {}

  get(): Promise<Admin> {
    if (this.closed) return Promise.reject(new PinpipeError('INTERNAL', 'the Kafka admin client was closed'));
    return this.connecting.run(async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (e) {
        throw toLogError(e, 'connecting to Kafka');
      }
      return admin;
    });
  }

  /** run fn with the connected client, mapping kafkajs errors */
  async use<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = await this.get();
    try {
      return await fn(admin);
    } catch (e) {
      throw toLogError(e, what);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.connecting.current;
    this.connecting.reset();
    if (c) await c.then((a) => a.disconnect()).catch(() => undefined);
  }
}

const byPartition = <T extends { partition: number }>(a: T, b: T) => a.partition - b.partition;

export async function topicPartitionCount(admin: LazyAdmin, topic: string): Promise<number> {
  const md = await admin.use(`reading the metadata of Kafka topic ${topic}`, (a) => a.fetchTopicMetadata({ topics: [topic] }));
  const t = md.topics.find((x) => x.name === topic);
  if (!t || t.partitions.length === 0) throw new PinpipeError('NOT_FOUND', `log topic ${JSON.stringify(topic)} does not exist in Kafka`);
  return t.partitions.length;
}

export async function topicEndOffsets(admin: LazyAdmin, topic: string): Promise<number[]> {
  const offs = await admin.use(`reading the end offsets of Kafka topic ${topic}`, (a) => a.fetchTopicOffsets(topic));
  return offs.sort(byPartition).map((o) => Number(o.high));
}

export async function groupCommitted(admin: LazyAdmin, groupId: string, topics: string[]): Promise<CommitOffset[]> {
  if (topics.length === 0) return [];
  // kafkajs's fetchOffsets refreshes the topics' metadata itself and, during a rebalance, can find a
  // topic's not loaded yet ("Topic metadata not loaded", retriable): a few quick attempts more
  const retriable = (e: unknown) => (e as { retriable?: unknown }).retriable === true;
  const res = await admin.use(`reading the committed offsets of group ${groupId}`, (a) =>
    retry(() => a.fetchOffsets({ groupId, topics }), { retries: 3, initialMs: 100, maxMs: 800, shouldRetry: retriable }),
  );
  const out: CommitOffset[] = [];
  for (const t of res) {
    for (const p of [...t.partitions].sort(byPartition)) {
      out.push({ topic: t.topic, partition: p.partition, offset: Number(p.offset), metadata: p.metadata ?? null });
    }
  }
  return out;
}

export class KafkaAdmin implements LogAdmin {
  private readonly admin: LazyAdmin;

  constructor(
    kafka: Kafka,
    private readonly cfg: Config,
  ) {
    this.admin = new LazyAdmin(kafka);
  }

  async ensureTopics(topics: string[]): Promise<void> {
    const wanted = [...new Set(topics)];
    if (wanted.length === 0) return;
    const existing = new Set(await this.admin.use('listing Kafka topics', (a) => a.listTopics()));
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      const replicationFactor = await this.replicationFactor();
      await this.admin
        .use(`creating Kafka topics ${missing.join(', ')}`, (a) =>
          a.createTopics({
            waitForLeaders: true,
            // the log stamps each record's timestamp on append, as the embedded log does
            topics: missing.map((topic) => ({
              topic,
              numPartitions: this.cfg.log.partitions,
              replicationFactor,
              configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
            })),
          }),
        )
        .catch((e: unknown) => {
          // kafkajs's wait for the leaders failed on a metadata answer that did not know the new
          // topics yet (UNKNOWN_TOPIC_OR_PARTITION; seen on a freshly started broker): waited for below
          if ((e as { code?: string }).code !== 'NOT_FOUND') throw e;
        });
    }
    // wait until every topic has a leader for each partition (creation is asynchronous in KRaft)
    const deadline = Date.now() + 15_000;
    for (;;) {
      const md = await this.admin
        .use('reading Kafka topic metadata', (a) => a.fetchTopicMetadata({ topics: wanted }))
        .catch((e: unknown) => {
          if (missing.length > 0 && (e as { code?: string }).code === 'NOT_FOUND' && Date.now() < deadline) return null; // not known everywhere yet
          throw e;
        });
      const ready = md !== null && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
      if (Date.now() > deadline) throw new PinpipeError('LOG_UNAVAILABLE', `Kafka topics ${wanted.join(', ')} have no leader after 15 s`, { retriable: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** log.kafka.replicationFactor, or (-1) 3 when the cluster has 3 brokers or more, else its size */
  private async replicationFactor(): Promise<number> {
    const rf = this.cfg.log.kafka.replicationFactor;
    if (rf >= 1) return rf;
    const cluster = await this.admin.use('describing the Kafka cluster', (a) => a.describeCluster());
    return Math.max(1, Math.min(3, cluster.brokers.length));
  }

  partitionCount(topic: string): Promise<number> {
    return topicPartitionCount(this.admin, topic);
  }

  endOffsets(topic: string): Promise<number[]> {
    return topicEndOffsets(this.admin, topic);
  }

  async groupOffsets(groupId: string, topic: string): Promise<number[]> {
    const offs = await groupCommitted(this.admin, groupId, [topic]);
    return offs.map((o) => o.offset);
  }

  /** delete topics (tests and tools; not part of LogAdmin) */
  async deleteTopics(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.admin.use(`deleting Kafka topics ${topics.join(', ')}`, (a) => a.deleteTopics({ topics, timeout: 10_000 }));
  }

  /** names of the topics that exist (tests and tools; not part of LogAdmin) */
  listTopics(): Promise<string[]> {
    return this.admin.use('listing Kafka topics', (a) => a.listTopics());
  }

  close(): Promise<void> {
    return this.admin.close();
  }
}
