/**
 * The log: topics of partitions of records with offsets, and consumer groups. Implemented by the
 * embedded file log (embedded.ts) and by Apache Kafka via kafkajs and @platformatic/kafka
 * (kafka.ts); both pass test/conformance/log.conformance.ts.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** the record's bytes as UTF-8 text (pinpipe always writes JSON) */
  value: string;
  /** epoch ms the log stamped on append */
  timestamp: number;
}

export interface ProduceMessage {
  topic: string;
  /** partitioning key; records with one key go to one partition */
  key?: string;
  value: string;
}

export interface ProduceResult {
  topic: string;
  partition: number;
  offset: number;
}

export interface LogProducer {
  connect(): Promise<void>;
  /**
   * Append messages. Resolves only once the log has durably accepted every one of them (embedded:
   * written and fsynced; Kafka: acknowledged by all in-sync replicas). Rejects with a retriable
   * PinpipeError('LOG_UNAVAILABLE') when it cannot, in which case none should be assumed written.
   */
  send(messages: ProduceMessage[]): Promise<ProduceResult[]>;
  close(): Promise<void>;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: LogRecord[];
  /** offset that the next appended record of this partition will get (log end) */
  highWatermark: number;
}

export interface CommitOffset extends TopicPartition {
  /** the next offset to read (last processed + 1) */
  offset: number;
  /** small free text stored with the commit (e.g. JSON) */
  metadata?: string | null;
}

export interface ConsumerHandlers {
  /** called serially, one batch at a time; partitions are never processed concurrently */
  eachBatch(batch: ConsumedBatch): Promise<void>;
  /** partitions newly assigned to this member (before their first batch) */
  onAssign?(partitions: TopicPartition[]): Promise<void>;
  /** partitions taken away from this member; drop any uncommitted state for them */
  onRevoke?(partitions: TopicPartition[]): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** where a group with no commit starts; pinpipe always uses earliest */
  fromBeginning?: boolean;
  maxBatchRecords?: number;
}

export interface LogConsumer {
  connect(): Promise<void>;
  /** start consuming; resolves once running (delivery continues in the background) */
  run(handlers: ConsumerHandlers): Promise<void>;
  /** store committed offsets for this group */
  commit(offsets: CommitOffset[]): Promise<void>;
  /** committed offsets (offset -1 where none) for partitions of the subscribed topics */
  committed(partitions: TopicPartition[]): Promise<CommitOffset[]>;
  /** move the read position of an assigned partition (e.g. to a checkpoint kept elsewhere) */
  seek(tp: TopicPartition, offset: number): void;
  /**
   * Deliver no more batches of these partitions (from the next piece on; the batch being handled
   * finishes) until resume(); their read positions stay where delivery stood. Flow control, e.g.
   * to keep partitions aligned in event time. Unknown or unassigned partitions are remembered.
   */
  pause(tps: TopicPartition[]): void;
  /** deliver paused partitions again, from where delivery stood; a partition not paused is left alone */
  resume(tps: TopicPartition[]): void;
  /** log end offsets of every partition of the subscribed topics */
  endOffsets(): Promise<Map<string, number>>;
  /** stop fetching, wait for the batch in flight, leave the group */
  close(): Promise<void>;
  /** a fatal error ends run(); listeners learn of it here */
  onError(listener: (err: Error) => void): void;
}

export interface LogAdmin {
  /** create topics that are missing, with the configured partition count */
  ensureTopics(topics: string[]): Promise<void>;
  partitionCount(topic: string): Promise<number>;
  /** end offset (next offset) per partition */
  endOffsets(topic: string): Promise<number[]>;
  /** committed offsets of a group per partition (-1 where none) */
  groupOffsets(groupId: string, topic: string): Promise<number[]>;
  close(): Promise<void>;
}

export interface Log {
  readonly kind: 'embedded' | 'kafka';
  producer(): LogProducer;
  consumer(opts: ConsumerOptions): LogConsumer;
  admin(): LogAdmin;
}

export const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;
