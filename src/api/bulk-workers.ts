/**
 * Parse workers for /bulk: a body's UTF-8 check, JSON.parse, validation, record spans and stamping
 * (about 4 µs a record, a third of the API's CPU per bulk record) run on worker threads, so the
 * main thread only appends. Bodies under WORKER_MIN_BYTES are parsed inline (a round trip
 * to a worker costs more than they do). A worker that fails or exits is dropped and its bodies
 * are parsed on the main thread; with no worker left everything is parsed inline. Results are
 * the same either way (one function, parseBulkBody).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseBulkBody, type BulkParsed } from './bulk-parse.js';
import type { Limits } from './validate.js';

export const WORKER_MIN_BYTES = 16 * 1024;

/** the default number of parse workers: one when the machine has a second core, else none */
export const defaultBulkWorkers = (): number => (availableParallelism() > 1 ? 1 : 0);

interface Pending {
  body: Buffer;
  resolve(r: BulkParsed): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

type Reply = { id: number; result: BulkParsed; crash?: undefined } | { id: number; crash: string };

export class BulkParser {
  private slots: Slot[] = [];
  private seq = 0;

  /** `onLost` hears of a worker that stopped (its bodies are parsed inline) */
  constructor(
    private readonly limits: Limits,
    workers: number,
    private readonly onLost: (reason: string) => void = () => {},
  ) {
    // the compiled worker next to this module (absent when running from TypeScript sources)
    const url = new URL('./bulk-worker.js', import.meta.url);
    if (workers > 0 && existsSync(fileURLToPath(url))) for (let i = 0; i < workers; i++) this.spawn(url);
  }

  /** workers running now */
  get workers(): number {
    return this.slots.length;
  }

  parse(body: Buffer): Promise<BulkParsed> {
    if (this.slots.length === 0 || body.length < WORKER_MIN_BYTES) return Promise.resolve(parseBulkBody(body, this.limits));
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = ++this.seq;
    const bytes = new Uint8Array(body); // just the body's bytes (a Buffer may view a larger pool)
    return new Promise<BulkParsed>((resolve, reject) => {
      slot.pending.set(id, { body, resolve, reject });
      slot.worker.postMessage({ id, body: bytes }, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) this.parseInline(s);
  }

  private spawn(url: URL): void {
    const worker = new Worker(url, { workerData: { limits: this.limits } });
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (m: Reply) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.crash !== undefined) p.reject(new Error(m.crash));
      else p.resolve(m.result);
    });
    const lost = (reason: string) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      this.parseInline(slot);
      this.onLost(reason);
    };
    worker.on('error', (e) => lost(e.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.slots.push(slot);
  }

  private parseInline(slot: Slot): void {
    for (const p of slot.pending.values()) {
      try {
        p.resolve(parseBulkBody(p.body, this.limits));
      } catch (e) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    slot.pending.clear();
  }
}
