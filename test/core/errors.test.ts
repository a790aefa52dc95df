import { describe, expect, it } from 'vitest';
import { SwitchpostError, ValidationError, errorCodeOf, passes, clientCaused, errorCodes } from '../../dist/core/errors.js';
import { StorageError, PermissionDenied } from '../../dist/store/storage-error.js';
import { OfficeUnavailable } from '../../dist/media/office-unavailable.js';
import { MediaRefused } from '../../dist/media/refused.js';
import { UrlRefused } from '../../dist/net/safe-http.js';
import { UserCodeTaken } from '../../dist/store/users.js';
import { HashPoolError } from '../../dist/api/hash-pool.js';
import { SmsAddressError, SmsEncodingError, planSms, senderAddress } from '../../dist/core/sms.js';
import { DialError, dialNumber } from '../../dist/gateways/freeswitch/originate.js';

// Issue 13 item 7: one catalogue of error codes in the core; the errors typed before join it.
describe('the error catalogue', () => {
  it('gives a validation error its code and field', () => {
    const err = new ValidationError('recipients', 'recipients: at least one is required');
    expect(err).toMatchObject({ code: 'validation', errorCode: 'validation', field: 'recipients', message: 'recipients: at least one is required' });
    expect(err).toBeInstanceOf(SwitchpostError);
  });

  it('types the errors that were already typed, keeping their own codes', () => {
    expect(errorCodeOf(new StorageError('full', 'x'))).toBe('storage_full');
    expect(new StorageError('full', 'x').code).toBe('full');
    expect(errorCodeOf(new StorageError('read_only', 'x'))).toBe('storage_read_only');
    expect(errorCodeOf(new StorageError('io', 'x'))).toBe('storage_failed');
    expect(errorCodeOf(new PermissionDenied('x'))).toBe('permission_denied');
    expect(errorCodeOf(new OfficeUnavailable('not_installed', 'x'))).toBe('unavailable');
    expect(errorCodeOf(new MediaRefused('x'))).toBe('media_refused');
    expect(errorCodeOf(new UrlRefused('address', 'x'))).toBe('url_refused');
    expect(errorCodeOf(new UserCodeTaken('alice'))).toBe('conflict');
    expect(errorCodeOf(new HashPoolError('busy', 'x'))).toBe('rate_limited');
    expect(errorCodeOf(new HashPoolError('failed', 'x'))).toBe('unavailable');
    expect(errorCodeOf(new Error('x'))).toBeNull();
    expect(errorCodeOf(Object.assign(new Error('x'), { errorCode: 'made_up' }))).toBeNull();
  });

  it('builds a validation error from the message a face gives, the field read from its start and the message kept whole', () => {
    expect(ValidationError.at('recipients.3.destination', 'too short to be a phone number')).toMatchObject({ field: 'recipients.3.destination', message: 'recipients.3.destination: too short to be a phone number' });
    expect(ValidationError.at('phone', 'is required', 'Data validation failed, for ')).toMatchObject({ field: 'phone', message: 'Data validation failed, for phone: is required' });
    expect(ValidationError.fromMessage('delay: expected seconds from now (0 to a year)')).toMatchObject({ code: 'validation', field: 'delay', message: 'delay: expected seconds from now (0 to a year)' });
    const lead = 'Data validation failed, for ';
    expect(ValidationError.fromMessage(`${lead}phone: a contact needs a phone number: or an e-mail`, lead)).toMatchObject({ field: 'phone', message: `${lead}phone: a contact needs a phone number: or an e-mail` });
    // A message with no field in it is the body's.
    expect(ValidationError.fromMessage('Validation failed: unknown field "x"', 'Validation failed: ')).toMatchObject({ field: 'body', message: 'Validation failed: unknown field "x"' });
  });

  it('has a code for what is in a state that refuses the request now', () => {
    expect(clientCaused('locked')).toBe(true);
    expect(passes('locked')).toBe(false);
  });

  it('types the SMS and dial errors as validation, keeping their names and messages', () => {
    const caught = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return null;
    };
    const encoding = caught(() => planSms('ж', { encoding: 'gsm7', invalid: 'refuse', maxParts: 1 }));
    expect(encoding).toBeInstanceOf(SmsEncodingError);
    expect(encoding).toMatchObject({ name: 'SmsEncodingError', message: 'characters not in the GSM 03.38 alphabet: "ж" (U+0436)' });
    expect(errorCodeOf(encoding)).toBe('validation');
    const address = caught(() => senderAddress('no such sender!'));
    expect(address).toBeInstanceOf(SmsAddressError);
    expect(address).toMatchObject({ name: 'SmsAddressError', message: 'sender "no such sender!" is neither up to 11 letters and digits, a short code nor a phone number' });
    expect(errorCodeOf(address)).toBe('validation');
    const dial = caught(() => dialNumber('123,}{bridge', null));
    expect(dial).toBeInstanceOf(DialError);
    expect(dial).toMatchObject({ name: 'DialError', message: 'not a dialable number: "123,}{bridge"' });
    expect(errorCodeOf(dial)).toBe('validation');
  });

  it('waits only on codes that pass, and none of those is the server failing for good', () => {
    expect(errorCodes.filter(passes).sort()).toEqual(['rate_limited', 'storage_failed', 'storage_full', 'storage_read_only', 'unavailable']);
    expect(clientCaused('permission_denied')).toBe(false);
    expect(clientCaused('media_refused')).toBe(true);
  });
});
