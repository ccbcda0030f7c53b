/**
 * The Kafka log over SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS, with both of its clients
 * (kafkajs for admin and consumers, @platformatic/kafka for the producer), against a private broker
 * (test/faults/lib/kafka-broker.ts) with a SASL_PLAINTEXT and a SASL_SSL listener. The certificate
 * is made here with openssl: a CA, and a broker certificate for 127.0.0.1 and localhost.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaLog } from '../../src/connectors/log/kafka.js';
import type { LogRecord } from '../../src/connectors/log/types.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { freePort, PrivateKafka } from '../faults/lib/kafka-broker.js';

const USER = 'alice';
const PASSWORD = 'alice-Zq9x-secret';
let broker: PrivateKafka;
let certs: string;
let saslPort: number;
let saslSslPort: number;

function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=pinpipe test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'broker.key', '-out', 'broker.csr');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'broker.pem');
  // Kafka's PEM key store: an unencrypted PKCS#8 key, then the certificate chain, in one file
  ssl('pkcs8', '-topk8', '-nocrypt', '-in', 'broker.key', '-out', 'broker.pk8');
  writeFileSync(path.join(dir, 'keystore.pem'), readFileSync(path.join(dir, 'broker.pk8'), 'utf8') + readFileSync(path.join(dir, 'broker.pem'), 'utf8'));
}

beforeAll(async () => {
  certs = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-kafka-tls-'));
  makeCertificates(certs);
  saslPort = await freePort();
  saslSslPort = await freePort();
  const jaas = (listener: string) => [
    `listener.name.${listener}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PASSWORD}";`,
    `listener.name.${listener}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `listener.name.${listener}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
  ];
  broker = await PrivateKafka.create({
    listeners: [
      { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT', port: saslPort },
      { name: 'SASL_SSL', protocol: 'SASL_SSL', port: saslSslPort },
    ],
    properties: [
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      ...jaas('sasl_plaintext'),
      ...jaas('sasl_ssl'),
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${path.join(certs, 'keystore.pem')}`,
    ],
    formatArgs: ['--add-scram', `SCRAM-SHA-256=[name=${USER},password=${PASSWORD}]`, '--add-scram', `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`],
  });
  await broker.start();
}, 180_000);

afterAll(async () => {
  await broker?.destroy();
  if (certs) rmSync(certs, { recursive: true, force: true });
}, 60_000);

function logWith(port: number, settings: Record<string, unknown>): KafkaLog {
  const cfg = loadConfig({ env: {}, flags: { dataDir: os.tmpdir(), 'log.kind': 'kafka', 'log.kafka.brokers': [`127.0.0.1:${port}`], ...settings } });
  return new KafkaLog(cfg, { logger: silentLogger });
}

/** ensure a topic (admin), produce keyed records (producer), read them back in a group (consumer) */
async function roundTrip(log: KafkaLog, name: string): Promise<void> {
  const topic = `sec-${name}-${Date.now()}`;
  const admin = log.admin();
  await admin.ensureTopics([topic]);
  const producer = log.producer();
  const sent = await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic, key: String(i), value: JSON.stringify({ i }) })));
  await producer.close();
  const consumer = log.consumer({ groupId: `${topic}-g`, topics: [topic], fromBeginning: true });
  const got: LogRecord[] = [];
  await consumer.connect();
  await consumer.run({ eachBatch: async (b) => void got.push(...b.records) });
  const end = Date.now() + 60_000;
  while (got.length < sent.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await consumer.close();
  await admin.deleteTopics([topic]);
  await admin.close();
  const where = (r: { partition: number; offset: number }) => `${r.partition}:${r.offset}`;
  expect(got.map((r) => `${where(r)} ${r.key} ${r.value}`).sort()).toEqual(sent.map((r, i) => `${where(r)} ${i} ${JSON.stringify({ i })}`).sort());
}

describe('SASL_PLAINTEXT', () => {
  test.each(['plain', 'scram-sha-256', 'scram-sha-512'])('%s: topics, produce and consume', async (mechanism) => {
    await roundTrip(logWith(saslPort, { 'log.kafka.saslMechanism': mechanism, 'log.kafka.saslUsername': USER, 'log.kafka.saslPassword': PASSWORD }), mechanism);
  }, 120_000);

  test('a wrong password fails the producer at once with a LOG_UNAVAILABLE that is not retriable and names no secret', async () => {
    const wrong = 'Wr0ng-Zq9x-password';
    const producer = logWith(saslPort, { 'log.kafka.saslMechanism': 'scram-sha-256', 'log.kafka.saslUsername': USER, 'log.kafka.saslPassword': wrong }).producer();
    const t0 = Date.now();
    const err = await producer.connect().then(() => null, (e: unknown) => e);
    await producer.close();
    expect(err).toMatchObject({ code: 'LOG_UNAVAILABLE', retriable: false, message: expect.stringMatching(/SASL authentication failed/) });
    expect(String((err as Error).message)).not.toContain(wrong);
    expect(Date.now() - t0).toBeLessThan(6_000);
  }, 60_000);
});

describe('SASL_SSL', () => {
  test('scram-sha-512 over TLS with the CA file: topics, produce and consume', async () => {
    await roundTrip(
      logWith(saslSslPort, { 'log.kafka.ssl': true, 'log.kafka.sslCaFile': path.join(certs, 'ca.pem'), 'log.kafka.saslMechanism': 'scram-sha-512', 'log.kafka.saslUsername': USER, 'log.kafka.saslPassword': PASSWORD }),
      'tls',
    );
  }, 120_000);

  test('a broker certificate from an unknown CA is refused', async () => {
    const producer = logWith(saslSslPort, { 'log.kafka.ssl': true, 'log.kafka.saslMechanism': 'plain', 'log.kafka.saslUsername': USER, 'log.kafka.saslPassword': PASSWORD }).producer();
    const err = await producer.connect().then(() => null, (e: unknown) => e);
    await producer.close();
    expect(err).toMatchObject({ code: 'LOG_UNAVAILABLE', message: expect.stringMatching(/certificate/i) });
  }, 60_000);
});
