/**
 * How batch-run drives Spark (src/pipeline/batch-run/spark.ts), without Spark: the spark-submit
 * arguments from the settings, where spark-submit is found, and the cause of a failed job as the
 * user reads it (the job's own line, else Spark's last error lines).
 */
import { describe, expect, test } from '@jest/globals';
import path from 'node:path';
import os from 'node:os';
import { loadConfig } from '../../src/core/config.js';
import { SPARK_JOB, sparkCause, sparkSubmitPath, submitArgs } from '../../src/pipeline/batch-run/spark.js';
import { s3aHint, s3aJars, s3aSettings } from '../../src/pipeline/batch-run/spark-s3a.js';

const cfgOf = (env: Record<string, string>, flags: Record<string, unknown> = {}) => loadConfig({ env, flags: { dataDir: os.tmpdir(), ...flags } });

describe('spark-submit', () => {
  test('the master, memory, conf and extra options from the settings, then the shipped job and its spec', () => {
    const cfg = cfgOf(
      { PINPIPE_BATCH_ENGINE: 'spark', PINPIPE_SPARK_MASTER: 'spark://h:7077' },
      { 'batch.spark.submitOptions': ['--queue', 'etl'], 'batch.spark.conf': { 'spark.sql.shuffle.partitions': '64' }, 'batch.spark.executorMemory': '4g' },
    );
    expect(cfg.batch.engine).toBe('spark');
    const args = submitArgs(cfg, '/tmp/spec.json');
    expect(args.slice(0, 8)).toEqual(['--master', 'spark://h:7077', '--name', 'pinpipe-batch', '--driver-memory', '1g', '--executor-memory', '4g']);
    expect(args).toContain('spark.sql.session.timeZone=UTC');
    expect(args).toContain('spark.sql.ansi.doubleQuotedIdentifiers=true');
    // the setting replaces the default of 8
    expect(args.filter((a) => a.startsWith('spark.sql.shuffle.partitions='))).toEqual(['spark.sql.shuffle.partitions=64']);
    expect(args.slice(-4)).toEqual(['--queue', 'etl', SPARK_JOB, '/tmp/spec.json']);
    expect(path.basename(SPARK_JOB)).toBe('pinpipe_batch.py');
  });

  test('defaults: duckdb, local[*]; an unknown engine is a config error', () => {
    const cfg = cfgOf({});
    expect([cfg.batch.engine, cfg.batch.spark.master, cfg.batch.spark.driverMemory]).toEqual(['duckdb', 'local[*]', '1g']);
    expect(() => cfgOf({ PINPIPE_BATCH_ENGINE: 'flink' })).toThrow(/PINPIPE_BATCH_ENGINE|batch\.engine/);
  });

  test('spark-submit: the setting first, then SPARK_HOME', () => {
    expect(sparkSubmitPath(cfgOf({ PINPIPE_SPARK_SUBMIT: '/opt/spark/bin/spark-submit' }))).toBe('/opt/spark/bin/spark-submit');
    const before = process.env.SPARK_HOME;
    process.env.SPARK_HOME = '/opt/spark-4';
    try {
      expect(sparkSubmitPath(cfgOf({}))).toBe('/opt/spark-4/bin/spark-submit');
    } finally {
      if (before === undefined) delete process.env.SPARK_HOME;
      else process.env.SPARK_HOME = before;
    }
  });

  test("the cause of a failure: the job's line, else Spark's last error lines", () => {
    const out = 'INFO x\nPINPIPE_SPARK_ERROR: ArithmeticException: [DIVIDE_BY_ZERO] Division by zero.\nINFO shutdown\n';
    expect(sparkCause(out)).toBe('ArithmeticException: [DIVIDE_BY_ZERO] Division by zero.');
    expect(sparkCause('INFO a\nERROR SparkContext: Error initializing SparkContext.\njava.io.IOException: no master\nINFO b\n')).toBe(
      'ERROR SparkContext: Error initializing SparkContext. | java.io.IOException: no master',
    );
    expect(sparkCause('')).toBe('no output');
  });
});

describe('S3A for an S3 lake (spark-s3a.ts)', () => {
  const s3 = {
    'lake.kind': 's3',
    'lake.s3.bucket': 'b',
    'lake.s3.endpoint': 'http://127.0.0.1:9000',
    'lake.s3.forcePathStyle': true,
    'lake.s3.region': 'eu-west-3',
  };

  test('the lake settings and the credentials of the environment; HTTPS and AWS without an endpoint', () => {
    expect(s3aSettings(cfgOf({}, s3), { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({
      'fs.s3a.path.style.access': 'true',
      'fs.s3a.endpoint.region': 'eu-west-3',
      'fs.s3a.threads.max': '16',
      'fs.s3a.endpoint': 'http://127.0.0.1:9000',
      'fs.s3a.connection.ssl.enabled': 'false',
      'fs.s3a.access.key': 'k',
      'fs.s3a.secret.key': 's',
      'fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider',
    });
    const aws = s3aSettings(cfgOf({}, { 'lake.kind': 's3', 'lake.s3.bucket': 'b' }), {
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SESSION_TOKEN: 't',
    });
    expect(aws['fs.s3a.endpoint']).toBeUndefined();
    expect(aws['fs.s3a.path.style.access']).toBe('false');
    expect([aws['fs.s3a.session.token'], aws['fs.s3a.aws.credentials.provider']]).toEqual(['t', 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider']);
    // no credentials in the environment: S3A's own chain (roles of the cluster)
    const none = s3aSettings(cfgOf({}, s3), {});
    expect(Object.keys(none).filter((k) => /key|token|provider/.test(k))).toEqual([]);
  });

  test('the jars: the setting, on the class path of the driver and the executors after the user’s own; never on the command line: the credentials', () => {
    const cfg = cfgOf(
      {},
      { ...s3, 'batch.spark.jars': ['/j/hadoop-aws.jar', '/j/bundle.jar'], 'batch.spark.conf': { 'spark.driver.extraClassPath': '/mine.jar' } },
    );
    expect(s3aJars(cfg)).toEqual(['/j/hadoop-aws.jar', '/j/bundle.jar']);
    const args = submitArgs(cfg, '/tmp/spec.json', s3aJars(cfg));
    expect(args).toContain('spark.driver.extraClassPath=/mine.jar:/j/hadoop-aws.jar:/j/bundle.jar');
    expect(args).toContain('spark.executor.extraClassPath=/j/hadoop-aws.jar:/j/bundle.jar');
    expect(submitArgs(cfg, '/tmp/spec.json').filter((a) => a.startsWith('spark.executor.extraClassPath'))).toEqual([]);
    expect(args.join(' ')).not.toMatch(/access\.key|secret/);
  });

  test('a job without S3A gets a hint', () => {
    expect(s3aHint('java.lang.ClassNotFoundException: Class org.apache.hadoop.fs.s3a.S3AFileSystem not found')).toMatch(
      /services\.sh install spark.*batch\.spark\.jars/,
    );
    expect(s3aHint('org.apache.hadoop.fs.UnsupportedFileSystemException: No FileSystem for scheme "s3a"')).not.toBe('');
    expect(s3aHint('ArithmeticException: [DIVIDE_BY_ZERO]')).toBe('');
  });
});
