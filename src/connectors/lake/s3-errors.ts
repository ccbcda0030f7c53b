/** S3 error classification and wrapping (no credentials ever appear: the SDK's messages carry none). */
import { PinpipeError, isPinpipeError } from '../../core/errors.js';
import { retry } from '../../core/retry.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'NetworkingError',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export function isNotFound(e: unknown): boolean {
  const err = e as SdkError;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** 5xx, throttling, timeouts and network failures are worth another attempt. */
export function isTransient(e: unknown): boolean {
  const err = e as SdkError;
  const status = err?.$metadata?.httpStatusCode ?? 0;
  return status >= 500 || status === 429 || TRANSIENT_NAMES.has(err?.name ?? '') || NETWORK_CODES.has(err?.code ?? '') || Boolean(err?.$retryable);
}

/** Run an S3 call with backoff on transient errors (on top of the SDK's own attempts). */
export function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  return retry(fn, { retries: 2, initialMs: 200, maxMs: 2_000, shouldRetry: (e) => !isPinpipeError(e) && isTransient(e) });
}

export function lakeError(op: string, bucket: string, key: string, e: unknown): PinpipeError {
  if (isPinpipeError(e)) return e;
  const err = e as SdkError;
  const status = err?.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
  return new PinpipeError('LAKE_UNAVAILABLE', `s3 ${op} s3://${bucket}/${key} failed: ${err?.name ?? 'Error'}${status}: ${err?.message ?? String(e)}`, {
    retriable: true,
    cause: e,
  });
}
