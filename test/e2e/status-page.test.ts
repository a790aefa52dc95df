import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { receiptFields, TestSmsc } from '../peers/smsc.js';

/** Debian's chromium (scripts/install.sh installs it); playwright-core downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const FAST = { window: 10, reconnect_min_ms: 50, reconnect_max_ms: 200, response_timeout_ms: 1500, enquire_link_ms: 30_000, inactivity_ms: 60_000 };

/** The destinations whose receipts the SMSC holds until the test sends them: the job stays half done meanwhile. */
const HELD = ['+61491570104', '+61491570105', '+61491570106'];
const PROMPT = ['+61491570101', '+61491570102', '+61491570103'];
/** The second test's destination, held too: its job stays in progress whether or not the SMSC is still up. */
const NAMED = '+61491570108';
/** Whether the SMSC holds this destination's receipt (it may write the number with or without its +). */
const isHeld = (addr: string) => [...HELD, NAMED].some((h) => addr.replace(/^\+/, '') === h.slice(1));

describe('the status page in Chromium', () => {
  let d: TestDaemon;
  let smsc: TestSmsc | undefined;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let loads = 0;

  beforeAll(async () => {
    // Not a skip: the suite needs its browser, as it needs its other real parts.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/install.sh installs it)`);
    smsc = new TestSmsc({ systemId: 'esme', password: 'secret', script: (s: { destination_addr: string }) => (isHeld(s.destination_addr) ? { receipt: null } : {}) });
    const port = await smsc.listen();
    d = await testDaemon({
      sandbox: { enabled: false },
      providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'secret', settings: FAST }],
    });
    d.addUser('page-admin', 'admin', { password: 'page-secret-1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // A CSP violation or a script error shows here: the page must run clean under its own policy.
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    page.on('load', () => loads++);
  });

  afterAll(async () => {
    await browser?.close();
    await d?.close();
    await smsc?.close();
  });

  it('logs in, shows a job progressing live and a provider going down, with no reload', async () => {
    await page.goto(`${d.url}/status`);
    await page.locator('#login-box').waitFor();
    await page.fill('input[name=username]', 'page-admin');
    await page.fill('input[name=password]', 'page-secret-1');
    await page.click('#login button[type=submit]');
    await page.locator('tr[data-provider="smsc"][data-link="up"]').waitFor();
    await page.locator('#live.on').waitFor();
    // The built-in sandbox, turned off here, is listed as off.
    expect(await page.locator('tr[data-provider="sandbox"][data-link="off"]').count()).toBe(1);

    const admin = 'Basic ' + Buffer.from('page-admin:page-secret-1').toString('base64');
    const r = await d.api('POST', '/api/v1/jobs', { auth: admin, body: { job_type: 'sms', job_name: 'in the browser', message: 'status page', recipients: [...PROMPT, ...HELD].map((destination) => ({ destination })) } });
    expect(r.status).toBe(200);
    const jobId = r.json.data as number;
    const row = page.locator(`#jobs tr[data-job="${jobId}"]`);
    await page.locator(`#jobs tr[data-job="${jobId}"][data-done="3"][data-total="6"]`).waitFor();
    await expect.poll(() => row.innerText()).toContain('3/6');
    await expect.poll(() => row.innerText()).toContain('in the browser');

    // The held receipts arrive: the job finishes on the page.
    await d.waitFor(() => smsc!.submits.filter((s: { destination_addr: string; messageId?: string }) => isHeld(s.destination_addr) && s.messageId).length === HELD.length);
    for (const s of smsc!.submits.filter((x: { destination_addr: string }) => isHeld(x.destination_addr)) as { destination_addr: string; source_addr: string; messageId: string }[]) {
      smsc!.deliver(receiptFields(s.messageId, { destination: s.destination_addr, source: s.source_addr }));
    }
    await page.locator(`#jobs tr[data-job="${jobId}"][data-done="6"]`).waitFor();
    await expect.poll(() => row.innerText()).toContain('6/6');
    // Its six attempts are in the provider's rate.
    await page.locator('tr[data-provider="smsc"][data-attempts="6"]').waitFor();

    // The SMSC goes away: its provider shows down, and its going down is among the last errors.
    await smsc!.close();
    smsc = undefined;
    await page.locator('tr[data-provider="smsc"][data-link="down"]').waitFor();
    await page.locator('#errors tr[data-kind="provider"]').first().waitFor();
    expect(await page.locator('#errors tr[data-kind="provider"]').first().innerText()).toContain('smsc');

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'status.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    // All of it came over the stream and the page's own reads: the page loaded once.
    expect(loads).toBe(1);
    expect(problems).toEqual([]);
  });

  it('writes what the network brings as text, never as markup', async () => {
    // A job name with markup in it, from a client: shown as the characters it is.
    const admin = 'Basic ' + Buffer.from('page-admin:page-secret-1').toString('base64');
    const name = '<img src=x onerror="document.title=1">';
    const r = await d.api('POST', '/api/v1/jobs', { auth: admin, body: { job_type: 'sms', job_name: name, message: 'x', recipients: [{ destination: NAMED }] } });
    expect(r.status).toBe(200);
    await page.reload();
    await page.locator(`#jobs tr[data-job="${r.json.data}"]`).waitFor();
    expect(await page.locator(`#jobs tr[data-job="${r.json.data}"]`).innerText()).toContain(name);
    expect(await page.locator('#jobs img').count()).toBe(0);
    expect(await page.title()).toBe('switchpost status');
  });
});
