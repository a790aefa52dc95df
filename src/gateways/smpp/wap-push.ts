/** A WAP Push as the SMPP driver takes it (`SmppGateway.sendWapPush`): one attempt to one handset. */
export interface WapPushDelivery {
  attemptId: number;
  /** E.164 number. */
  destination: string;
  /** The sender the SMSC shows (as an SMS's); none: the provider's default_sender. */
  sender: string | null;
  /** The recipient's last try (sent only once recorded, as an SMS's). */
  lastTry?: boolean;
  /** The connectionless WSP push PDU (`core/mms/wap-push.ts` wspPush of the M-Notification.ind). */
  push: Buffer;
  /** Ask the SMSC for receipts (registered_delivery as the provider's); false: none (an MMS's receipt is the handset's answer). */
  receipts?: boolean;
  /** SMPP validity_period, relative: the notification is worthless once the message has expired. */
  validityMinutes?: number;
}
