import type { Logger } from 'pino';
import type { Gateway, GatewaySink, ProviderEntry } from './gateway.js';
import type { TtsRenderer } from '../media/tts.js';
import { DRIVER_RULES, type DriverLimits, type DriverName, type DriverRules } from './drivers.js';
import { SandboxGateway, type SandboxTiming } from './sandbox/sandbox.js';
import { SmppGateway } from './smpp/smpp-gateway.js';
import { smppConfig } from './smpp/settings.js';
import type { HostedMedia } from './smpp/mms.js';
import { KannelGateway } from './kannel/kannel-gateway.js';
import { kannelConfig } from './kannel/settings.js';
import { SmtpGateway, type BounceAddress, type DkimSigning } from './smtp/smtp-gateway.js';
import { smtpConfig } from './smtp/settings.js';
import { Mm7Gateway } from './mm7/mm7-gateway.js';
import { mm7Config } from './mm7/settings.js';
import { FreeswitchGateway, type FreeswitchEndpoint } from './freeswitch/freeswitch-gateway.js';
import { freeswitchSettingsSchema, type FreeswitchSettings } from './freeswitch/settings.js';
import { defaultGatewayDir, resolvedDir } from './freeswitch/trunk-dir.js';

export { DRIVERS, type DriverLimits, type DriverName } from './drivers.js';

/** What main hands a factory besides the provider. */
export interface GatewayDeps extends DriverLimits {
  sink: GatewaySink;
  /** The daemon's data directory (received faxes are stored under it). */
  dataDir: string;
  /** The provider's own logger. */
  log: Logger;
  tts: TtsRenderer;
  sandbox: SandboxTiming;
  /** E-mail's VERP return paths (email.bounce_domain and the daemon's key); null: the From address is the envelope sender. */
  bounce: BounceAddress | null;
  /** E-mail's DKIM keys by sending domain (email.dkim, read at start); null: nothing is signed. */
  dkim: DkimSigning | null;
  /** The daemon's hosted media (`/m/<token>`: its files and token key), for the MMS paths over SMPP. */
  hosted: HostedMedia | null;
}

/** A driver's rules (drivers.ts) and how its gateway is built. */
export interface Driver extends DriverRules {
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

const FACTORIES: Record<DriverName, Driver['create']> = {
  sandbox: (p, deps) => new SandboxGateway(p.id, deps.sink, deps.sandbox),
  smpp: (p, deps) => {
    const { endpoint, settings } = smppConfig(p);
    return new SmppGateway(p.id, endpoint, settings, deps.sink, deps.log, Math.random, deps.hosted);
  },
  kannel: (p, deps) => {
    const { endpoint, settings } = kannelConfig(p);
    return new KannelGateway(p.id, endpoint, settings, deps.sink, deps.log);
  },
  freeswitch: (p, deps) => {
    const settings: FreeswitchSettings = freeswitchSettingsSchema.parse(p.settings);
    // Its links resolved now, as checked: the write later refuses a path that has changed since.
    if (settings.trunk) settings.trunk.gateway_dir = resolvedDir(settings.trunk.gateway_dir ?? defaultGatewayDir(deps.freeswitchDir, settings.trunk.profile));
    return new FreeswitchGateway(p.id, freeswitchEndpoint(p), settings, deps.tts, deps.sink, deps.log, p.concurrency, deps.dataDir);
  },
  smtp: (p, deps) => {
    const { endpoint, settings } = smtpConfig(p);
    return new SmtpGateway(p.id, endpoint, settings, deps.bounce, deps.dkim, deps.sink, deps.log);
  },
  mm7: (p, deps) => {
    const { endpoint, settings } = mm7Config(p);
    return new Mm7Gateway(p.id, endpoint, settings, deps.sink, deps.log, deps.dataDir);
  },
};

/** Every driver with its factory: main builds gateways through it. */
export const DRIVER_REGISTRY = Object.fromEntries(Object.entries(DRIVER_RULES).map(([name, rules]) => [name, { ...rules, create: FACTORIES[name as DriverName] }])) as Record<DriverName, Driver>;

/** A provider's driver entry; undefined for a name no driver has (a row written by hand). */
export const driverOf = (name: string): Driver | undefined => (Object.hasOwn(DRIVER_REGISTRY, name) ? DRIVER_REGISTRY[name as DriverName] : undefined);
