// unix-dgram 2.0.7 ships no types: the part of its API that ops/sd-notify.ts uses.
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';
  export interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void;
    send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error & { code?: number | string }) => void): void;
    close(): void;
  }
  export function createSocket(type: 'unix_dgram', listener?: (msg: Buffer, rinfo: { size: number; path?: string }) => void): UnixDgramSocket;
  const unixDgram: { createSocket: typeof createSocket };
  export default unixDgram;
}
