/**
 * Reading a request body: Content-Type check, a byte limit enforced while reading (never buffers
 * more than the limit), strict UTF-8, JSON.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './reply.js';

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-?8"?\s*)?$/i;

/** application/json, optionally with charset=utf-8; anything else is 415. */
export function checkContentType(header: string | undefined): void {
  if (header === undefined || !JSON_TYPE.test(header.trim())) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json (charset utf-8 allowed), got ${header === undefined ? 'none' : JSON.stringify(header.slice(0, 100))}`,
    );
  }
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'BODY_TOO_LARGE', `request body is larger than ${limit} bytes`, [], { connection: 'close' });
}

/** Content-Length already over the limit: refuse before reading anything. */
export function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
}

/** Read the body up to `limit` bytes; past that, stop reading and reject with 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onError = (e: Error) => finish(e);
    const onAborted = () => finish(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 then JSON.parse; either failing is 400 JSON_INVALID. */
export function parseJson(body: Buffer): unknown {
  return parseJsonText(body).value;
}

/** parseJson that also returns the decoded text. */
export function parseJsonText(body: Buffer): { text: string; value: unknown } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(400, 'JSON_INVALID', 'request body is not valid UTF-8');
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    throw new HttpError(400, 'JSON_INVALID', `request body is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}
