/**
 * Listening on a port: a port in use (or one that cannot be bound) is an operator error with a
 * clear message naming the address and the setting (exit 2), never "unexpected error: listen
 * EADDRINUSE"; and `up` checks its port is free before it starts any role.
 */
import { createServer, type Server } from 'node:net';
import { PinpipeError } from './errors.js';

/** The error for a failed listen on host:port; `setting` names where the port comes from. */
export function bindError(err: NodeJS.ErrnoException, host: string, port: number, setting: string): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (err.code === 'EADDRINUSE') return new PinpipeError('PORT_IN_USE', `${where} is already in use by another process: stop it or choose another port (${setting})`);
  if (err.code === 'EACCES') return new PinpipeError('CONFIG_INVALID', `not allowed to listen on ${where} (ports below 1024 need privileges): choose another port (${setting})`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new PinpipeError('CONFIG_INVALID', `cannot listen on ${where}: ${host} is not an address of this machine (${setting})`);
  return err;
}

/** server.listen(port, host), rejecting with bindError's error. */
export function listenOn(server: Pick<Server, 'listen' | 'once' | 'off'>, port: number, host: string, setting: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(bindError(e, host, port, setting));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Throws PORT_IN_USE (or CONFIG_INVALID) unless host:port can be bound now. */
export async function assertPortFree(port: number, host: string, setting: string): Promise<void> {
  const probe = createServer();
  await listenOn(probe, port, host, setting);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
