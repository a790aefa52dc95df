import unixDgram, { type UnixDgramSocket } from 'unix-dgram';
import { OpsError } from './errors.js';

/**
 * systemd's notification protocol (sd_notify(3)): one datagram of `KEY=VALUE` lines to the unix socket
 * named by $NOTIFY_SOCKET. Node has no unix datagram sockets, so the native unix-dgram package sends it.
 * It takes a path only: an abstract socket (`@name`, seen in some containers) cannot be reached and is
 * reported once by `notifySocketOf`.
 */
export interface Notifier {
  readonly socket: string;
  /** Send one state (`READY=1`, `STOPPING=1`, `WATCHDOG=1`, `STATUS=…`); a failure goes to onError, never throws. */
  notify(state: string): void;
  close(): void;
}

/** Where to send notifications: null when systemd asked for none; an error for an address we cannot use. */
export function notifySocketOf(env: NodeJS.ProcessEnv): string | null {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return null;
  if (socket.startsWith('@')) throw new OpsError('notify_socket_abstract', `NOTIFY_SOCKET=${socket} is an abstract socket, which switchpost cannot send to; notifications are off`);
  if (!socket.startsWith('/')) throw new OpsError('notify_socket_invalid', `NOTIFY_SOCKET=${socket} is not an absolute path; notifications are off`);
  return socket;
}

export function unixNotifier(socket: string, onError: (err: Error) => void): Notifier {
  let sock: UnixDgramSocket | null = unixDgram.createSocket('unix_dgram');
  // A send that fails synchronously is also emitted as 'error' by the module when no callback is given.
  sock.on('error', onError);
  return {
    socket,
    notify(state) {
      if (!sock) return;
      const buf = Buffer.from(state);
      sock.send(buf, 0, buf.length, socket, (err) => err && onError(new OpsError('notify_failed', `sd_notify to ${socket} failed (${String(err.code ?? err.message)})`, { cause: err })));
    },
    close() {
      sock?.close();
      sock = null;
    },
  };
}
