/** A parse worker of the API (bulk-workers.ts): parses /bulk bodies off the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseBulkBody } from './bulk-parse.js';
import type { Limits } from './validate.js';

const limits = (workerData as { limits: Limits }).limits;
parentPort!.on('message', (m: { id: number; body: Uint8Array }) => {
  let reply;
  try {
    reply = { id: m.id, result: parseBulkBody(Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), limits) };
  } catch (e) {
    reply = { id: m.id, crash: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
