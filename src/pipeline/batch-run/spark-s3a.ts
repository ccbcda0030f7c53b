/**
 * The Spark job on an S3 lake: it reads the lake's curated day files and writes its own curated
 * output straight to S3 through Hadoop's S3A filesystem (hadoop-aws), under a staging prefix of the
 * run (`tmp/spark-<id>/` in the lake) that the CLI copies into place (in the store) once the job
 * succeeded, and removes in any case.
 *
 * S3A's settings come from the lake's (lake.s3: endpoint, path style, region) and the credentials
 * from the CLI's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): they go
 * in the job's spec file (mode 0600, removed after the run), never on spark-submit's command line,
 * and reach the executors in the job's Hadoop configuration. Without them in the environment,
 * S3A's own provider chain applies (instance or container roles on the cluster).
 *
 * The jars: batch.spark.jars, else those scripts/services.sh installs (hadoop-aws of the Hadoop
 * inside pyspark and the AWS SDK bundle, `<cache>/spark-s3a/jars`), else none (a cluster whose
 * Spark has S3A, as most managed ones do). They go on the driver's and the executors' class path
 * as local paths (no copy per application: on a cluster they must be at the same path on every node).
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../core/config.js';

/** the cache directory of scripts/services.sh (PINPIPE_CACHE_DIR, else ~/.cache/pinpipe) */
export function servicesCacheDir(): string {
  return process.env.PINPIPE_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pinpipe');
}

/** the jars of S3A for the job: the setting, else those installed by scripts/services.sh, else none */
export function s3aJars(cfg: Config): string[] {
  if (cfg.batch.spark.jars) return cfg.batch.spark.jars;
  const dir = path.join(servicesCacheDir(), 'spark-s3a', 'jars');
  if (!existsSync(path.join(dir, '.complete'))) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jar'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Hadoop settings of S3A for the lake (without the `spark.hadoop.` prefix), credentials included when in the environment */
export function s3aSettings(cfg: Config, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const s3 = cfg.lake.s3;
  const out: Record<string, string> = {
    'fs.s3a.path.style.access': String(s3.forcePathStyle),
    'fs.s3a.endpoint.region': s3.region,
    // the job's few, large files: no need for S3A's default of many threads and connections
    'fs.s3a.threads.max': '16',
  };
  if (s3.endpoint) {
    out['fs.s3a.endpoint'] = s3.endpoint;
    out['fs.s3a.connection.ssl.enabled'] = String(!s3.endpoint.startsWith('http://'));
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    out['fs.s3a.access.key'] = env.AWS_ACCESS_KEY_ID;
    out['fs.s3a.secret.key'] = env.AWS_SECRET_ACCESS_KEY;
    if (env.AWS_SESSION_TOKEN) {
      out['fs.s3a.session.token'] = env.AWS_SESSION_TOKEN;
      out['fs.s3a.aws.credentials.provider'] = 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider';
    } else out['fs.s3a.aws.credentials.provider'] = 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider';
  }
  return out;
}

/** A hint for a job that failed for want of S3A on its class path. */
export function s3aHint(cause: string): string {
  return /S3AFileSystem|No FileSystem for scheme "?s3a/.test(cause)
    ? '; S3A is not on the job’s class path: run `bash scripts/services.sh install spark` (installs hadoop-aws), or set batch.spark.jars'
    : '';
}
