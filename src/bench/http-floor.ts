/**
 * The api stage's floor: a bare Node HTTP server on the same machine, loaded as the api is (the
 * same wrk loads, bodies and connections). It reads each body and answers 202 with a short JSON
 * body; a /bulk body it also parses (JSON.parse) to count its records. No validation, no stamping,
 * no log: what Node's HTTP server alone costs on this machine, so that a run shows how far the api
 * is from what one Node process can serve here (as the batch stage's floor does for DuckDB).
 *
 * `node dist/bench/http-floor.js` serves on a free port of 127.0.0.1 and prints it on stdout.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

function serve(): void {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let accepted = 1;
      if (req.url === '/bulk') {
        const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records?: unknown[] };
        accepted = v.records?.length ?? 0;
      }
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(`{"accepted":${accepted}}`);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

export interface HttpFloor {
  url: string;
  pid: number;
  stop(): void;
}

/** Start the floor server as a child process (its own core, like the api's process). */
export function startHttpFloor(): Promise<HttpFloor> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the HTTP floor server exited (code ${code}) before listening`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, pid: child.pid!, stop: () => child.kill('SIGTERM') });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) serve();
