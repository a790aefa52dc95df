import { describe, expect, it } from 'vitest';
import { checkHostedToken, hostedKey, signHostedToken } from '../../../dist/core/mms/hosted-token.js';

const key = hostedKey(Buffer.from('a daemon secret'));
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('the hosted media token', () => {
  it('holds for what it was signed for, until its expiry', () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const token = signHostedToken({ kind: 'file', ref: 'j7p1', expiresAt }, key);
    const check = checkHostedToken(token, key, Date.now());
    expect(check).toMatchObject({ ok: true, claims: { kind: 'file', ref: 'j7p1' } });
    expect(checkHostedToken(token, key, expiresAt.getTime() + 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(checkHostedToken(token, hostedKey(Buffer.from('another secret')), Date.now())).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses every other spelling of its MAC, even one that decodes to the same bytes', () => {
    // Many refs, so that MACs ending in each of the characters whose unused bits differ are met.
    for (let i = 0; i < 64; i++) {
      const token = signHostedToken({ kind: 'mms', ref: `j${i}p1`, expiresAt: new Date(Date.now() + 60_000) }, key);
      const head = token.slice(0, -1);
      for (const c of B64URL) {
        if (c === token.at(-1)) continue;
        expect(checkHostedToken(head + c, key, Date.now()), head + c).toEqual({ ok: false, reason: 'forged' });
      }
    }
  });
});
