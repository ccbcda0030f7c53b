/**
 * Coalesces concurrent producer.send calls: while `maxInFlight` sends are running, new messages
 * queue and go out together in the next send. Each caller's promise settles only when the send
 * that carried its messages has settled (so 2xx still means "durably in the log"). At low load
 * every call goes out at once; under load, batches grow and the log does fewer, larger appends.
 */
import type { LogProducer, ProduceMessage, ProduceResult } from '../connectors/log/types.js';

interface Waiting {
  messages: ProduceMessage[];
  resolve: (r: ProduceResult[]) => void;
  reject: (e: unknown) => void;
}

export class CoalescingSender {
  private queue: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly producer: Pick<LogProducer, 'send'>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 20_000,
  ) {}

  send(messages: ProduceMessage[]): Promise<ProduceResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxInFlight && this.queue.length > 0) {
      let k = 0;
      let n = 0;
      while (k < this.queue.length && (k === 0 || n + this.queue[k]!.messages.length <= this.maxBatch)) n += this.queue[k++]!.messages.length;
      const batch = k === this.queue.length ? this.queue : this.queue.slice(0, k);
      this.queue = k === this.queue.length ? [] : this.queue.slice(k);
      this.running++;
      const all = batch.length === 1 ? batch[0]!.messages : batch.flatMap((w) => w.messages);
      this.producer
        .send(all)
        .then(
          (results) => {
            let at = 0;
            for (const w of batch) {
              w.resolve(results.length === all.length ? results.slice(at, at + w.messages.length) : []);
              at += w.messages.length;
            }
          },
          (err: unknown) => {
            for (const w of batch) w.reject(err);
          },
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
