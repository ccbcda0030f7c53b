/**
 * The writer's outputs: put a chunk's object in the lake (retrying with backoff while the run is
 * not stopping and the partition is still ours), and send dead letters to the log.
 */
import type { Lake } from '../../connectors/lake/types.js';
import type { LogProducer } from '../../connectors/log/types.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { retry } from '../../core/retry.js';
import type { DeadRecord } from './partition.js';
import type { WriterStats } from './stats.js';

/** attempts left once the run is stopping (then the data stays in the log, uncommitted) */
const ATTEMPTS_WHEN_STOPPING = 3;

export interface SinkDeps {
  lake: Lake;
  producer: LogProducer;
  /** log topic name of the dead letters */
  deadLetterTopic: string;
  logger: Logger;
  stats: WriterStats;
  signal: AbortSignal;
}

function keepTrying(deps: SinkDeps, owned: () => boolean) {
  return (_err: unknown, attempt: number) => owned() && (!deps.signal.aborted || attempt + 1 < ATTEMPTS_WHEN_STOPPING);
}

/** True once the object is stored; false if it gave up (stopping, or the partition was revoked). */
export async function putObject(deps: SinkDeps, key: string, body: Buffer, owned: () => boolean): Promise<boolean> {
  try {
    await retry(() => deps.lake.put(key, body), {
      retries: Number.POSITIVE_INFINITY,
      initialMs: 200,
      maxMs: 15_000,
      signal: deps.signal,
      shouldRetry: keepTrying(deps, owned),
      onRetry: (err, attempt, delay) => {
        deps.stats.lakeErrors++;
        deps.stats.lakeFailing = errorMessage(err);
        deps.logger.warn('lake write failed; retrying', { key, attempt, delayMs: delay, error: errorMessage(err) });
      },
    });
  } catch (err) {
    deps.stats.lakeErrors++;
    deps.stats.lakeFailing = errorMessage(err);
    deps.logger.error('lake write abandoned; the records stay uncommitted in the log', { key, error: errorMessage(err) });
    return false;
  }
  deps.stats.lakeFailing = null;
  deps.stats.objectsWritten++;
  deps.stats.bytesWritten += body.length;
  return true;
}

/** Dead-letter records of a partition (before any later offset is committed). */
export async function sendDeadLetters(deps: SinkDeps, topic: string, partition: number, dead: DeadRecord[], owned: () => boolean): Promise<boolean> {
  const at = new Date().toISOString();
  const messages = dead.map((d) => ({
    topic: deps.deadLetterTopic,
    ...(d.key === null ? {} : { key: d.key }),
    value: JSON.stringify({ topic, partition, offset: d.offset, reason: d.reason, record: d.value, at }),
  }));
  try {
    await retry(() => deps.producer.send(messages), {
      retries: Number.POSITIVE_INFINITY,
      initialMs: 200,
      maxMs: 15_000,
      signal: deps.signal,
      shouldRetry: keepTrying(deps, owned),
      onRetry: (err, attempt, delay) => deps.logger.warn('dead-letter send failed; retrying', { attempt, delayMs: delay, error: errorMessage(err) }),
    });
  } catch (err) {
    deps.logger.error('dead-letter send abandoned; the records stay uncommitted in the log', { topic, partition, error: errorMessage(err) });
    return false;
  }
  deps.stats.deadLettered += dead.length;
  for (const d of dead) deps.logger.warn('record dead-lettered', { topic, partition, offset: d.offset, reason: d.reason });
  return true;
}
