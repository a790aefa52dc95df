import { describe, expect, it } from 'vitest';
import { compileTemplate, normaliseFields, templateFields } from '../../dist/core/merge.js';
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
