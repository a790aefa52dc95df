import { HELD_UNTIL, type NewRecipient } from '../../dist/core/jobs.js';

/** Texts a set-based write must store as a row-at-a-time write would: quotes, escapes, controls, JSON-looking text. */
export const ODD_TEXT = ['plain', '', 'quote " back \\ slash', 'é ü 中文 😀', 'ctl \n\t\r\b\f \u0001', 'nul \u0000 mid', 'lone \ud800 surrogate', '\u2028\u2029', '{"x":1}', '\uFEFFbom'];

/** What PostgreSQL's text can hold of them: no NUL, no lone surrogate (UTF-8 only). */
export const ODD_TEXT_PG = ODD_TEXT.filter((t) => !t.includes('\u0000') && !t.includes('\ud800'));

/** The `i`th of a job's recipients made of `odd`: nulls, priorities, contact ids, blackouts and due times in turn. */
export const oddRecipient =
  (odd: readonly string[]) =>
  (i: number): NewRecipient => ({
    destination: `+614915${String(i).padStart(5, '0')}`,
    name: i % 3 === 0 ? null : `${odd[i % odd.length]} ${i}`,
    reference: i % 4 === 0 ? null : odd[(i + 3) % odd.length]!,
    fields: i % 5 === 0 ? null : { recipient: odd[i % odd.length]!, n: String(i), nested: `{"a":[${i}]}` },
    blackouts: i % 7 === 0 ? [{ from: '2026-01-01T00:00', to: '2026-01-02T00:00' }] : i % 7 === 1 ? [] : null,
    ...(i % 2 === 0 ? { priority: i % 6 === 0 ? null : i - 5000 } : {}),
    ...(i % 3 === 1 ? { contactId: i * 1000 } : {}),
    ...(i % 11 === 0 ? { dueAt: i % 22 === 0 ? HELD_UNTIL : 1_796_204_250_047 + i } : {}),
  });
