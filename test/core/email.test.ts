import { describe, expect, it } from 'vitest';
import { checkEmailAddress } from '../../dist/core/email-address.js';
import { emailMessage } from '../../dist/core/email.js';
import { checkContent, parseContent, type EmailContent } from '../../dist/core/content.js';
import { parseReturnPath, returnPath } from '../../dist/core/verp.js';

const KEY = Buffer.alloc(32, 7);

describe('e-mail addresses', () => {
  it('takes a mailbox and lower-cases its domain only', () => {
    expect(checkEmailAddress(' Jane.Doe+news@Example.COM ')).toEqual({ ok: true, address: 'Jane.Doe+news@example.com' });
    expect(checkEmailAddress("o'brien@mail.example.org")).toMatchObject({ ok: true });
  });
  it.each([
    ['', 'required'],
    ['jane', 'expected name@domain'],
    ['jane@', 'expected name@domain'],
    ['@example.com', 'expected name@domain'],
    ['jane@localhost', 'host name'],
    ['jane@exa_mple.com', 'host name'],
    ['ja ne@example.com', 'part before @'],
    ['jane..doe@example.com', 'part before @'],
    ['"Jane" <jane@example.com>', 'part before @'],
    ['jane@example.com\r\nBcc: x@example.com', 'not an e-mail address'],
    [`${'a'.repeat(65)}@example.com`, '64'],
  ])('refuses %j (%s)', (given, why) => {
    const c = checkEmailAddress(given);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toContain(why);
  });
});

describe('VERP return paths', () => {
  it('names the recipient and attempt and reads them back', () => {
    const rp = returnPath({ recipientId: 123456, attemptId: 98765 }, 'Bounces.Example.NET', KEY);
    expect(rp).toMatch(/^bounce\+2n9c-247h-[0-9a-f]{10}@bounces\.example\.net$/);
    expect(parseReturnPath(rp, 'bounces.example.net', KEY)).toEqual({ recipientId: 123456, attemptId: 98765 });
    // A relay that folds the local part's case still gives it back.
    expect(parseReturnPath(rp.toUpperCase(), 'bounces.example.net', KEY)).toEqual({ recipientId: 123456, attemptId: 98765 });
  });
  it('refuses a forged, altered or foreign address', () => {
    const rp = returnPath({ recipientId: 5, attemptId: 6 }, 'b.example.net', KEY);
    expect(parseReturnPath(rp, 'other.example.net', KEY)).toBeNull();
    expect(parseReturnPath(rp, 'b.example.net', Buffer.alloc(32, 8))).toBeNull();
    expect(parseReturnPath(rp.replace('bounce+5-6', 'bounce+5-7'), 'b.example.net', KEY)).toBeNull();
    expect(parseReturnPath('bounce+5-6@b.example.net', 'b.example.net', KEY)).toBeNull();
    expect(parseReturnPath('postmaster@b.example.net', 'b.example.net', KEY)).toBeNull();
  });
});

describe('e-mail content', () => {
  const content: EmailContent = {
    kind: 'email',
    from: { address: 'news@example.com', name: 'Example News' },
    subject: 'Schedule for %%recipient%%',
    text: 'Hi %%recipient%%, see <%%link%%>',
    html: '<p>Hi %%recipient%%</p><a href="%%link%%">here</a>',
    attachments: [{ file: '/var/lib/switchpost/media/attachments/ab.bin', name: 'map.jpg', size: 3 }],
  };
  it('merges subject and both bodies, HTML-escaping only the HTML body', () => {
    const m = emailMessage(content, { recipient: 'Tom & <b>Jerry</b>', link: 'https://x.example/?a=1&b="2"' });
    expect(m.subject).toBe('Schedule for Tom & <b>Jerry</b>');
    expect(m.text).toBe('Hi Tom & <b>Jerry</b>, see <https://x.example/?a=1&b="2">');
    expect(m.html).toBe('<p>Hi Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;</p><a href="https://x.example/?a=1&amp;b=&quot;2&quot;">here</a>');
    expect(m.from).toEqual({ address: 'news@example.com', name: 'Example News' });
    expect(m.attachments).toEqual(content.attachments);
  });
  it('keeps the subject one line whatever a field holds', () => {
    expect(emailMessage(content, { recipient: 'Jane\r\nBcc: x@example.com' }).subject).toBe('Schedule for Jane Bcc: x@example.com');
  });
  it("is checked as the email channel's kind and read back as stored", () => {
    expect(parseContent(JSON.stringify(checkContent('email', content)))).toEqual(content);
    expect(() => checkContent('sms', content)).toThrow(/cannot carry email/);
    expect(() => checkContent('email', { ...content, text: null, html: null })).toThrow(/text or an HTML body/);
  });
});
