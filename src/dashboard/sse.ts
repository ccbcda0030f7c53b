/**
 * Server-sent events (text/event-stream) to every open dashboard: `event: <name>` and one line of
 * JSON per message; a comment line every 15 s keeps proxies from closing idle streams. A new
 * client first gets the current state (the caller's `initial` events), so it never misses a change
 * between loading the page and subscribing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseEvent {
  event: string;
  data: unknown;
}

const HEARTBEAT_MS = 15_000;

export const frame = (e: SseEvent): string => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(req: IncomingMessage, res: ServerResponse, initial: SseEvent[]): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n\n${initial.map(frame).join('')}`);
    req.socket.setNoDelay(true);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on('close', drop);
    res.on('error', drop);
  }

  send(e: SseEvent): void {
    if (this.clients.size) this.write(frame(e));
  }

  /** end every stream (shutting down) */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(text: string): void {
    for (const res of this.clients) res.write(text);
  }
}
