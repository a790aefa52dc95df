import smpp from 'smpp';

/**
 * The `smpp` package decodes short_message and message_payload into text by guessing from data_coding,
 * per part, with the GSM table of its own. switchpost encodes and decodes itself (core/sms.ts): raw
 * bytes in and out, so a long MO is joined before decoding and tests see the octets on the wire.
 * Applied once, to the module's shared definitions, before any session exists.
 */
let applied = false;

export function useRawMessages(): void {
  if (applied) return;
  applied = true;
  const raw = { encode: (v: unknown) => v, decode: (v: unknown) => v };
  for (const command of ['submit_sm', 'deliver_sm', 'data_sm', 'submit_multi', 'replace_sm']) {
    const param = smpp.commands[command]?.params?.short_message;
    if (param) param.filter = raw;
  }
  const payload = smpp.tlvs.message_payload;
  if (payload) payload.filter = raw;
}
