/**
 * Consumer groups of the embedded log: committed offsets in <log>/_groups/<group>/<topic>.json
 * (written atomically), and the group's single active member, held with an exclusive lock.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../core/errors.js';
import { holdExclusive } from '../../core/lockfile.js';
import type { CommitOffset } from './types.js';
import { checkTopicName, groupDirName, writeFileAtomic } from './embedded-files.js';

export interface StoredOffset {
  offset: number;
  metadata: string | null;
}

interface GroupFile {
  group: string;
  topic: string;
  partitions: Record<string, StoredOffset>;
}

export class GroupStore {
  readonly dir: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    logDir: string,
    readonly group: string,
  ) {
    if (typeof group !== 'string' || group.length === 0) throw new PinpipeError('CONFIG_INVALID', 'a consumer group id must be a non-empty string');
    this.dir = path.join(logDir, '_groups', groupDirName(group));
  }

  private file(topic: string): string {
    checkTopicName(topic);
    return path.join(this.dir, `${topic}.json`);
  }

  /** Committed offsets of a topic by partition (missing: never committed). */
  read(topic: string): Map<number, StoredOffset> {
    const out = new Map<number, StoredOffset>();
    let text: string;
    try {
      text = readFileSync(this.file(topic), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot read the offsets of group ${this.group}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        retriable: true,
      });
    }
    let parsed: GroupFile;
    try {
      parsed = JSON.parse(text) as GroupFile;
    } catch {
      throw new PinpipeError('INTERNAL', `the offsets file ${this.file(topic)} of group ${this.group} is not valid JSON`);
    }
    for (const [p, v] of Object.entries(parsed.partitions ?? {})) {
      out.set(Number(p), { offset: v.offset, metadata: v.metadata ?? null });
    }
    return out;
  }

  /** Store offsets (merged with what is there), one atomic file write per topic. Calls are serialized. */
  commit(offsets: CommitOffset[]): Promise<void> {
    const run = this.chain.then(() => this.doCommit(offsets));
    this.chain = run.catch(() => {});
    return run;
  }

  private async doCommit(offsets: CommitOffset[]): Promise<void> {
    const byTopic = new Map<string, CommitOffset[]>();
    for (const o of offsets) {
      if (!Number.isInteger(o.partition) || o.partition < 0)
        throw new PinpipeError('INTERNAL', `commit: partition ${o.partition} of topic ${o.topic} is not a partition number`);
      if (!Number.isInteger(o.offset) || o.offset < 0)
        throw new PinpipeError('INTERNAL', `commit: offset ${o.offset} for ${o.topic}/${o.partition} must be an integer >= 0`);
      const list = byTopic.get(o.topic) ?? [];
      list.push(o);
      byTopic.set(o.topic, list);
    }
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const [topic, list] of byTopic) {
        const cur = this.read(topic);
        for (const o of list) cur.set(o.partition, { offset: o.offset, metadata: o.metadata ?? null });
        const file: GroupFile = { group: this.group, topic, partitions: {} };
        for (const [p, v] of [...cur].sort((a, b) => a[0] - b[0])) file.partitions[String(p)] = v;
        await writeFileAtomic(this.file(topic), JSON.stringify(file) + '\n');
      }
    } catch (e) {
      if (e instanceof PinpipeError) throw e;
      throw new PinpipeError('LOG_UNAVAILABLE', `cannot store the offsets of group ${this.group}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        retriable: true,
        cause: e,
      });
    }
  }

  /**
   * Become the group's only active member. Throws LOCKED (naming the group and the holder) if
   * another live process, or another consumer in this one, is the member; a dead holder is replaced.
   */
  join(): () => void {
    mkdirSync(this.dir, { recursive: true });
    try {
      return holdExclusive(path.join(this.dir, '.member.lock'), `consumer group ${JSON.stringify(this.group)}`);
    } catch (e) {
      if (e instanceof PinpipeError && e.code === 'LOCKED') {
        throw new PinpipeError(
          'LOCKED',
          `${e.message}: the embedded log allows one active consumer per group. Stop the other consumer first, or use Kafka (log.kind=kafka, PINPIPE_KAFKA_BROKERS) to scale a group out over several processes`,
          { cause: e },
        );
      }
      throw e;
    }
  }
}
