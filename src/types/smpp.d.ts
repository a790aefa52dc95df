// The part of the `smpp` 0.5 package (no published types) that switchpost uses.
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  export interface PduFields {
    [field: string]: unknown;
  }

  export class PDU {
    constructor(command: string, options?: PduFields);
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: PduFields): PDU;
    toBuffer(): Buffer;
  }

  export class Session extends EventEmitter {
    constructor(options: { socket: Socket });
    socket: Socket;
    send(pdu: PDU, responseCallback?: (pdu: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
  }

  export interface Server extends EventEmitter {
    listen(port: number, host?: string, cb?: () => void): this;
    close(cb?: (err?: Error) => void): this;
    address(): { port: number } | string | null;
    sessions: Session[];
  }

  export function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  export function connect(options: Record<string, unknown>, listener?: () => void): Session;

  export const commands: Record<string, { id: number; params?: Record<string, { filter?: { encode(v: unknown): unknown; decode(v: unknown, skipUdh?: boolean): unknown } }> }>;
  export const tlvs: Record<string, { id: number; filter?: { encode(v: unknown): unknown; decode(v: unknown, skipUdh?: boolean): unknown } }>;
}
