/**
 * The dashboard as a role of `pinpipe up`: on the requested port, or on any free one when that is
 * taken (another `up`, or anything else), so that a busy port never stops the demo; its URL is
 * read from its log line once it listens.
 */
import net from 'node:net';
import { startRole, type Role } from './roles.js';

export interface UpDashboard {
  role: Role;
  /** the URL once it listens */
  url(): string | null;
  /** the panel's line: the URL, "starting", or where to look when it stopped */
  line(dataDir: string): string;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export async function startDashboard(host: string, port: number, base: { dataDir: string; configFile?: string }, waitMs = 15_000): Promise<UpDashboard> {
  const free = port === 0 || (await portFree(host, port));
  const role = startRole('dashboard', ['dashboard', '--port', String(free ? port : 0)], base);
  let url: string | null = null;
  let out = '';
  const listening = new Promise<void>((resolve) => {
    const look = (d: Buffer) => {
      out = (out + d.toString()).slice(-4096);
      const m = /"msg":"pinpipe dashboard at [^"]*","url":"([^"]+)"/.exec(out);
      if (m) {
        url = m[1]!;
        role.child.stderr!.off('data', look);
        resolve();
      }
    };
    role.child.stderr!.on('data', look);
    void role.exited.then(() => resolve());
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([listening, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  return {
    role,
    url: () => url,
    line: (dataDir) => {
      const code = role.child.exitCode;
      if (code !== null) return `not running (exit ${code}; see ${dataDir}/logs/dashboard.log)`;
      return url ? `${url}${free ? '' : `  (port ${port} was taken)`}` : 'starting';
    },
  };
}
