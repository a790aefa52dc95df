import { describe, expect, it } from 'vitest';
import { retryDelayMs, transition, canApply, attemptStatus, responseOf, bounceMove } from '../../dist/core/outcomes.js';
import { reconnectDelay } from '../../dist/core/backoff.js';
import { pageWindow } from '../../dist/api/welcorp/paginate.js';

const policy = { tries: 3, backoffSeconds: 60, backoffMaxSeconds: 600 };

describe('outcomes and retries', () => {
  it('retries a retryable failure with exponential backoff while tries remain', () => {
    expect(transition({ kind: 'failed', retryable: true, reason: 'busy' }, 1, policy, 0, 0.5)).toEqual({ state: 'queued', final: false, dueAt: 60_000, reason: 'busy' });
    expect(transition({ kind: 'failed', retryable: true, reason: 'busy' }, 2, policy, 0, 0.5)).toMatchObject({ state: 'queued', dueAt: 120_000 });
    expect(transition({ kind: 'failed', retryable: true, reason: 'busy' }, 3, policy, 0, 0.5)).toEqual({ state: 'failed', final: true, reason: 'busy (after 3 tries)' });
  });
  it('never retries a final failure', () => {
    expect(transition({ kind: 'failed', retryable: false, state: 'rejected', reason: 'rejected' }, 1, policy, 0, 0)).toEqual({ state: 'rejected', final: true, reason: 'rejected' });
  });
  it('maps receipts and acceptance', () => {
    expect(transition({ kind: 'accepted', awaitReceipt: true }, 1, policy, 0, 0)).toEqual({ state: 'submitted', final: false });
    expect(transition({ kind: 'accepted', awaitReceipt: false }, 1, policy, 0, 0)).toMatchObject({ state: 'sent', final: true });
    expect(transition({ kind: 'receipt', status: 'expired' }, 1, policy, 0, 0)).toMatchObject({ state: 'expired', final: true });
    expect(transition({ kind: 'receipt', status: 'unknown', text: 'no receipt' }, 1, policy, 0, 0)).toMatchObject({ state: 'sent', reason: 'no receipt' });
  });
  it('caps backoff and jitters ±10%', () => {
    expect(retryDelayMs(10, policy, 0)).toBe(540_000);
    expect(retryDelayMs(10, policy, 0.999)).toBeLessThanOrEqual(660_000);
  });
  it('never reopens a final recipient', () => {
    expect(canApply('delivered')).toBe(false);
    expect(canApply('queued')).toBe(false);
    expect(canApply('sending')).toBe(true);
  });
  it('gives the attempt its own status and response, whatever its recipient does next', () => {
    expect(attemptStatus({ kind: 'failed', retryable: true, reason: 'busy' })).toBe('failed_retryable');
    expect(attemptStatus({ kind: 'failed', retryable: false, state: 'rejected', reason: 'no' })).toBe('rejected');
    expect(attemptStatus({ kind: 'failed', retryable: false, reason: 'no' })).toBe('failed');
    expect(attemptStatus({ kind: 'held', reason: 'link down', retryMs: 1000 })).toBe('held');
    expect(attemptStatus({ kind: 'receipt', status: 'delivered' })).toBe('delivered');
    expect(responseOf({ kind: 'failed', retryable: true, code: '0x58', reason: 'throttled' })).toBe('0x58 throttled');
    expect(responseOf({ kind: 'receipt', status: 'delivered', code: '000', text: 'DELIVRD' })).toBe('000 DELIVRD');
    expect(responseOf({ kind: 'receipt', status: 'delivered' })).toBeNull();
    expect(responseOf({ kind: 'held', reason: 'link down', retryMs: 1000 })).toBe('link down');
    expect(responseOf({ kind: 'accepted', awaitReceipt: true })).toBeNull();
  });
});

describe('bounces', () => {
  it('fail an open recipient, reopen a success as undeliverable, leave a failure as it is', () => {
    expect(['sending', 'submitted'].map((s) => bounceMove(s as 'sending'))).toEqual(['final', 'final']);
    expect(['sent', 'delivered'].map((s) => bounceMove(s as 'sent'))).toEqual(['reopen', 'reopen']);
    expect(['undeliverable', 'failed', 'rejected', 'cancelled', 'queued'].map((s) => bounceMove(s as 'failed'))).toEqual([null, null, null, null, null]);
    const o = { kind: 'bounced', reason: '550 5.1.1 User unknown', code: '5.1.1' } as const;
    expect(transition(o, 1, { tries: 3, backoffSeconds: 1, backoffMaxSeconds: 1 }, 0, 0)).toEqual({ state: 'undeliverable', final: true, reason: '550 5.1.1 User unknown' });
    expect([attemptStatus(o), responseOf(o)]).toEqual(['undeliverable', '5.1.1 550 5.1.1 User unknown']);
  });
});

describe('Laravel page window', () => {
  it('matches the seed example: page 1 of 802', () => {
    expect(pageWindow(1, 802)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null, 801, 802]);
  });
  it('slides in the middle and near the end, and lists all pages when few', () => {
    expect(pageWindow(400, 802)).toEqual([1, 2, null, 397, 398, 399, 400, 401, 402, 403, null, 801, 802]);
    expect(pageWindow(800, 802)).toEqual([1, 2, null, ...Array.from({ length: 10 }, (_, i) => 793 + i)]);
    expect(pageWindow(2, 5)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('reconnect backoff', () => {
  it('doubles from the minimum up to the cap, with jitter between half and all of it', () => {
    expect(reconnectDelay(0, 1000, 60_000, 0.999999)).toBe(1000);
    expect(reconnectDelay(0, 1000, 60_000, 0)).toBe(500);
    expect(reconnectDelay(3, 1000, 60_000, 0.999999)).toBe(8000);
    expect(reconnectDelay(30, 1000, 60_000, 0.999999)).toBe(60_000);
  });
});
