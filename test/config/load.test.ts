import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, leafPaths, envName } from '../../dist/config/load.js';
import { configSchema } from '../../dist/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'switchpost-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.store.synchronous).toBe('full');
    expect(c.sandbox.enabled).toBe(true);
  });
  it('reads a file and lets the environment win, for every leaf key', () => {
    const f = file('a.yaml', 'http:\n  port: 9000\nspool:\n  retry:\n    tries: 7\n');
    const c = loadConfig({ file: f, env: { SWITCHPOST_HTTP_PORT: '9100', SWITCHPOST_SANDBOX_ACCEPT_MS: '[1, 2]', SWITCHPOST_CALLBACKS_SECRET: '0123456789abcdef0123', SWITCHPOST_SANDBOX_ENABLED: 'false' } });
    expect(c.http.port).toBe(9100);
    expect(c.spool.retry.tries).toBe(7);
    expect(c.sandbox.accept_ms).toEqual([1, 2]);
    expect(c.sandbox.enabled).toBe(false);
    expect(c.callbacks.secret).toBe('0123456789abcdef0123');
    // Every documented key has a distinct variable.
    const names = leafPaths(configSchema.parse({}) as Record<string, unknown>).map(envName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('SWITCHPOST_DATA_DIR');
  });
  it('takes the e-mail bounce domain from the environment, and refuses one that is no domain', () => {
    expect(loadConfig({ env: {} }).email).toMatchObject({ bounce_domain: null, bounce_prefix: 'bounce', system_from: null, system_from_name: null, listener: { enabled: false, host: '127.0.0.1', port: 2525 } });
    expect(loadConfig({ env: { SWITCHPOST_EMAIL_SYSTEM_FROM: 'noreply@example.com' } }).email.system_from).toBe('noreply@example.com');
    expect(() => loadConfig({ env: { SWITCHPOST_EMAIL_SYSTEM_FROM: 'Switchpost <noreply@example.com>' } })).toThrow(/email\.system_from/);
    // The listener takes mail for the bounce domain, a fax or a receive domain: without one it cannot be on.
    expect(() => loadConfig({ env: {}, overrides: { email: { listener: { enabled: true } } } })).toThrow(/email\.listener\.enabled/);
    expect(loadConfig({ env: { SWITCHPOST_EMAIL_BOUNCE_DOMAIN: 'bounces.example.com' } }).email.bounce_domain).toBe('bounces.example.com');
    expect(() => loadConfig({ env: { SWITCHPOST_EMAIL_BOUNCE_DOMAIN: 'bounces@example.com' } })).toThrow(/email\.bounce_domain/);
  });
  it('takes fax and receive domains for the SMTP listener (lower-cased), each once and never the bounce domain', () => {
    const l = loadConfig({ env: { SWITCHPOST_EMAIL_LISTENER_ENABLED: 'true', SWITCHPOST_EMAIL_LISTENER_FAX_DOMAINS: '["Fax.Example.com"]', SWITCHPOST_EMAIL_LISTENER_RECEIVE_DOMAINS: '["mail.example.com"]' } }).email.listener;
    expect(l).toMatchObject({ enabled: true, fax_domains: ['fax.example.com'], receive_domains: ['mail.example.com'], allow_insecure_auth: false });
    expect(() => loadConfig({ env: {}, overrides: { email: { listener: { fax_domains: ['fax@example.com'] } } } })).toThrow(/email\.listener\.fax_domains\.0/);
    expect(() => loadConfig({ env: {}, overrides: { email: { listener: { fax_domains: ['a.example.com'], receive_domains: ['a.example.com'] } } } })).toThrow(/email\.listener\.receive_domains/);
    expect(() => loadConfig({ env: {}, overrides: { email: { bounce_domain: 'b.example.com', listener: { fax_domains: ['b.example.com'] } } } })).toThrow(/email\.listener\.fax_domains/);
  });

  it('names the key at fault, once', () => {
    expect(() => loadConfig({ env: { SWITCHPOST_SPOOL_POLL_MS: 'soon' } })).toThrow('SWITCHPOST_SPOOL_POLL_MS: expected a number, got "soon"');
    expect(() => loadConfig({ file: file('b.yaml', 'http:\n  tls:\n    cert_file: /x.pem\n'), env: {} })).toThrow(/http\.tls: set both cert_file and key_file/);
    expect(() => loadConfig({ file: file('c.yaml', 'colour: red\n'), env: {} })).toThrow('invalid config at (top level): unknown key "colour"');
    expect(() => loadConfig({ file: file('d.yaml', 'providers:\n  - name: x\n    driver: telepathy\n    services: [sms]\n'), env: {} })).toThrow(/providers\.0\.driver/);
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/missing\.yaml/);
    // The store's driver, from the environment as the issue names the keys: sqlite by default, postgres with its URL.
    expect(loadConfig({ env: {} }).store).toMatchObject({ driver: 'sqlite', url: null });
    expect(() => loadConfig({ env: { SWITCHPOST_STORE_DRIVER: 'postgres' } })).toThrow(/store: store\.driver postgres needs store\.url/);
    expect(loadConfig({ env: { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: 'postgres://sp@127.0.0.1:5432/switchpost' } }).store).toMatchObject({ driver: 'postgres', url: 'postgres://sp@127.0.0.1:5432/switchpost' });
    expect(() => loadConfig({ env: { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: 'mysql://sp@127.0.0.1/switchpost' } })).toThrow(/store\.driver postgres needs store\.url/);
    expect(() => loadConfig({ env: { SWITCHPOST_STORE_DRIVER: 'mysql' } })).toThrow(/store\.driver/);
    // A call would still ring when its lease ends, and be dialled again: both keys named.
    const fs = 'providers:\n  - name: fs\n    driver: freeswitch\n    services: [voice]\n    host: 127.0.0.1\n    settings: { originate_timeout_s: 60 }\n';
    expect(() => loadConfig({ file: file('e.yaml', `spool:\n  lease_seconds: 60\n${fs}`), env: {} })).toThrow(/providers\.0\.settings\.originate_timeout_s: settings\.originate_timeout_s \(60 s\) must be shorter than spool\.lease_seconds \(60 s\)/);
    expect(loadConfig({ file: file('f.yaml', `spool:\n  lease_seconds: 61\n${fs}`), env: {} }).providers[0]!.settings).toMatchObject({ originate_timeout_s: 60 });
  });
  it("checks a driver's settings at start-up, naming the setting", () => {
    const smpp = 'providers:\n  - name: smsc\n    driver: smpp\n    services: [sms]\n    host: 10.0.0.1\n    username: esme\n';
    expect(loadConfig({ file: file('e.yaml', smpp + '    settings: { window: 50, bind: transmitter_receiver }\n'), env: {} }).providers[0]!.settings).toEqual({ window: 50, bind: 'transmitter_receiver' });
    expect(() => loadConfig({ file: file('f.yaml', smpp + '    settings: { window: 0 }\n'), env: {} })).toThrow(/providers\.0\.settings\.window/);
    expect(() => loadConfig({ file: file('g.yaml', smpp + '    settings: { windw: 5 }\n'), env: {} })).toThrow(/providers\.0\.settings.*windw/);
    expect(() => loadConfig({ file: file('h.yaml', 'providers:\n  - name: k\n    driver: kannel\n    services: [sms]\n    settings: { mo_secret: short }\n'), env: {} })).toThrow(/providers\.0\.(settings\.mo_secret|host)/);
  });
  it('takes settings.nodes (how many nodes may run a provider at once) for every driver: a whole number from 1 to 64', () => {
    const smpp = 'providers:\n  - name: smsc\n    driver: smpp\n    services: [sms]\n    host: 10.0.0.1\n    username: esme\n';
    const smtp = 'providers:\n  - name: relay\n    driver: smtp\n    services: [email]\n    host: 10.0.0.2\n';
    expect(loadConfig({ file: file('n1.yaml', smpp + '    settings: { nodes: 2 }\n'), env: {} }).providers[0]!.settings).toEqual({ nodes: 2 });
    expect(loadConfig({ file: file('n2.yaml', smtp + '    settings: { nodes: 64 }\n'), env: {} }).providers[0]!.settings).toEqual({ nodes: 64 });
    for (const bad of ['0', '1.5', '65', '"2"']) expect(() => loadConfig({ file: file('n3.yaml', smpp + `    settings: { nodes: ${bad} }\n`), env: {} })).toThrow(/providers\.0\.settings\.nodes/);
    expect(() => loadConfig({ file: file('n4.yaml', smtp + '    settings: { nodes: 0 }\n'), env: {} })).toThrow(/providers\.0\.settings\.nodes: at least 1/);
  });
  it('documents every key in the example file', async () => {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(new URL('../../config/switchpost.example.yaml', import.meta.url), 'utf8');
    for (const path of leafPaths(configSchema.parse({}) as Record<string, unknown>)) expect(example).toMatch(new RegExp(`^\\s*${path.at(-1)}:`, 'm'));
    // and the example, with its comments, is itself a valid config
    expect(() => loadConfig({ file: new URL('../../config/switchpost.example.yaml', import.meta.url).pathname, env: {} })).not.toThrow();
  });
});

