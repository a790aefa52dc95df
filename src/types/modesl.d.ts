// The part of `modesl` 1.2 (no published types) that switchpost uses.
declare module 'modesl' {
  import type { Socket } from 'node:net';

  export class Event {
    getHeader(name: string): string | undefined;
    getBody(): string;
    getType(): string;
  }

  export class Connection {
    constructor(host: string, port: number, password: string, ready?: () => void);
    socket: Socket | null;
    // Each listener declares what its event carries.
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
    removeAllListeners(event?: string): this;
    api(command: string, args: string, cb: (e: Event) => void): void;
    bgapi(command: string, args: string, jobId: string, cb?: (e: Event) => void): void;
    sendRecv(command: string, args: Record<string, string> | null, cb: (e: Event) => void): void;
    events(type: 'json' | 'plain' | 'xml', events: string, cb?: (e: Event) => void): void;
    disconnect(): void;
  }

  const esl: { Connection: typeof Connection; Event: typeof Event };
  export default esl;
}
