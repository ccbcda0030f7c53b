/**
 * A loopback TCP proxy that a test can cut: pinpipe reaches MySQL, Redis or S3 through it, and
 * `down()` makes the service unreachable exactly as a stopped server is (new connections refused,
 * open ones reset), while the server itself keeps running for every other test and keeps its data
 * (Redis and moto hold theirs in memory only). `up()` listens again on the same port.
 */
import net from 'node:net';

export interface TcpProxy {
  /** host:port to use instead of the service's */
  address: string;
  port: number;
  isUp(): boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          sockets.delete(client);
          sockets.delete(upstream);
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop);
        upstream.on('error', drop);
        client.on('close', drop);
        upstream.on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  await listen();
  const down = async () => {
    const s = server;
    server = null;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const sock of sockets) {
      try {
        sock.resetAndDestroy();
      } catch {
        sock.destroy();
      }
    }
    sockets.clear();
    await closed;
  };
  return {
    address: `127.0.0.1:${port}`,
    port,
    isUp: () => server !== null,
    down,
    up: async () => {
      if (!server) await listen();
    },
    close: down,
  };
}
