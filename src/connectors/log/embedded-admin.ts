/** Admin of the embedded log: topics, end offsets, group offsets. */
import { PinpipeError } from '../../core/errors.js';
import type { LogAdmin } from './types.js';
import { partitionDirOf } from './embedded-files.js';
import { GroupStore } from './embedded-groups.js';
import { PartitionTail } from './embedded-tail.js';
import type { TopicRegistry } from './embedded-topics.js';

/** End-offset trackers per partition, kept between calls so each call only reads new bytes. */
export class EndOffsets {
  private readonly tails = new Map<string, PartitionTail>();

  constructor(private readonly topics: TopicRegistry) {}

  tail(topic: string, partition: number): PartitionTail {
    const k = `${topic}:${partition}`;
    let t = this.tails.get(k);
    if (!t) {
      const meta = this.topics.require(topic);
      t = new PartitionTail(partitionDirOf(this.topics.logDir, topic, partition), meta.segmentBytes, false);
      this.tails.set(k, t);
    }
    return t;
  }

  async of(topic: string): Promise<number[]> {
    const meta = this.topics.require(topic);
    try {
      return await Promise.all(Array.from({ length: meta.partitions }, (_, p) => this.tail(topic, p).refresh()));
    } catch (e) {
      if (e instanceof PinpipeError) throw e;
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot read the end offsets of log topic ${topic}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        retriable: true,
        cause: e,
      });
    }
  }

  close(): void {
    for (const t of this.tails.values()) t.close();
    this.tails.clear();
  }
}

export class EmbeddedAdmin implements LogAdmin {
  private readonly ends: EndOffsets;

  constructor(
    private readonly topics: TopicRegistry,
    private readonly logDir: string,
  ) {
    this.ends = new EndOffsets(topics);
  }

  async ensureTopics(topics: string[]): Promise<void> {
    for (const t of topics) await this.topics.ensure(t);
  }

  async partitionCount(topic: string): Promise<number> {
    return this.topics.require(topic).partitions;
  }

  endOffsets(topic: string): Promise<number[]> {
    return this.ends.of(topic);
  }

  async groupOffsets(groupId: string, topic: string): Promise<number[]> {
    const meta = this.topics.require(topic);
    const stored = new GroupStore(this.logDir, groupId).read(topic);
    return Array.from({ length: meta.partitions }, (_, p) => stored.get(p)?.offset ?? -1);
  }

  async close(): Promise<void> {
    this.ends.close();
  }
}
