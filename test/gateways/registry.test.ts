import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DRIVER_REGISTRY, DRIVERS, driverOf, freeswitchEndpoint } from '../../dist/gateways/registry.js';
import { providerConfigSchema, DRIVERS as CONFIG_DRIVERS } from '../../dist/config/schema.js';
import { SandboxGateway } from '../../dist/gateways/sandbox/sandbox.js';
import { SmppGateway } from '../../dist/gateways/smpp/smpp-gateway.js';
import { KannelGateway } from '../../dist/gateways/kannel/kannel-gateway.js';
import { FreeswitchGateway } from '../../dist/gateways/freeswitch/freeswitch-gateway.js';
import { SmtpGateway } from '../../dist/gateways/smtp/smtp-gateway.js';
import { TtsRenderer } from '../../dist/media/tts.js';

const fsDir = mkdtempSync(join(tmpdir(), 'switchpost-registry-'));
mkdirSync(join(fsDir, 'sip_profiles', 'external'), { recursive: true });
const provider = (over: Record<string, unknown> = {}) => ({ id: 7, name: 'p', host: '127.0.0.1', port: null, username: 'esme', password: null, dialstring: null, prefix: null, throughput: 0, concurrency: 0, settings: {}, ...over });
const deps = {
  sink: { report: () => {}, inbound: () => {} } as never,
  log: pino({ level: 'silent' }),
  tts: new TtsRenderer(join(fsDir, 'tts')),
  sandbox: { accept_ms: [5, 40] as const, receipt_ms: [200, 2000] as const, delayed_receipt_ms: 30_000, reply_ms: 1500 },
  leaseSeconds: 120,
  freeswitchDir: fsDir,
  dataDir: fsDir,
  bounce: null,
  dkim: null,
};

describe('the driver registry', () => {
  it('has one entry per driver the config accepts, and the config takes its names from it', () => {
    expect(Object.keys(DRIVER_REGISTRY).sort()).toEqual([...DRIVERS].sort());
    expect(CONFIG_DRIVERS).toBe(DRIVERS);
    expect(driverOf('telepathy')).toBeUndefined();
    expect(driverOf('toString')).toBeUndefined(); // not an inherited property
  });

  it("builds each driver's gateway from a provider", () => {
    expect(DRIVER_REGISTRY.sandbox.create!(provider(), deps)).toBeInstanceOf(SandboxGateway);
    const smpp = DRIVER_REGISTRY.smpp.create!(provider(), deps);
    expect(smpp).toBeInstanceOf(SmppGateway);
    expect(smpp.providerId).toBe(7);
    expect(DRIVER_REGISTRY.kannel.create!(provider(), deps)).toBeInstanceOf(KannelGateway);
    expect(DRIVER_REGISTRY.freeswitch.create!(provider(), deps)).toBeInstanceOf(FreeswitchGateway);
    expect(DRIVER_REGISTRY.smtp.create!(provider(), deps)).toBeInstanceOf(SmtpGateway);
    expect(() => DRIVER_REGISTRY.smtp.create!(provider({ host: null }), deps)).toThrow(/host is required for smtp/);
    expect(() => DRIVER_REGISTRY.smtp.create!(provider({ settings: { security: 'ssl' } }), deps)).toThrow(/settings\.security: /);
    expect(() => DRIVER_REGISTRY.smpp.create!(provider({ username: null }), deps)).toThrow(/username \(system_id\) is required for smpp/);
    expect(() => DRIVER_REGISTRY.kannel.create!(provider({ settings: { window: 0 } }), deps)).toThrow(/settings\./);
  });

  it("keeps each driver's endpoint defaults and start-time checks", () => {
    expect(freeswitchEndpoint(provider({ host: null }))).toEqual({ host: '127.0.0.1', port: 8021, password: 'ClueCon', dialstring: 'sofia/gateway/{gateway}/{number}', prefix: null });
    const lease = DRIVER_REGISTRY.freeswitch.check!({ originate_timeout_s: 60 }, { leaseSeconds: 60 });
    expect(lease).toMatchObject({ path: ['originate_timeout_s'], message: expect.stringMatching(/shorter than spool\.lease_seconds \(60 s\)/) });
    expect(DRIVER_REGISTRY.freeswitch.check!({ originate_timeout_s: 59 }, { leaseSeconds: 60 })).toBeNull();
    expect(DRIVER_REGISTRY.freeswitch.refusal!({ trunk: { realm: 'x', gateway_dir: '/tmp/elsewhere' } }, deps)).toMatch(/^settings\.trunk\.gateway_dir: /);
    expect(DRIVER_REGISTRY.freeswitch.refusal!({ trunk: { realm: 'x', gateway_dir: join(fsDir, 'sip_profiles', 'external') } }, deps)).toBeNull();
  });

  it('is what the provider schema validates settings and required columns through', () => {
    const base = { name: 'p', services: ['sms'], host: '10.0.0.1', username: 'u' };
    const issues = (p: Record<string, unknown>) => {
      const r = providerConfigSchema.safeParse(p);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ ...base, driver: 'smpp', username: null })).toEqual(['username: is required for smpp (the system_id)']);
    expect(issues({ ...base, driver: 'kannel', host: null, username: null })).toEqual(['host: is required for kannel', 'username: is required for kannel (the sendsms-user)']);
    expect(issues({ ...base, driver: 'freeswitch', username: null, settings: { amd: 'maybe' } })).toEqual([expect.stringMatching(/^settings\.amd: /)]);
    expect(issues({ ...base, driver: 'sandbox', host: null, settings: { anything: 1 } })).toEqual([]);
    expect(issues({ ...base, services: ['email'], driver: 'smtp', host: null, settings: { max_connections: 0 } })).toEqual([expect.stringMatching(/^settings\.max_connections: /), 'host: is required for smtp (the relay)']);
    expect(issues({ ...base, services: ['email'], driver: 'smtp', settings: { security: 'tls', tls_ca_file: '/etc/ssl/relay.pem', max_connections: 10 } })).toEqual([]);
  });
});
