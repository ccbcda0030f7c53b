/** The API's one error shape `{statusCode, error, code, message, fields}` and JSON replies. */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { ErrorCode } from '../core/errors.js';

export interface FieldError {
  field: string;
  message: string;
  /** bulk: position of the offending item in `records` */
  item?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly fields: FieldError[] = [],
    readonly headers: Record<string, string> = {},
    /** more members of the error body (e.g. the counts of problems not listed in `fields`) */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(err: HttpError): string {
  return JSON.stringify({ statusCode: err.status, error: STATUS_CODES[err.status] ?? 'Error', code: err.code, message: err.message, fields: err.fields, ...err.extra });
}

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, errorBody(err), err.headers);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
