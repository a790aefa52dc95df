import type { ProviderConfig } from '../config/schema.js';

/**
 * What a reload changes of the providers the config file declares, by name (the key the store upserts
 * on). Only the rates and weights changed: the running gateway keeps its bind or event socket and the
 * pool takes the new numbers (`retuned`). Anything else changed — host, credentials, driver, services,
 * settings, active — needs a new gateway (`restarted`). Providers made through an API or the CLI are
 * not the file's and are never in here.
 */
export interface ProviderDiff {
  added: ProviderConfig[];
  /** Names no longer in the file: their gateways stop and they take no more work. */
  removed: string[];
  restarted: ProviderConfig[];
  retuned: ProviderConfig[];
  unchanged: string[];
}

/** The fields a running gateway does not depend on: the pool reads them at each decision. */
export const RATE_FIELDS = ['weight', 'throughput', 'concurrency'] as const satisfies readonly (keyof ProviderConfig)[];

/** A value as text with object keys sorted, so that `{a, b}` and `{b, a}` compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** The config without its rate fields, as text: equal when a gateway made from either would be the same. */
const connectionOf = (p: ProviderConfig): string => {
  const rest: Record<string, unknown> = { ...p };
  for (const k of RATE_FIELDS) delete rest[k];
  return canonical(rest);
};

export function diffProviders(before: readonly ProviderConfig[], after: readonly ProviderConfig[]): ProviderDiff {
  const old = new Map(before.map((p) => [p.name, p]));
  const diff: ProviderDiff = { added: [], removed: [], restarted: [], retuned: [], unchanged: [] };
  const seen = new Set<string>();
  for (const p of after) {
    seen.add(p.name);
    const was = old.get(p.name);
    if (!was) diff.added.push(p);
    else if (connectionOf(was) !== connectionOf(p)) diff.restarted.push(p);
    else if (RATE_FIELDS.some((k) => was[k] !== p[k])) diff.retuned.push(p);
    else diff.unchanged.push(p.name);
  }
  for (const name of old.keys()) if (!seen.has(name)) diff.removed.push(name);
  return diff;
}

/** One line for the log and for systemd's STATUS=: what the reload did. */
export function describeDiff(d: ProviderDiff): string {
  const part = (label: string, names: string[]) => (names.length ? [`${label} ${names.join(', ')}`] : []);
  const parts = [
    ...part(
      'added',
      d.added.map((p) => p.name),
    ),
    ...part(
      'restarted',
      d.restarted.map((p) => p.name),
    ),
    ...part(
      'retuned',
      d.retuned.map((p) => p.name),
    ),
    ...part('removed', d.removed),
  ];
  return parts.length ? parts.join('; ') : 'no provider changed';
}
