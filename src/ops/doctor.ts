import type { Config } from '../config/schema.js';
import type { Provider } from '../store/providers.js';
import type { ProviderEntry } from '../gateways/gateway.js';
import { fail, ok, type CheckResult } from './doctor-report.js';
import { checkTool, TOOLS } from './doctor-tools.js';
import { checkDataDir, checkPgStore, checkStore } from './doctor-store.js';
import { checkSmpp } from './doctor-smpp.js';
import { checkEsl } from './doctor-esl.js';
import { checkSmtp } from './doctor-smtp.js';
import { checkKannel } from './doctor-kannel.js';
import { checkMm7 } from './doctor-mm7.js';

export interface DoctorOptions {
  /** Each tool and each provider gets this long (default 10 s). */
  timeoutMs?: number;
}

type Check = (name: string, p: ProviderEntry, timeoutMs: number) => Promise<CheckResult>;
const BY_DRIVER: Partial<Record<string, Check>> = { smpp: checkSmpp, freeswitch: checkEsl, smtp: checkSmtp, kannel: checkKannel, mm7: checkMm7 };

/** One provider's check by its driver; a setting that does not parse fails with its message, not a stack. */
async function checkProvider(p: ProviderEntry & { driver: string }, timeoutMs: number): Promise<CheckResult> {
  const name = `provider ${p.name} (${p.driver})`;
  const check = BY_DRIVER[p.driver];
  if (!check) return ok(name, `not checked: the doctor has no check for ${p.driver} yet`);
  try {
    return await check(name, p, timeoutMs);
  } catch (err) {
    return fail(name, (err as Error).message, 'fix the provider setting named (switchpost provider list; the config file)');
  }
}

/**
 * Everything the daemon needs, checked side by side where they do not depend on each other: the tools,
 * the data directory, the store and its schema, and every active provider (the store's, which holds
 * the config file's and those made through an API; the config file's alone when the store does not
 * open). Nothing is changed or sent.
 */
export async function runDoctor(config: Config, opts: DoctorOptions = {}): Promise<CheckResult[]> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const tools = Promise.all(TOOLS.map((t) => checkTool(t, timeoutMs)));
  const dataDir = checkDataDir(config);
  const store = config.store.driver === 'postgres' ? checkPgStore(config, timeoutMs) : checkStore(config);
  const rows: (ProviderEntry & { driver: string; active: boolean })[] = store.providers ?? config.providers.map((p, i) => ({ ...p, id: -(i + 1) }) satisfies Omit<Provider, 'owner_user_id' | 'source'>);
  const providers = Promise.all(rows.filter((p) => p.active && p.driver !== 'sandbox').map((p) => checkProvider(p, timeoutMs)));
  return [...(await tools), dataDir, store.result, ...(await providers)];
}
