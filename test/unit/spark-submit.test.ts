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
