import { describe, expect, it } from 'vitest';
import { repeatedParameter, wholeNumber } from '../../dist/api/input.js';
import { ApiError } from '../../dist/api/errors.js';

describe('repeatedParameter', () => {
  it('names the first query parameter given twice, unless the route takes it as a list', () => {
    expect(repeatedParameter({ a: '1', b: ['x', 'y'] })).toBe('b');
    expect(repeatedParameter({ a: '1', b: ['x', 'y'] }, ['b'])).toBeNull();
    expect(repeatedParameter({ a: ['1', '2'], b: ['x', 'y'] }, ['b'])).toBe('a');
    expect(repeatedParameter({ a: '1' })).toBeNull();
    expect(repeatedParameter(undefined)).toBeNull();
  });
});

describe('wholeNumber', () => {
  const range = { min: 1, max: 1000, dflt: 10 };
  it('reads whole numbers in range, the default when absent or empty', () => {
    expect(wholeNumber('25', 'limit', range)).toBe(25);
    expect(wholeNumber(undefined, 'limit', range)).toBe(10);
    expect(wholeNumber('', 'limit', range)).toBe(10);
    expect(wholeNumber('1000', 'limit', range)).toBe(1000);
  });
  it('refuses fractions, exponents, signs, hex, spaces, out of range and unsafe integers, naming the parameter', () => {
    for (const v of ['1.5', '1e20', '-1', '0x10', ' 1', '1 ', '0', '1001', 'NaN', 'Infinity', '99999999999999999999', ['1', '2']]) {
      const err = (() => {
        try {
          wholeNumber(v, 'limit', range);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err, String(v)).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 400, message: 'limit: expected a whole number from 1 to 1000' });
    }
    expect(() => wholeNumber('9007199254740993', 'offset', { min: 0, max: Infinity, dflt: 0 })).toThrow(/from 0 to 9007199254740991/);
    expect(() => wholeNumber('0', 'page', range, 422)).toThrow(expect.objectContaining({ status: 422 }));
  });
});
