#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './config/load.js';
import { providerConfigSchema, type Config } from './config/schema.js';
import { openMigratedStore, storeName, storeSchemaVersion, StoreOpenError, type StoreConnection } from './store/open.js';
import { UserStore } from './store/users.js';
import { ProviderStore } from './store/providers.js';
import { JobStore } from './store/jobs.js';
import { startDaemon, syncProviders } from './main.js';
import { randomPassword } from './core/passwords.js';
import { plausibleNumber, validateNumber } from './core/numbers.js';
import { isValidZone } from './core/windows.js';
import { isFinal, type Role } from './core/model.js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVoice, TtsRenderer, VOICES } from './media/tts.js';
import { MediaToolError, toTelephonyWav } from './media/run.js';
import { OfficeUnavailable } from './media/office-unavailable.js';
import { toFaxTiff } from './media/fax.js';
import { OfficeConverter } from './media/office.js';
import { MediaRefused } from './media/refused.js';
import { permissionDeniedOf, storageErrorOf } from './store/storage-error.js';
import { SchemaTooNew } from './store/schema-error.js';
import { PgBridgeError } from './store/pg/errors.js';
import { smsContent } from './core/content.js';
import { plainJob } from './core/jobs.js';
import { COUNTRY_EXPECTED, countryCode } from './core/countries.js';
import { NumberStore } from './store/numbers.js';
import { SwitchpostError } from './core/errors.js';
import { holdSignals, serve } from './ops/service.js';
import { tellLogLevel } from './ops/log-level-command.js';
import { OpsError } from './ops/errors.js';
import { runDoctor } from './ops/doctor.js';
import { progress } from './ops/progress.js';
import { importContacts, importSummary, rejectedLines } from './ops/contact-import.js';
import { exitCodeOf, formatReport } from './ops/doctor-report.js';
import { authorizationOf, daemonUrl, fetchStatus, StatusClientError } from './ops/status-client.js';
import { statusText } from './core/status-text.js';

const USAGE = `switchpost — telephony, fax, SMS and email gateway daemon

usage: switchpost [command] [--config FILE]

  start                               run the daemon (the default)
  migrate                             create or upgrade the database, then exit
  user add CODE --role admin|agent|user [--password P] [--agent CODE] [--timezone TZ] [--country CC]
  user list
  user passwd CODE [--password P]
  provider add NAME --driver D --services sms,voice,... [--host H] [--port N] [--username U] [--password P]
               [--dialstring S] [--prefix P] [--weight N] [--throughput N] [--concurrency N] [--settings JSON] [--inactive]
  provider list
  numbers add NUMBER --user CODE [--country CC]
                                      route inbound SMS and fax to NUMBER to that user (kept in E.164;
                                      a national NUMBER is read in --country, else the user's country)
  numbers list [--user CODE]
  numbers remove NUMBER [--country CC]
  import FILE.csv --user CODE --list NAME|ID
                                      contacts from a CSV into one of the user's lists (a new NAME makes
                                      it), as POST /groups/{id}/csv reads it; works beside the running daemon
  send --to NUMBER --text TEXT [--user CODE] [--from SENDER] [--wait]
                                      queue a test SMS (the running daemon sends it)
  convert tts "TEXT" OUT.wav [--voice NAME]
                                      speak TEXT into an 8 kHz mono WAV, as calls do
  convert audio IN OUT.wav [--max-seconds N]
                                      any audio ffmpeg reads → 8 kHz mono 16-bit WAV
  convert fax IN... OUT.tif [--fine]  documents (pdf, txt) → one fax TIFF (1728 px, G4)
  doctor [--timeout-ms N]             check what the daemon needs (tools, data dir, store, each provider
                                      reachable and authenticated): one line each with a fix; exit 1 on any FAIL
  log-level LEVEL                     the running daemon logs at LEVEL (fatal … trace, silent) until its
                                      next reload or restart (written to the data directory, then SIGUSR2)
  status [--url URL] [--token T | --user CODE --password P] [--json]
                                      what the status page shows, from the running daemon (an admin's
                                      token or password, also $SWITCHPOST_ADMIN_TOKEN, _USER, _PASSWORD)

The config file is --config FILE or $SWITCHPOST_CONFIG; every key can be set as SWITCHPOST_<KEY>.`;

