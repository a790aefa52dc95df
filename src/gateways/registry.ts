import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Gateway, GatewaySink, ProviderEntry } from './gateway.js';
import type { TtsRenderer } from '../media/tts.js';
import { SandboxGateway, type SandboxTiming } from './sandbox/sandbox.js';
import { SmppGateway } from './smpp/smpp-gateway.js';
import { smppConfig, smppSettingsSchema } from './smpp/settings.js';
import { KannelGateway } from './kannel/kannel-gateway.js';
import { kannelConfig, kannelSettingsSchema } from './kannel/settings.js';
import { FreeswitchGateway, type FreeswitchEndpoint } from './freeswitch/freeswitch-gateway.js';
import { freeswitchSettingsSchema, leaseProblem, type FreeswitchSettings } from './freeswitch/settings.js';
import { defaultGatewayDir, gatewayDirProblem, resolvedDir } from './freeswitch/trunk-dir.js';

/**
 * Every driver the daemon knows, in one place: its settings schema, the columns it needs, its checks
 * against the daemon's own settings, and how its gateway is built. The config schema validates
 * providers through it, and main builds gateways through it; a new driver is one entry here.
 */
export const DRIVERS = ['sandbox', 'smpp', 'kannel', 'freeswitch', 'smtp'] as const;
export type DriverName = (typeof DRIVERS)[number];

/** The daemon's settings a driver's checks read. */
export interface DriverLimits {
  /** spool.lease_seconds */
  leaseSeconds: number;
  /** freeswitch.config_dir */
  freeswitchDir: string;
}

/** What main hands a factory besides the provider. */
export interface GatewayDeps extends DriverLimits {
  sink: GatewaySink;
  /** The provider's own logger. */
  log: Logger;
  tts: TtsRenderer;
  sandbox: SandboxTiming;
}

/** A setting that breaks a rule, by its path inside `settings`. */
export interface SettingProblem {
  path: string[];
  message: string;
}

export interface Driver {
  /** The provider's `settings`; null: a driver whose settings are not read (the provider's columns are not checked either). */
  settings: z.ZodType | null;
  /** Columns the driver needs, each with what the config error says of it. */
  requires: { host?: string; username?: string };
  /** A rule between the provider's settings and the daemon's, checked at load and again when the gateway is built. */
  check?: (settings: Record<string, unknown>, limits: Pick<DriverLimits, 'leaseSeconds'>) => SettingProblem | null;
  /** What an API-made provider's settings may not name (checked when its gateway is built), or null. */
  refusal?: (settings: Record<string, unknown>, limits: DriverLimits) => string | null;
  /** The gateway; null: the driver is not available yet and its providers are held down. Throws a message naming the setting. */
  create: ((p: ProviderEntry, deps: GatewayDeps) => Gateway) | null;
}

/** FreeSWITCH's event socket as the provider's columns give it, with ESL's defaults. */
export const freeswitchEndpoint = (p: ProviderEntry): FreeswitchEndpoint => ({
  host: p.host ?? '127.0.0.1',
  port: p.port ?? 8021,
  password: p.password ?? 'ClueCon',
  dialstring: p.dialstring ?? 'sofia/gateway/{gateway}/{number}',
  prefix: p.prefix,
});

const trunkOf = (settings: Record<string, unknown>) => settings.trunk as { gateway_dir?: unknown } | null | undefined;

export const DRIVER_REGISTRY: Record<DriverName, Driver> = {
  sandbox: {
    settings: null,
    requires: {},
    create: (p, deps) => new SandboxGateway(p.id, deps.sink, deps.sandbox),
  },
  smpp: {
    settings: smppSettingsSchema,
    requires: { host: 'is required for smpp', username: 'is required for smpp (the system_id)' },
    create: (p, deps) => {
      const { endpoint, settings } = smppConfig(p);
      return new SmppGateway(p.id, endpoint, settings, deps.sink, deps.log);
    },
  },
  kannel: {
    settings: kannelSettingsSchema,
    requires: { host: 'is required for kannel', username: 'is required for kannel (the sendsms-user)' },
    create: (p, deps) => {
      const { endpoint, settings } = kannelConfig(p);
      return new KannelGateway(p.id, endpoint, settings, deps.sink, deps.log);
    },
  },
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
      return why && `settings.trunk.gateway_dir: ${why}`;
    },
    create: (p, deps) => {
      const settings: FreeswitchSettings = freeswitchSettingsSchema.parse(p.settings);
      // Its links resolved now, as checked: the write later refuses a path that has changed since.
      if (settings.trunk) settings.trunk.gateway_dir = resolvedDir(settings.trunk.gateway_dir ?? defaultGatewayDir(deps.freeswitchDir, settings.trunk.profile));
      return new FreeswitchGateway(p.id, freeswitchEndpoint(p), settings, deps.tts, deps.sink, deps.log, p.concurrency);
    },
  },
  smtp: { settings: null, requires: {}, create: null },
};

/** A provider's driver entry; undefined for a name no driver has (a row written by hand). */
export const driverOf = (name: string): Driver | undefined => (Object.hasOwn(DRIVER_REGISTRY, name) ? DRIVER_REGISTRY[name as DriverName] : undefined);
