/** Optional API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A check that passes every request when no key is configured. */
export function apiKeyCheck(apiKey: string | undefined): (req: IncomingMessage) => boolean {
  if (!apiKey) return () => true;
  const expected = sha256(apiKey);
  return (req) => {
    let presented: string | undefined;
    const auth = req.headers.authorization;
    if (auth !== undefined && /^bearer\s/i.test(auth)) presented = auth.slice(7).trim();
    else {
      const h = req.headers['x-api-key'];
      presented = Array.isArray(h) ? h[0] : h;
    }
    if (!presented) return false;
    return timingSafeEqual(sha256(presented), expected);
  };
}
