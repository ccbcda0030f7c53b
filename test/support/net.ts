/** Ports for tests. */
import net from 'node:net';

/** a TCP port on 127.0.0.1 that was free a moment ago */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** whether the pinpipe API at url answers GET /ready with 2xx (false while it is not listening) */
export async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ready`)).ok;
  } catch {
    return false;
  }
}
