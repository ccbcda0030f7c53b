/**
 * The one error type of pinpipe. Every failure that reaches a user carries a stable code
 * (listed in README.md), whether retrying can help, and the exit code the CLI maps it to.
 */
export type ErrorCode =
  | 'CONFIG_INVALID' // a setting has a value that is not allowed (exit 2)
  | 'USAGE' // a command-line usage error (exit 2)
  | 'PORT_IN_USE' // the port to listen on is taken by another process (exit 2)
  | 'RECORD_INVALID' // a record failed validation (API 400/422)
  | 'BODY_TOO_LARGE' // request body over the limit (API 413)
  | 'JSON_INVALID' // request body is not valid UTF-8 JSON (API 400)
  | 'IDEMPOTENCY_KEY_INVALID' // Idempotency-Key header not /^[A-Za-z0-9._:-]{1,128}$/ (API 400)
  | 'IDEMPOTENCY_KEY_REUSED' // a remembered key sent again with another record or route (API 422)
  | 'METHOD_NOT_ALLOWED' // API 405 (with Allow)
  | 'REQUEST_TIMEOUT' // API 408: the request did not arrive in time
  | 'UNSUPPORTED_MEDIA_TYPE' // API 415
  | 'NOT_FOUND' // API 404
  | 'UNAUTHORIZED' // API 401
  | 'LOG_UNAVAILABLE' // the log cannot accept writes now (API 503, retriable)
  | 'LAKE_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'REALTIME_UNAVAILABLE'
  | 'SOURCE_UNAVAILABLE'
  | 'LOCKED' // another process holds a resource that is exclusive on the embedded stack
  | 'QUERY_INVALID' // SQL rejected (not read-only, syntax)
  | 'METRIC_INVALID' // a metric file is refused: file, line and reason (exit 2)
  | 'NOT_READY'
  | 'SPARK_FAILED' // the Spark job of batch-run --engine spark failed (nothing was written; retriable)
  | 'INTERNAL';

const EXIT_CODES: Partial<Record<ErrorCode, number>> = { CONFIG_INVALID: 2, USAGE: 2, METRIC_INVALID: 2, PORT_IN_USE: 2 };

export class PinpipeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, opts: { retriable?: boolean; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PinpipeError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.details = opts.details;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code] ?? 1;
  }
}

export function isPinpipeError(e: unknown): e is PinpipeError {
  return e instanceof PinpipeError;
}

/** Message of any thrown value, without stack; never includes secrets (callers must not put them in). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
