import { describe, expect, it } from 'vitest';
import { compileTemplate, normaliseFields, plainValue, templateFields } from '../../dist/core/merge.js';
import { dedupe } from '../../dist/core/dedupe.js';

describe('merge fields', () => {
  it('merges %%name%% case-insensitively, unknown fields as empty', () => {
    const t = compileTemplate('Hi %%Recipient%%, %%FIELD1%% and %%field2%%; %%missing%%.');
    expect(t(normaliseFields({ recipient: 'Jane', Field1: 'a', FIELD2: 2 }))).toBe('Hi Jane, a and 2; .');
  });
  it('leaves text without fields untouched and lists the fields used', () => {
    expect(compileTemplate('100%% sure')({})).toBe('100%% sure');
    expect(templateFields('%%a%% %%A%% %%CustomField1%%')).toEqual(['a', 'customfield1']);
  });
  it('removes control characters from merged values, keeping LF and CR (a tab becomes a space)', () => {
    const t = compileTemplate('Hi %%name%%,\r\nyour code is %%code%%');
    const c0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');
    const c1 = Array.from({ length: 33 }, (_, i) => String.fromCharCode(0x7f + i)).join('');
    expect(t({ name: `Ja\u0000ne${c0}${c1}`, code: '12\t34\r\n56\u001b[31m' })).toBe('Hi Jane \n\r,\r\nyour code is 12 34\r\n56[31m');
    expect(plainValue('line one\nline two\r\n')).toBe('line one\nline two\r\n');
    expect(plainValue('Ünïcode ✓ €')).toBe('Ünïcode ✓ €');
  });
  it('does not re-expand merge syntax inside a merged value', () => {
    expect(compileTemplate('%%a%%')({ a: '%%b%%', b: 'x' })).toBe('%%b%%');
  });
});

describe('dedupe', () => {
  it('keeps the first of each key in order', () => {
    const r = dedupe(['+61 4', '+614', 'x', '+614'], (s) => s.replace(/\s/g, ''));
    expect(r.kept).toEqual(['+61 4', 'x']);
    expect(r.dropped).toBe(2);
  });
});
