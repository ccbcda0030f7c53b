/**
 * The Kafka producer's client (@platformatic/kafka): keyed partitioning identical to kafkajs's
 * default partitioner (what the Kafka log used before, and Java's), the log.kafka.* TLS and SASL
 * settings mapped to its options, and its errors mapped to pinpipe's.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { AuthenticationError, MultipleErrors, NetworkError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka';
import { partitionForKey } from '../../src/connectors/log/embedded-topics.js';
import { producerClientOptions, toProducerError } from '../../src/connectors/log/kafka-producer-client.js';
import { loadConfig } from '../../src/core/config.js';

const kafka = (extra: Record<string, unknown> = {}) =>
  loadConfig({ env: {}, flags: { dataDir: '/tmp', 'log.kind': 'kafka', 'log.kafka.brokers': ['kafka-1.example:9093', 'kafka-2.example:9093'], ...extra } });

describe('keyed partitioning', () => {
  test('partitionForKey(String(ind)) is the partition kafkajs\'s default (murmur2) partitioner chose, for every count', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const keys = [...Array.from({ length: 4_000 }, (_, i) => String(i)), 'user-1', '', 'héllo ✓', '🦊'.repeat(7), 'x'.repeat(1001)];
    for (const count of [1, 2, 3, 4, 5, 7, 12, 64]) {
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1 }) as PartitionMetadata);
      const differ = keys.filter((key) => partitionForKey(Buffer.from(key), count) !== kafkajs({ topic: 't', partitionMetadata, message: { key, value: '' } }));
      expect({ count, differ }).toEqual({ count, differ: [] });
    }
  });
});

describe('producer options', () => {
  test('an idempotent producer with acks from all in-sync replicas, limited retries, no topic creation, pinpipe\'s time-outs', () => {
    const o = producerClientOptions(kafka({ 'log.kafka.clientId': 'me' }));
    expect(o).toMatchObject({ clientId: 'me', bootstrapBrokers: ['kafka-1.example:9093', 'kafka-2.example:9093'], idempotent: true, acks: -1, autocreateTopics: false, retries: 2, connectTimeout: 1_000, requestTimeout: 5_000, timeout: 4_000 });
    expect(o.tls).toBeUndefined();
    expect(o.sasl).toBeUndefined();
    const delay = o.retryDelay as (c: unknown, op: string, attempt: number) => number;
    expect([1, 2, 3, 4, 5].map((a) => delay(null, 'produce', a))).toEqual([100, 200, 400, 500, 500]);
  });

  test.each([
    ['plain', 'PLAIN'],
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['scram-sha-512', 'SCRAM-SHA-512'],
  ])('SASL %s becomes mechanism %s with the username and password', (mechanism, expected) => {
    const o = producerClientOptions(kafka({ 'log.kafka.saslMechanism': mechanism, 'log.kafka.saslUsername': 'alice', 'log.kafka.saslPassword': 's3cret' }));
    expect(o.sasl).toEqual({ mechanism: expected, username: 'alice', password: 's3cret' });
    expect(o.tls).toBeUndefined();
  });

  test('TLS: rejectUnauthorized and the CA file; SNI with the broker host names (none for IP addresses, as kafkajs)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-tls-'));
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const o = producerClientOptions(kafka({ 'log.kafka.ssl': true, 'log.kafka.sslCaFile': ca, 'log.kafka.saslMechanism': 'scram-sha-512', 'log.kafka.saslUsername': 'u', 'log.kafka.saslPassword': 'p' }));
    expect(o.tls).toEqual({ rejectUnauthorized: true, ca: [Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')] });
    expect(o.tlsServerName).toBe(true);
    expect(o.sasl).toMatchObject({ mechanism: 'SCRAM-SHA-512' });

    const ip = producerClientOptions(kafka({ 'log.kafka.ssl': true, 'log.kafka.sslRejectUnauthorized': false, 'log.kafka.brokers': ['127.0.0.1:9093', '[::1]:9093'] }));
    expect(ip.tls).toEqual({ rejectUnauthorized: false });
    expect(ip.tlsServerName).toBeUndefined();
  });

  test('an unreadable CA file is CONFIG_INVALID naming the setting', () => {
    expect(() => producerClientOptions(kafka({ 'log.kafka.ssl': true, 'log.kafka.sslCaFile': '/nonexistent/ca.pem' }))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('log.kafka.sslCaFile') }),
    );
  });
});

describe('errors', () => {
  const refused = new NetworkError('Connection to 127.0.0.1:9 failed.', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });

  test.each([
    ['a refused connection', refused],
    ['every broker refused, after retries', new MultipleErrors('metadata failed 3 times.', [new MultipleErrors('Cannot connect to any broker.', [refused])])],
    ['a request time-out', new TimeoutError('Request timed out')],
    ['a retriable answer of the broker', new ResponseError(0, 11, { '/responses/0/partitionResponses/0': [6, null] }, {})],
  ])('%s is a retriable LOG_UNAVAILABLE', (_, e) => {
    const err = toProducerError(e, 'writing 3 record(s) to Kafka');
    expect(err).toMatchObject({ code: 'LOG_UNAVAILABLE', retriable: true });
    expect(err.message).toMatch(/^writing 3 record\(s\) to Kafka: Kafka unavailable: /);
  });

  test('the innermost cause is named', () => {
    expect(toProducerError(refused, 'x').message).toBe('x: Kafka unavailable: Connection to 127.0.0.1:9 failed: connect ECONNREFUSED 127.0.0.1:9');
  });

  test('a failed SASL authentication (wrapped in a connection error) is LOG_UNAVAILABLE, not retriable, and says what to check', () => {
    const sasl = new MultipleErrors('initProducerId failed 1 times.', [new NetworkError('Connection to b:9092 failed.', { cause: new AuthenticationError('SASL authentication failed.') })]);
    const err = toProducerError(sasl, 'connecting the Kafka producer');
    expect(err).toMatchObject({ code: 'LOG_UNAVAILABLE', retriable: false });
    expect(err.message).toMatch(/SASL authentication failed .*PINPIPE_KAFKA_SASL_/);
    const byBroker = toProducerError(new ResponseError(36, 2, { '': [58, 'Authentication failed: Invalid username or password'] }, {}), 'x');
    expect(byBroker).toMatchObject({ code: 'LOG_UNAVAILABLE', retriable: false });
  });

  test('an unknown topic is NOT_FOUND, whether from the metadata or from the produce answer', () => {
    expect(toProducerError(new UserError('Unknown topic pin.'), 'x')).toMatchObject({ code: 'NOT_FOUND' });
    expect(toProducerError(new ResponseError(0, 11, { '/responses/0/partitionResponses/0': [3, null] }, {}), 'x')).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('an argument the client refused is not retriable', () => {
    expect(toProducerError(new UserError('Idempotent producer requires acks to be ALL (-1).'), 'x')).toMatchObject({ code: 'LOG_UNAVAILABLE', retriable: false });
  });
});
