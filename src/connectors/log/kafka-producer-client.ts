/**
 * The producer's client of the Kafka log: @platformatic/kafka (kafkajs stays for consumers and
 * admin; docs/design.md "Kafka log" gives the figures). Connection settings from the configuration
 * (the same TLS and SASL settings as the kafkajs client, kafka-client.ts) and its errors mapped to
 * PinpipeError. Every @platformatic/kafka import of pinpipe lives in this file.
 *
 * The package is loaded on first use (createProducerClient), not with this module: loading it
 * takes 0.3-1.3 s of CPU on the 2-core machine (a few hundred modules and their schema
 * compilation; kafkajs: 0.1-0.3 s), which a role that only dead-letters a few records should not
 * pay at start (kafka-producer.ts says when a producer loads it).
 */
import net from 'node:net';
import type { Producer, ProducerOptions, RetryDelayGetter, SASLOptions } from '@platformatic/kafka';
import type { Config } from '../../core/config.js';
import { PinpipeError, isPinpipeError } from '../../core/errors.js';
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS, kafkaSecurity } from './kafka-client.js';

export type ProducerClient = Producer<Buffer, Buffer, Buffer, Buffer>;

/** the broker's wait for the in-sync replicas (the produce request's timeout) */
export const ACK_TIMEOUT_MS = 4_000;

const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** 100, 200, 400, 500 ms...: as the kafkajs client's retry (kafka-client.ts CLIENT_RETRY) */
const retryDelay: RetryDelayGetter = (_client, _op, attempt) => Math.min(500, 100 * 2 ** (attempt - 1));

/**
 * Options of an idempotent producer (acks from all in-sync replicas, one request in flight per
 * broker, sequence numbers per partition). Retries are limited on purpose: a send is bounded by
 * its caller's time-out, and a failed batch replaces the producer (kafka-producer.ts).
 */
export function producerClientOptions(cfg: Config): ProducerOptions<Buffer, Buffer, Buffer, Buffer> {
  const k = cfg.log.kafka;
  const security = kafkaSecurity(cfg);
  const options: ProducerOptions<Buffer, Buffer, Buffer, Buffer> = {
    clientId: k.clientId,
    bootstrapBrokers: k.brokers,
    idempotent: true,
    acks: -1,
    autocreateTopics: false,
    connectTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    timeout: ACK_TIMEOUT_MS,
    retries: 2,
    retryDelay,
  };
  if (security.tls) {
    options.tls = security.tls;
    // SNI with the broker's host name, as kafkajs sends it (not for IP addresses: RFC 6066)
    if (k.brokers.every((b) => !net.isIP(hostOf(b)))) options.tlsServerName = true;
  }
  if (security.sasl) {
    const s = security.sasl;
    options.sasl = { mechanism: SASL_MECHANISMS[s.mechanism], username: s.username, password: s.password } as SASLOptions;
  }
  return options;
}

function hostOf(broker: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(broker); // [::1]:9092
  if (m) return m[1]!;
  const i = broker.lastIndexOf(':');
  return i > 0 && broker.indexOf(':') === i ? broker.slice(0, i) : broker;
}

export async function createProducerClient(cfg: Config): Promise<ProducerClient> {
  const options = producerClientOptions(cfg);
  const { Producer } = await import('@platformatic/kafka');
  return new Producer(options);
}

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  apiId?: string;
  cause?: unknown;
  errors?: unknown[];
}

/** the error, the errors it aggregates and their causes, depth first (bounded) */
function chain(e: unknown, out: ErrorLike[] = [], depth = 0): ErrorLike[] {
  if (!e || typeof e !== 'object' || depth > 6 || out.length > 50) return out;
  const x = e as ErrorLike;
  out.push(x);
  if (Array.isArray(x.errors)) for (const inner of x.errors) chain(inner, out, depth + 1);
  if (x.cause) chain(x.cause, out, depth + 1);
  return out;
}

const SASL_ERRORS = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']);
const NOT_RETRIABLE_CODES = new Set(['PLT_KFK_USER', 'PLT_KFK_UNSUPPORTED', 'PLT_KFK_UNSUPPORTED_API', 'PLT_KFK_UNSUPPORTED_COMPRESSION', 'PLT_KFK_UNSUPPORTED_FORMAT']);

/** Map anything @platformatic/kafka threw to a PinpipeError; `what` names the operation. */
export function toProducerError(e: unknown, what: string): PinpipeError {
  if (isPinpipeError(e)) return e;
  const all = chain(e);
  const first = all[0];
  // the innermost message says what happened ("Connection to 127.0.0.1:9 failed." wraps ECONNREFUSED)
  const leaf = all.filter((x) => x.message).pop();
  const msg = first?.message && leaf && leaf !== first && !first.message.includes(String(leaf.message)) ? `${first.message.replace(/\.$/, '')}: ${leaf.message}` : String(first?.message ?? e);
  if (all.some((x) => x.code === 'PLT_KFK_AUTHENTICATION' || (x.apiId !== undefined && SASL_ERRORS.has(x.apiId)))) {
    return new PinpipeError('LOG_UNAVAILABLE', `${what}: Kafka SASL authentication failed (check log.kafka.saslMechanism and the PINPIPE_KAFKA_SASL_* variables)`, { retriable: false, cause: e });
  }
  if (all.some((x) => x.apiId === 'UNKNOWN_TOPIC_OR_PARTITION' || (x.code === 'PLT_KFK_USER' && /^Unknown topic /.test(x.message ?? '')))) {
    return new PinpipeError('NOT_FOUND', `${what}: ${msg}`, { cause: e });
  }
  // network errors, time-outs and the broker's retriable answers; not a refused argument
  const retriable = !all.some((x) => x.code !== undefined && NOT_RETRIABLE_CODES.has(x.code));
  return new PinpipeError('LOG_UNAVAILABLE', `${what}: ${retriable ? 'Kafka unavailable' : 'Kafka error'}: ${msg}`, { retriable, cause: e });
}
