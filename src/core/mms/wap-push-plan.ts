/**
 * One recipient's MMS over WAP Push, planned: the M-Retrieve.conf to host, the signed token and URL
 * it is served at, and the M-Notification.ind pointing there, wrapped as the WSP push PDU the SMPP
 * driver sends (`SmppGateway.sendWapPush`). The token is also the notification's Transaction-Id, so
 * the handset's M-NotifyResp.ind posted to the MMSC URL (`/mms`) proves itself as the fetch does.
 * Pure: the caller stores `retrieveConf` under `ref` (kind `mms`) and sends `push`.
 */
import { hostedUrl, signHostedToken } from './hosted-token.js';
import type { MmsVersion } from './headers.js';
import { encodeNotificationInd } from './notification.js';
import { encodeRetrieveConf, type MmsMessage } from './retrieve-conf.js';
import { wspPush } from './wap-push.js';

export interface WapPushPlanInput {
  /** What the message says, merged for this recipient (subject, text, media, sender). */
  message: Omit<MmsMessage, 'messageId' | 'transactionId' | 'to' | 'date' | 'version'>;
  /** The recipient's handset, E.164. */
  to: string;
  /** The caller's name for this recipient's message (e.g. `a<attemptId>`): what the handset's answers report. */
  ref: string;
  /** The daemon's public base URL (the handset fetches from it). */
  baseUrl: string;
  /** `hostedKey` of the daemon's secret. */
  key: Buffer;
  now: Date;
  /** When the message is no longer fetched (the URL answers 410 from then). */
  expiresAt: Date;
  /** The WSP push TID (any octet; a retry may take another). */
  wspTid: number;
  version?: MmsVersion;
}

export interface WapPushPlan {
  token: string;
  contentLocation: string;
  retrieveConf: Buffer;
  notification: Buffer;
  push: Buffer;
}

export function planWapPush(p: WapPushPlanInput): WapPushPlan {
  const token = signHostedToken({ kind: 'mms', ref: p.ref, expiresAt: p.expiresAt }, p.key);
  const contentLocation = hostedUrl(p.baseUrl, token);
  const version = p.version ?? '1.2';
  const retrieveConf = encodeRetrieveConf({ ...p.message, messageId: p.ref, transactionId: token, to: p.to, date: p.now, version });
  const notification = encodeNotificationInd({
    transactionId: token,
    version,
    ...(p.message.from !== undefined ? { from: p.message.from } : {}),
    ...(p.message.subject ? { subject: p.message.subject } : {}),
    ...(p.message.messageClass ? { messageClass: p.message.messageClass } : {}),
    size: retrieveConf.length,
    expiry: { seconds: Math.max(1, Math.floor((p.expiresAt.getTime() - p.now.getTime()) / 1000)) },
    contentLocation,
  });
  return { token, contentLocation, retrieveConf, notification, push: wspPush(notification, p.wspTid) };
}
