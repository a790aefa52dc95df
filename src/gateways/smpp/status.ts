/**
 * SMPP 3.4 command_status values (§5.1.3) and what the spool does with each: throttling slows the
 * bind and sends the same PDU again; a final error ends the attempt; anything else is retried later.
 */
export type StatusClass = 'ok' | 'throttled' | 'retryable' | 'final' | 'invalid_destination' | 'invalid_sender';

const NAMES: Record<number, string> = {
  0x00: 'ESME_ROK',
  0x01: 'ESME_RINVMSGLEN',
  0x02: 'ESME_RINVCMDLEN',
  0x03: 'ESME_RINVCMDID',
  0x04: 'ESME_RINVBNDSTS',
  0x05: 'ESME_RALYBND',
  0x06: 'ESME_RINVPRTFLG',
  0x07: 'ESME_RINVREGDLVFLG',
  0x08: 'ESME_RSYSERR',
  0x0a: 'ESME_RINVSRCADR',
  0x0b: 'ESME_RINVDSTADR',
  0x0c: 'ESME_RINVMSGID',
  0x0d: 'ESME_RBINDFAIL',
  0x0e: 'ESME_RINVPASWD',
  0x0f: 'ESME_RINVSYSID',
  0x11: 'ESME_RCANCELFAIL',
  0x13: 'ESME_RREPLACEFAIL',
  0x14: 'ESME_RMSGQFUL',
  0x15: 'ESME_RINVSERTYP',
  0x33: 'ESME_RINVNUMDESTS',
  0x34: 'ESME_RINVDLNAME',
  0x40: 'ESME_RINVDESTFLAG',
  0x42: 'ESME_RINVSUBREP',
  0x43: 'ESME_RINVESMCLASS',
  0x44: 'ESME_RCNTSUBDL',
  0x45: 'ESME_RSUBMITFAIL',
  0x48: 'ESME_RINVSRCTON',
  0x49: 'ESME_RINVSRCNPI',
  0x50: 'ESME_RINVDSTTON',
  0x51: 'ESME_RINVDSTNPI',
  0x53: 'ESME_RINVSYSTYP',
  0x54: 'ESME_RINVREPFLAG',
  0x55: 'ESME_RINVNUMMSGS',
  0x58: 'ESME_RTHROTTLED',
  0x61: 'ESME_RINVSCHED',
  0x62: 'ESME_RINVEXPIRY',
  0x63: 'ESME_RINVDFTMSGID',
  0x64: 'ESME_RX_T_APPN',
  0x65: 'ESME_RX_P_APPN',
  0x66: 'ESME_RX_R_APPN',
  0x67: 'ESME_RQUERYFAIL',
  0xc0: 'ESME_RINVOPTPARSTREAM',
  0xc1: 'ESME_ROPTPARNOTALLWD',
  0xc2: 'ESME_RINVPARLEN',
  0xc3: 'ESME_RMISSINGOPTPARAM',
  0xc4: 'ESME_RINVOPTPARAMVAL',
  0xfe: 'ESME_RDELIVERYFAILURE',
  0xff: 'ESME_RUNKNOWNERR',
};

const FINAL = new Set([0x01, 0x06, 0x07, 0x0c, 0x15, 0x33, 0x40, 0x42, 0x43, 0x54, 0x55, 0x61, 0x62, 0x63, 0x65, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4]);

export function statusName(status: number): string {
  return NAMES[status] ?? `0x${status.toString(16).padStart(8, '0')}`;
}

export function classifyStatus(status: number): StatusClass {
  if (status === 0) return 'ok';
  if (status === 0x58 || status === 0x14) return 'throttled';
  if (status === 0x0b || status === 0x50 || status === 0x51) return 'invalid_destination';
  if (status === 0x0a || status === 0x48 || status === 0x49) return 'invalid_sender';
  if (status === 0x66 || status === 0xfe) return 'final';
  return FINAL.has(status) ? 'final' : 'retryable';
}

/** command_status as the hex code reports carry, e.g. "0x00000058". */
export const statusCode = (status: number): string => `0x${status.toString(16).padStart(8, '0')}`;
