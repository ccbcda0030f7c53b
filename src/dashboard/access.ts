/**
 * Who may open the dashboard. Bound to a loopback address it is open to the machine's users; bound
 * to any other address it needs an access key (`--api-key`, PINPIPE_DASHBOARD_KEY), else the
 * command refuses to start (USAGE, exit 2). With a key, a request passes with
 * `Authorization: Bearer <key>` or `X-API-Key: <key>` (scripts), or the cookie set when a browser
 * first opens `/?key=<key>` (the page's own requests and its event stream then carry the cookie).
 * The cookie holds a hash of the key, not the key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiKeyCheck } from '../api/auth.js';
import { PinpipeError } from '../core/errors.js';

export const COOKIE = 'pinpipe_dashboard';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** refuse to serve beyond localhost without a key */
export function checkBind(host: string, key: string | undefined): void {
  if (!key && !isLoopback(host)) {
    throw new PinpipeError(
      'USAGE',
      `refusing to serve the dashboard on ${host} without an access key: anyone who can reach it could read every metric. Give --api-key or PINPIPE_DASHBOARD_KEY (at least 16 characters), or bind 127.0.0.1`,
    );
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface Access {
  /** the request carries the key (header or cookie); always true without a key */
  allowed(req: IncomingMessage): boolean;
  /** the key given as ?key= matches: the cookie to set (then redirect without it) */
  cookieFor(presented: string | null): string | null;
}

export function dashboardAccess(key: string | undefined): Access {
  if (!key) return { allowed: () => true, cookieFor: () => null };
  const header = apiKeyCheck(key);
  const token = digest(`pinpipe-dashboard:${key}`).toString('hex');
  const expected = digest(token);
  const cookieOk = (req: IncomingMessage) => {
    const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([0-9a-f]{64})(?:;|$)`).exec(req.headers.cookie ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), expected);
  };
  return {
    allowed: (req) => header(req) || cookieOk(req),
    cookieFor: (presented) => (presented !== null && timingSafeEqual(digest(presented), digest(key)) ? `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict` : null),
  };
}