describe('http.trust_proxy', () => {
  it("takes false or the proxies' addresses / CIDRs, from the file or the environment", () => {
    expect(loadConfig({ env: {} }).http.trust_proxy).toBe(false);
    expect(loadConfig({ file: file('tp1.yaml', 'http:\n  trust_proxy: [127.0.0.1, 10.0.0.0/8, loopback]\n'), env: {} }).http.trust_proxy).toEqual(['127.0.0.1', '10.0.0.0/8', 'loopback']);
    expect(loadConfig({ env: { SWITCHPOST_HTTP_TRUST_PROXY: '["192.0.2.7"]' } }).http.trust_proxy).toEqual(['192.0.2.7']);
    expect(loadConfig({ env: { SWITCHPOST_HTTP_TRUST_PROXY: 'false' } }).http.trust_proxy).toBe(false);
  });

  it('refuses true (every hop trusted: the client would choose its address), naming the key and what to put instead', () => {
    const refusal = /invalid config at http\.trust_proxy: true would trust every hop.*list the proxies in front instead, e\.g\. \["127\.0\.0\.1"\].*\(env SWITCHPOST_HTTP_TRUST_PROXY\)/;
    expect(() => loadConfig({ file: file('tp2.yaml', 'http:\n  trust_proxy: true\n'), env: {} })).toThrow(refusal);
    expect(() => loadConfig({ env: { SWITCHPOST_HTTP_TRUST_PROXY: 'true' } })).toThrow(refusal);
    expect(() => loadConfig({ file: file('tp3.yaml', 'http:\n  trust_proxy: [10.0.0.0/33]\n'), env: {} })).toThrow(/http\.trust_proxy\.0: expected an IP address or CIDR/);
    expect(() => loadConfig({ file: file('tp4.yaml', 'http:\n  trust_proxy: 1\n'), env: {} })).toThrow(/http\.trust_proxy: expected false or a list/);
  });

  it('takes metrics.allow and metrics.token from the environment, and refuses a bad entry or a short token with the key', () => {
    expect(loadConfig({ env: {} }).metrics).toEqual({ enabled: true, allow: ['127.0.0.1', '::1'], token: null });
    const c = loadConfig({ env: { SWITCHPOST_METRICS_ALLOW: '["10.0.0.0/8"]', SWITCHPOST_METRICS_TOKEN: 'a-token-of-16-chars-or-more' } });
    expect(c.metrics).toEqual({ enabled: true, allow: ['10.0.0.0/8'], token: 'a-token-of-16-chars-or-more' });
    expect(() => loadConfig({ env: { SWITCHPOST_METRICS_ALLOW: '["not-an-address"]' } })).toThrow(/metrics\.allow\.0: expected an IP address or CIDR/);
    expect(() => loadConfig({ env: { SWITCHPOST_METRICS_TOKEN: 'short' } })).toThrow(/metrics\.token: use at least 16 characters \(env SWITCHPOST_METRICS_TOKEN\)/);
  });
});
