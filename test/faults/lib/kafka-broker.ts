/**
 * A private Apache Kafka broker for a fault test: the same jars and KRaft combined mode as
 * scripts/services-kafka.sh (installed there by `npm run services:up`), but its own free ports and
 * a temp data dir, so the test can stop and restart it without disturbing the shared broker that
 * other tests use. stop() is a real broker shutdown (SIGTERM, or SIGKILL with `hard`); start()
 * starts it again on the same ports and data.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/net.js';
import { ROOT } from './proc.js';
import { sleep } from '../../support/wait.js';

/** KAFKA_HOME as scripts/services-kafka.sh computes it (same env overrides) */
function kafkaHome(): string {
  // jit_opts (services-lib.sh) only shapes the broker's JVM flags, which this reading does not use
  const script = `CACHE_DIR="\${PINPIPE_CACHE_DIR:-\${XDG_CACHE_HOME:-$HOME/.cache}/pinpipe}"; STATE_DIR=/nonexistent; jit_opts() { :; }; source scripts/services-kafka.sh; echo "$KAFKA_HOME"`;
  const home = execFileSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8' }).trim();
  if (!existsSync(path.join(home, 'libs/.complete'))) throw new Error(`Kafka is not installed at ${home}: run \`npm run services:up\` first (npm test does)`);
  return home;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** more listeners of the private broker (e.g. SASL_PLAINTEXT), their settings, StorageTool format arguments */
export interface PrivateKafkaOptions {
  listeners?: { name: string; protocol: string; port: number }[];
  properties?: string[];
  /** e.g. ['--add-scram', 'SCRAM-SHA-256=[name=u,password=p]'] (KRaft SCRAM users are created at format time) */
  formatArgs?: string[];
}

export class PrivateKafka {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private starts = 0;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly controllerPort: number,
    private readonly home: string,
  ) {}

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  private java(args: string[]): string[] {
    return [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${path.join(this.dir, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${this.dir}`,
      '-cp',
      `${this.home}/libs/*`,
      ...args,
    ];
  }

  static async create(opts: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
    const home = kafkaHome();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-faults-kafka-'));
    const k = new PrivateKafka(dir, await freePort(), await freePort(), home);
    const extra = opts.listeners ?? [];
    const listeners = extra.map((l) => `,${l.name}://127.0.0.1:${l.port}`).join('');
    writeFileSync(
      path.join(dir, 'server.properties'),
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${k.controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${k.port},CONTROLLER://127.0.0.1:${k.controllerPort}${listeners}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${k.port}${listeners}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${extra.map((l) => `,${l.name}:${l.protocol}`).join('')}`,
        `log.dirs=${path.join(dir, 'data')}`,
        'num.partitions=3',
        'default.replication.factor=1',
        'min.insync.replicas=1',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=3',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
        'num.network.threads=2',
        'num.io.threads=2',
        ...(opts.properties ?? []),
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'log4j2.properties'),
      [
        'status = warn',
        'appender.file.type = File',
        'appender.file.name = file',
        `appender.file.fileName = ${path.join(dir, 'server.log')}`,
        'appender.file.layout.type = PatternLayout',
        'appender.file.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = info',
        'rootLogger.appenderRef.file.ref = file',
        '',
      ].join('\n'),
    );
    const id = execFileSync('java', k.java(['kafka.tools.StorageTool', 'random-uuid']), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    execFileSync('java', k.java(['kafka.tools.StorageTool', 'format', '-t', id, '-c', path.join(dir, 'server.properties'), ...(opts.formatArgs ?? [])]), {
      stdio: 'ignore',
    });
    return k;
  }

  /** start (or start again) and wait until the broker accepts clients */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.child) return;
    const before = this.startedLines();
    const child = spawn('java', this.java(['kafka.Kafka', path.join(this.dir, 'server.properties')]), { stdio: 'ignore', detached: false });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    this.starts++;
    const deadline = Date.now() + timeoutMs;
    while (!(this.startedLines() > before && (await portOpen(this.port)))) {
      if (!this.child) throw new Error(`the private Kafka broker exited while starting; see ${path.join(this.dir, 'server.log')}`);
      if (Date.now() > deadline) throw new Error(`the private Kafka broker did not start within ${timeoutMs} ms; see ${path.join(this.dir, 'server.log')}`);
      await sleep(200);
    }
  }

  private startedLines(): number {
    const log = path.join(this.dir, 'server.log');
    if (!existsSync(log)) return 0;
    return (readFileSync(log, 'utf8').match(/Kafka Server started/g) ?? []).length;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** stop the broker: SIGTERM (controlled shutdown), or SIGKILL when `hard`; waits for the exit */
  async stop(hard = false): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
