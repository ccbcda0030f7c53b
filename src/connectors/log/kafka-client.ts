/**
 * The kafkajs client of the Kafka log (consumers and admin; the producer is @platformatic/kafka,
 * kafka-producer-client.ts): connection settings from the configuration, kafkajs logs routed to
 * the pinpipe logger (warn and above, never the whole log entry, so no credentials), and kafkajs
 * errors mapped to PinpipeError. The TLS and SASL settings of both clients come from
 * kafkaSecurity(). Every kafkajs import of pinpipe lives in kafka*.ts.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../../core/config.js';
import { PinpipeError, errorMessage, isPinpipeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { lingering } from '../../core/shutdown.js';

/** Timeouts chosen so that a request to a broker that is down fails within about a second. */
export const CONNECTION_TIMEOUT_MS = 1_000;
export const REQUEST_TIMEOUT_MS = 5_000;
export const CLIENT_RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 };
/**
 * Consumers wait longer: the broker holds a SyncGroup answer until the group's leader sends the
 * assignment, and a leader that died holds it until its session (10 s) expires. With 5 s the
 * request timed out, kafkajs restarted the consumer, whose new JoinGroup started another
 * rebalance, and so on (measured: a restarted consume-batch still not caught up after 90 s).
 * kafkajs already gives JoinGroup a timeout above the session timeout; fetches have their own.
 */
export const CONSUMER_REQUEST_TIMEOUT_MS = 15_000;

export function createKafkaClient(cfg: Config, logger: Logger, opts: { requestTimeoutMs?: number } = {}): Kafka {
  const k = cfg.log.kafka;
  const security = kafkaSecurity(cfg);
  const config: KafkaConfig = {
    clientId: k.clientId,
    brokers: k.brokers,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    authenticationTimeout: 5_000,
    requestTimeout: opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    enforceRequestTimeout: true,
    retry: CLIENT_RETRY,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  };
  if (security.tls) config.ssl = security.tls;
  if (security.sasl) config.sasl = security.sasl as SASLOptions;
  return new Kafka(config);
}

/** TLS and SASL settings of log.kafka.*, as both Kafka clients (kafkajs, @platformatic/kafka) take them. */
export interface KafkaSecurity {
  tls?: { rejectUnauthorized: boolean; ca?: Buffer[] };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export function kafkaSecurity(cfg: Config): KafkaSecurity {
  const k = cfg.log.kafka;
  const out: KafkaSecurity = {};
  if (k.ssl) {
    let ca: Buffer[] | undefined;
    if (k.sslCaFile) {
      try {
        ca = [readFileSync(k.sslCaFile)];
      } catch (e) {
        throw new PinpipeError('CONFIG_INVALID', `log.kafka.sslCaFile: cannot read ${k.sslCaFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    out.tls = { rejectUnauthorized: k.sslRejectUnauthorized, ...(ca ? { ca } : {}) };
  }
  if (k.saslMechanism) {
    if (!k.saslUsername || !k.saslPassword) {
      throw new PinpipeError(
        'CONFIG_INVALID',
        'log.kafka.saslUsername/saslPassword: required with a SASL mechanism (set PINPIPE_KAFKA_SASL_USERNAME and PINPIPE_KAFKA_SASL_PASSWORD)',
      );
    }
    out.sasl = { mechanism: k.saslMechanism, username: k.saslUsername, password: k.saslPassword };
  }
  return out;
}

/** kafkajs log entries → pinpipe logger: the message and a few known-safe fields only. */
function kafkaLogCreator(logger: Logger) {
  const log = logger.child('kafkajs');
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const e = entry as Record<string, unknown>;
      const fields: Record<string, unknown> = { namespace };
      for (const key of ['broker', 'groupId', 'topic', 'partition', 'retryCount', 'retryTime', 'error']) {
        const v = e[key];
        if (typeof v === 'string' || typeof v === 'number') fields[key] = v;
      }
      const message = String(e.message ?? '');
      // kafkajs reports transient trouble (coordinator loading, a broker restarting) at ERROR and
      // retries it itself; pinpipe's own errors say when it gives up, so these stay warnings
      if (level <= logLevel.WARN) log.warn(message, fields);
    };
}

const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  'KafkaJSStaleTopicMetadataAssignment',
]);

function rootCause(e: unknown): unknown {
  let cur = e;
  for (let i = 0; i < 10 && cur && typeof cur === 'object' && (cur as { cause?: unknown }).cause; i++) cur = (cur as { cause: unknown }).cause;
  return cur;
}

/** kafkajs error type (protocol error name such as UNKNOWN_TOPIC_OR_PARTITION), if any. */
export function kafkaErrorType(e: unknown): string | undefined {
  for (const x of [e, rootCause(e)]) {
    const t = (x as { type?: unknown } | null)?.type;
    if (typeof t === 'string') return t;
  }
  return undefined;
}

/** Map anything kafkajs threw to a PinpipeError; `what` names the operation. */
export function toLogError(e: unknown, what: string): PinpipeError {
  if (isPinpipeError(e)) return e;
  const err = e as { name?: string; message?: string; retriable?: boolean };
  const cause = rootCause(e) as { name?: string; message?: string; retriable?: boolean };
  const msg = cause?.message && cause !== e && !String(err.message).includes(cause.message) ? `${err.message}: ${cause.message}` : String(err?.message ?? e);
  if (err?.name === 'KafkaJSSASLAuthenticationError' || cause?.name === 'KafkaJSSASLAuthenticationError') {
    return new PinpipeError(
      'LOG_UNAVAILABLE',
      `${what}: Kafka SASL authentication failed (check log.kafka.saslMechanism and the PINPIPE_KAFKA_SASL_* variables)`,
      { retriable: false, cause: e },
    );
  }
  const type = kafkaErrorType(e);
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new PinpipeError('NOT_FOUND', `${what}: ${msg}`, { cause: e });
  }
  const retriable = UNAVAILABLE_NAMES.has(err?.name ?? '') || UNAVAILABLE_NAMES.has(cause?.name ?? '') || err?.retriable === true || cause?.retriable === true;
  return new PinpipeError('LOG_UNAVAILABLE', `${what}: ${retriable ? 'Kafka unavailable' : 'Kafka error'}: ${msg}`, { retriable, cause: e });
}

/** Race a promise against a timer; on time-out reject with a retriable LOG_UNAVAILABLE. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PinpipeError('LOG_UNAVAILABLE', `${what}: no answer from Kafka within ${ms} ms`, { retriable: true })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * One step of closing a client, within ms: true once done; else false with a warning naming it,
 * while it goes on in the background, noted as lingering (core/shutdown.ts: the CLI exits without it).
 */
export async function boundedStep(logger: Logger, name: string, ms: number, step: () => Promise<void>): Promise<boolean> {
  const p = step().finally(lingering(name));
  try {
    await withTimeout(p, ms, name);
    return true;
  } catch (e) {
    p.catch(() => undefined);
    logger.warn(`${name}: failed or did not finish within ${ms} ms; not waiting for it`, { error: errorMessage(e) });
    return false;
  }
}
