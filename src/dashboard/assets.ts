/**
 * The page's files, served from memory: the front end (src/dashboard/web: plain HTML, CSS and ES
 * modules, no build step) and uPlot's ES module and stylesheet from the installed `uplot` package.
 * Nothing is loaded from anywhere else: the page works without the internet (and its
 * Content-Security-Policy allows only its own origin).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/dashboard/web');

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function asset(file: string): Asset {
  const body = readFileSync(file);
  return { body, type: TYPES[path.extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` };
}

/** URL path → asset: `/` is index.html, `/assets/<name>` every other file */
export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(WEB_DIR)) {
    if (!TYPES[path.extname(name)]) continue;
    out.set(name === 'index.html' ? '/' : `/assets/${name}`, asset(path.join(WEB_DIR, name)));
  }
  const require = createRequire(import.meta.url);
  out.set('/assets/uPlot.esm.js', asset(require.resolve('uplot/dist/uPlot.esm.js')));
  out.set('/assets/uPlot.min.css', asset(require.resolve('uplot/dist/uPlot.min.css')));
  return out;
}
