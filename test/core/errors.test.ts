import { describe, expect, it } from 'vitest';
import { SwitchpostError, ValidationError, errorCodeOf, passes, clientCaused, errorCodes } from '../../dist/core/errors.js';
import { StorageError, PermissionDenied } from '../../dist/store/storage-error.js';
import { OfficeUnavailable } from '../../dist/media/office-unavailable.js';
import { MediaRefused } from '../../dist/media/refused.js';
import { UrlRefused } from '../../dist/net/safe-http.js';
import { UserCodeTaken } from '../../dist/store/users.js';
import { HashPoolError } from '../../dist/api/hash-pool.js';

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

  it('waits only on codes that pass, and none of those is the server failing for good', () => {
    expect(errorCodes.filter(passes).sort()).toEqual(['rate_limited', 'storage_failed', 'storage_full', 'storage_read_only', 'unavailable']);
    expect(clientCaused('permission_denied')).toBe(false);
    expect(clientCaused('media_refused')).toBe(true);
  });
});