const options = {
  config: { type: 'string' },
  role: { type: 'string' },
  password: { type: 'string' },
  agent: { type: 'string' },
  timezone: { type: 'string' },
  country: { type: 'string' },
  driver: { type: 'string' },
  services: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  username: { type: 'string' },
  dialstring: { type: 'string' },
  prefix: { type: 'string' },
  weight: { type: 'string' },
  throughput: { type: 'string' },
  concurrency: { type: 'string' },
  settings: { type: 'string' },
  inactive: { type: 'boolean' },
  to: { type: 'string' },
  text: { type: 'string' },
  user: { type: 'string' },
  list: { type: 'string' },
  from: { type: 'string' },
  wait: { type: 'boolean' },
  voice: { type: 'string' },
  'max-seconds': { type: 'string' },
  fine: { type: 'boolean' },
  'timeout-ms': { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

/** The config's store (SQLite's file or PostgreSQL's database), migrated. */
async function openStore(config: Config): Promise<StoreConnection> {
  // A large store's migrations take a while: a progress line on a terminal, nothing elsewhere.
  const shown = progress('migrating the store');
  try {
    return (await openMigratedStore(config, (done, total, m) => shown.step(done, total, `${m.version} ${m.name}`))).db;
  } finally {
    shown.end();
  }
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number`);
  return n;
};

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const [cmd = 'start', sub, arg] = positionals;
  const config = loadConfig({ file: o.config });

  if (cmd === 'start') {
    // Signals (stop, SIGHUP reload, SIGUSR2 log level) and systemd's notifications: src/ops/service.ts.
    const held = holdSignals();
    // Anything uncaught but a lost store ends the process as Node would.
    process.on('uncaughtException', (err) => {
      exitIfStoreLost(err);
      process.stderr.write(`switchpost: uncaught error: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
    const daemon = await startDaemon(config).catch((err: unknown) => {
      exitIfStoreLost(err);
      throw err;
    });
    serve(daemon, { readConfig: () => loadConfig({ file: o.config }), held });
    return new Promise<number>(() => {});
  }

  if (cmd === 'doctor') {
    const results = await runDoctor(config, { timeoutMs: num(o['timeout-ms'], 'timeout-ms') ?? 10_000 });
    console.log(formatReport(results));
    return exitCodeOf(results);
  }
  if (cmd === 'convert' && sub === 'fax') {
    const files = positionals.slice(2);
    const out = files.pop();
    if (!out || files.length === 0) throw new UsageError('convert fax: IN... OUT.tif');
    // Its own listener in a temporary directory: a daemon's listener on the same data_dir is left alone.
    const workDir = mkdtempSync(join(tmpdir(), 'switchpost-office-'));
    const office = new OfficeConverter({ workDir });
    const shown = progress('converting fax');
    const { tiff, pages } = await toFaxTiff(
      files.map((f) => ({ name: f, bytes: readFileSync(f) })),
      { fine: o.fine === true, office, onStep: (done, total, what) => shown.step(done, total, what) },
    ).finally(async () => {
      shown.end();
      await office.stop();
      rmSync(workDir, { recursive: true, force: true });
    });
    writeFileSync(out, tiff);
    console.log(`wrote ${out}: ${pages} page(s), 1728 px wide, ${o.fine ? '204x196' : '204x98'} dpi, CCITT G4`);
    return 0;
  }
  if (cmd === 'convert') {
    const out = positionals[3];
    if ((sub !== 'tts' && sub !== 'audio') || !arg || !out) throw new UsageError('convert: tts "TEXT" OUT.wav, or audio IN OUT.wav');
    if (sub === 'tts') {
      const voice = o.voice ?? 'default';
      if (!isVoice(voice)) throw new UsageError(`--voice: unknown voice "${voice}"; one of ${Object.keys(VOICES).join(', ')}`);
      const file = await new TtsRenderer(join(config.data_dir, 'media', 'tts')).render(arg, voice);
      copyFileSync(file, out);
    } else {
      const seconds = num(o['max-seconds'], 'max-seconds');
      writeFileSync(out, await toTelephonyWav(readFileSync(arg), seconds ? { maxSeconds: seconds } : {}));
    }
    console.log(`wrote ${out} (8 kHz mono 16-bit WAV)`);
    return 0;
  }

  if (cmd === 'status') {
    const url = o.url ?? process.env.SWITCHPOST_URL ?? daemonUrl(config.http);
    const snapshot = await fetchStatus(url, authorizationOf({ token: o.token, user: o.user, password: o.password }, process.env, config.data_dir));
    process.stdout.write(o.json ? JSON.stringify(snapshot, null, 2) + '\n' : statusText(snapshot));
    return 0;
  }

  const db = await openStore(config);
  try {
    if (cmd === 'migrate') {
      syncProviders(db, config);
      console.log(`database ${storeName(config)} is at schema version ${storeSchemaVersion(db)}`);
      return 0;
    }
    if (cmd === 'log-level') return tellLogLevel(db, config, sub);
    if (cmd === 'user') {
      const users = new UserStore(db);
      if (sub === 'list') {
        for (const u of users.list()) console.log(`${u.id}\t${u.user_code}\t${u.role}\tagent=${u.agent_id ?? '-'}\t${u.timezone}\t${u.active ? 'active' : 'inactive'}`);
        return 0;
      }
      if (!arg) throw new UsageError(`user ${sub ?? ''}: give the user code`);
      if (sub === 'add') {
        const role = (o.role ?? 'user') as Role;
        if (!['admin', 'agent', 'user'].includes(role)) throw new UsageError('--role: admin, agent or user');
        const timezone = o.timezone ?? config.default_timezone;
        if (!isValidZone(timezone)) throw new UsageError(`--timezone: unknown IANA zone "${timezone}"`);
        const country = countryCode(o.country ?? config.default_country);
        if (country === null) throw new UsageError(`--country: expected ${COUNTRY_EXPECTED}, not "${o.country ?? config.default_country}"`);
        let agentId: number | null = null;
        if (o.agent) {
          const agent = users.byCode(o.agent);
          if (!agent || agent.role !== 'agent') throw new UsageError(`--agent: no agent "${o.agent}"`);
          agentId = agent.id;
        }
        if (users.byCode(arg)) throw new UsageError(`user "${arg}" exists already`);
        const password = o.password ?? randomPassword();
        const id = users.add({ user_code: arg, password, role, agent_id: agentId, timezone, country });
        console.log(`user ${arg} added with id ${id}${o.password ? '' : `; password: ${password}`}`);
        return 0;
      }
      if (sub === 'passwd') {
        const u = users.byCode(arg);
        if (!u) throw new UsageError(`no user "${arg}"`);
        const password = o.password ?? randomPassword();
        users.setPassword(u.id, password);
        console.log(`password of ${arg} changed${o.password ? '' : `; new password: ${password}`}`);
        return 0;
      }
    }
    if (cmd === 'provider') {
      const providers = new ProviderStore(db);
      if (sub === 'list') {
        for (const p of providers.list()) console.log(`${p.id}\t${p.name}\t${p.driver}\t${p.services.join(',')}\t${p.host ?? '-'}:${p.port ?? '-'}\tweight=${p.weight}\ttps=${p.throughput || '∞'}\t${p.active ? 'active' : 'inactive'}\t(${p.source})`);
        return 0;
      }
      if (sub === 'add') {
        if (!arg) throw new UsageError('provider add: give the provider name');
        let settings: unknown = {};
        if (o.settings) {
          try {
            settings = JSON.parse(o.settings);
          } catch {
            throw new UsageError('--settings: expected a JSON object');
          }
        }
        const parsed = providerConfigSchema.safeParse({
          name: arg,
          driver: o.driver,
          services: o.services?.split(',').map((s) => s.trim()),
          host: o.host ?? null,
          port: num(o.port, 'port') ?? null,
          username: o.username ?? null,
          password: o.password ?? null,
          dialstring: o.dialstring ?? null,
          prefix: o.prefix ?? null,
          weight: num(o.weight, 'weight'),
          throughput: num(o.throughput, 'throughput'),
          concurrency: num(o.concurrency, 'concurrency'),
          settings,
          active: !o.inactive,
        });
        if (!parsed.success) {
          const i = parsed.error.issues[0]!;
          const where = i.path[0] === 'settings' && i.path.length > 1 ? `settings: ${i.path.slice(1).join('.')}` : String(i.path[0] ?? 'provider');
          throw new UsageError(`--${where}: ${i.message}`);
        }
        const id = providers.upsert(parsed.data, 'db');
        console.log(`provider ${arg} saved with id ${id}; restart the daemon to use it`);
        return 0;
      }
    }
    if (cmd === 'numbers') {
      const users = new UserStore(db);
      const numbers = new NumberStore(db);
      const userOf = (code: string) => {
        const u = users.byCode(code);
        if (!u) throw new UsageError(`--user: no user "${code}"`);
        return u;
      };
      if (sub === 'list') {
        for (const n of numbers.list(o.user ? userOf(o.user).id : undefined)) console.log(`${n.number}\t${n.user_code}`);
        return 0;
      }
      if (sub !== 'add' && sub !== 'remove') throw new UsageError(`numbers: add, list or remove\n\n${USAGE}`);
      if (!arg) throw new UsageError(`numbers ${sub}: give the number`);
      const e164 = (country: string) => {
        const c = countryCode(o.country ?? country);
        if (c === null) throw new UsageError(`--country: expected ${COUNTRY_EXPECTED}, not "${o.country ?? country}"`);
        const checked = validateNumber(arg, c);
        if (!checked.ok) throw new UsageError(`${arg}: ${checked.reason}`);
        return checked.e164;
      };
      if (sub === 'add') {
        if (!o.user) throw new UsageError('numbers add: --user CODE is required');
        const u = userOf(o.user);
        const n = e164(u.country);
        try {
          numbers.add(n, u.id, Date.now());
        } catch (err) {
          if (err instanceof SwitchpostError) throw new UsageError(err.message);
          throw err;
        }
        console.log(`${n} routed to ${u.user_code}`);
        return 0;
      }
      if (sub === 'remove') {
        const n = e164(config.default_country);
        if (!numbers.remove(n)) throw new UsageError(`${n} is not assigned`);
        console.log(`${n} removed`);
        return 0;
      }
    }
    if (cmd === 'import') {
      if (!sub || arg) throw new UsageError('import: one FILE.csv');
      if (!o.user || !o.list) throw new UsageError('import: --user CODE and --list NAME|ID are required');
      const result = await importContacts(db, { file: sub, userCode: o.user, list: o.list });
      for (const line of rejectedLines(result)) console.error(line);
      console.log(importSummary(result));
      // Some rows left out (listed on stderr), the others stored: a script can tell.
      return result.rejected.length ? 2 : 0;
    }
    if (cmd === 'send') {
      if (!o.to || !o.text) throw new UsageError('send: --to NUMBER and --text TEXT are required');
      const bad = plausibleNumber(o.to);
      if (bad) throw new UsageError(`--to: ${bad}`);
      const users = new UserStore(db);
      const user = users.byCode(o.user ?? 'admin');
      if (!user) throw new UsageError(`--user: no user "${o.user ?? 'admin'}"`);
      const jobs = new JobStore(db);
      const id = jobs.create(
        plainJob({
          userId: user.id,
          face: 'cli',
          channel: 'sms',
          name: 'switchpost send',
          content: smsContent({ template: o.text }),
          sender: o.from ?? null,
          recipients: [{ destination: o.to, name: null, reference: null, fields: null, blackouts: null }],
        }),
      );
      console.log(`job ${id} queued`);
      if (!o.wait) return 0;
      for (let i = 0; i < 600; i++) {
        const [r] = jobs.recipients(id);
        if (r && isFinal(r.state)) {
          console.log(`recipient ${r.destination}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`);
          return r.state === 'delivered' || r.state === 'sent' ? 0 : 2;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      console.log('still not final after 60 s; is the daemon running?');
      return 3;
    }
    throw new UsageError(`unknown command "${[cmd, sub].filter(Boolean).join(' ')}"\n\n${USAGE}`);
  } finally {
    db.close();
  }
}

/**
 * The daemon's store connection lost is its node lock lost: exit 70 for the supervisor, as main.ts
 * does, whether it comes uncaught (a timer's read) or fails a start in its last steps (the listener
 * is up, the engine's calls open the gateways).
 */
function exitIfStoreLost(err: unknown): void {
  if (!(err instanceof PgBridgeError)) return;
  process.stderr.write(`switchpost: lost the store: ${err.stack ?? err.message}\n`);
  process.exit(70);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A file the daemon's user may not open (the data directory, the database, a TLS key): one line naming it.
    const denied = permissionDeniedOf(err);
    if (denied) {
      console.error(`switchpost: ${denied.forOperator}`);
      process.exit(1);
    }
    // A data directory that is full or read-only: one line naming it, no stack.
    const storage = storageErrorOf(err);
    if (storage) console.error(`switchpost: ${storage.message} (${storage.where})`);
    else if (
      err instanceof ConfigError ||
      err instanceof UsageError ||
      err instanceof MediaRefused ||
      err instanceof MediaToolError ||
      err instanceof OfficeUnavailable ||
      err instanceof SchemaTooNew ||
      err instanceof StoreOpenError ||
      err instanceof OpsError ||
      err instanceof StatusClientError
    )
      console.error(`switchpost: ${err.message}`);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`switchpost: ${(err as Error).message}\n\n${USAGE}`);
    else console.error(`switchpost: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
