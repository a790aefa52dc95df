/**
 * What a provider charges for what it carries, from its settings: `cost_per_part` (an SMS part, an SMPP
 * or Kannel message; the part count is what the SMSC took) and `cost_per_message` (an e-mail, an MMS,
 * or a message whatever its parts). A call's cost comes with its result (freeswitch's cost_per_minute).
 * Charged as carriers bill: once the peer took the message, whatever its receipt says later.
 */
export interface Rates {
  perPart: number;
  perMessage: number;
}

const rate = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** A provider's rates; null when it charges nothing. Each driver's schema validates them; a driver without one (the sandbox) is read defensively. */
export function ratesOf(settings: Readonly<Record<string, unknown>>): Rates | null {
  const r = { perPart: rate(settings.cost_per_part), perMessage: rate(settings.cost_per_message) };
  return r.perPart === 0 && r.perMessage === 0 ? null : r;
}

/** The cost of a message the peer took in `parts` parts (null: not known, one), to four decimals as every cost here. */
export function submitCost(rates: Rates | null, parts: number | null): number | null {
  if (!rates) return null;
  return Math.round(((parts ?? 1) * rates.perPart + rates.perMessage) * 10_000) / 10_000;
}
