import type { z } from 'zod';
import { smppSettingsSchema } from './smpp/settings.js';
import { kannelSettingsSchema } from './kannel/settings.js';
import { smtpSettingsSchema } from './smtp/settings.js';
import { mm7SettingsSchema } from './mm7/settings.js';
import { freeswitchSettingsSchema, leaseProblem } from './freeswitch/settings.js';
import { gatewayDirProblem } from './freeswitch/trunk-dir.js';

/**
 * Every driver the daemon knows, as the config and the APIs check providers against it: its settings
 * schema, the columns it needs, its rules against the daemon's own settings. Pure description, no
 * gateway classes, so that the config (and through it the faces and the store) loads no driver; main
 * builds gateways through registry.ts, which adds each driver's factory. A new driver is one entry here
 * and one there.
 */
export const DRIVERS = ['sandbox', 'smpp', 'kannel', 'freeswitch', 'smtp', 'mm7'] as const;
export type DriverName = (typeof DRIVERS)[number];

/** The daemon's settings a driver's checks read. */
export interface DriverLimits {
  /** spool.lease_seconds */
  leaseSeconds: number;
  /** freeswitch.config_dir */
  freeswitchDir: string;
}

/** A setting that breaks a rule, by its path inside `settings`. */
export interface SettingProblem {
  path: string[];
  message: string;
}

export interface DriverRules {
  /** The provider's `settings`; null: a driver whose settings are not read (the provider's columns are not checked either). */
  settings: z.ZodType | null;
  /** Columns the driver needs, each with what the config error says of it. */
  requires: { host?: string; username?: string };
  /** A rule between the provider's settings and the daemon's, checked at load and again when the gateway is built. */
  check?: (settings: Record<string, unknown>, limits: Pick<DriverLimits, 'leaseSeconds'>) => SettingProblem | null;
  /** What an API-made provider's settings may not name (checked when its gateway is built), or null. */
  refusal?: (settings: Record<string, unknown>, limits: DriverLimits) => string | null;
}

const trunkOf = (settings: Record<string, unknown>) => settings.trunk as { gateway_dir?: unknown } | null | undefined;

export const DRIVER_RULES: Record<DriverName, DriverRules> = {
  sandbox: { settings: null, requires: {} },
  smpp: { settings: smppSettingsSchema, requires: { host: 'is required for smpp', username: 'is required for smpp (the system_id)' } },
  kannel: { settings: kannelSettingsSchema, requires: { host: 'is required for kannel', username: 'is required for kannel (the sendsms-user)' } },
  freeswitch: {
    settings: freeswitchSettingsSchema,
    requires: { host: 'is required for freeswitch' },
    check: (raw, limits) => {
      const parsed = freeswitchSettingsSchema.safeParse(raw);
      const problem = parsed.success ? leaseProblem(parsed.data.originate_timeout_s, limits.leaseSeconds) : null;
      return problem ? { path: ['originate_timeout_s'], message: problem } : null;
    },
    refusal: (raw, limits) => {
      const dir = trunkOf(raw)?.gateway_dir;
      const why = typeof dir === 'string' ? gatewayDirProblem(limits.freeswitchDir, dir) : null;
      if (why) return `settings.trunk.gateway_dir: ${why}`;
      // A provider made through the API opens no port beyond this host: FreeSWITCH shares its disk anyway.
      const host = (raw.inbound_fax as { listen_host?: unknown } | null | undefined)?.listen_host;
      return typeof host === 'string' && !/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/.test(host) ? 'settings.inbound_fax.listen_host: a provider made through the API listens on a loopback address only' : null;
    },
  },
  smtp: { settings: smtpSettingsSchema, requires: { host: 'is required for smtp (the relay)' } },
  mm7: { settings: mm7SettingsSchema, requires: { host: 'is required for mm7 (the MMSC)' } },
};
