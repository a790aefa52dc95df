// The status page's script (issue 19): logs an administrator in for a token, shows GET /admin/status and
// keeps it current from the live stream (/stream), re-reading the snapshot every few seconds for what the
// stream does not carry (rates, queues, calls). Everything from the network is written as text
// (textContent, dataset), never as markup; the page's CSP allows no inline code at all.
/* global document, location, Node */

const TOKEN_KEY = 'switchpost.status.token';
/** How often the snapshot is read again: rates, queues and calls come only with it. */
const REFRESH_MS = 5000;
/** How long a job the stream saw finish stays on the page after it leaves the snapshot. */
const FINISHED_KEEP_MS = 60_000;
const MAX_ERRORS = 50;
const FINAL_OK = new Set(['delivered', 'sent']);
const FINAL_FAILED = new Set(['undeliverable', 'expired', 'rejected', 'failed', 'invalid', 'opted_out', 'cancelled']);

let token = sessionStorage.getItem(TOKEN_KEY);
/** The snapshot as last read, changed in place by the stream's events. */
let snap = null;
/** Jobs the stream saw finish: id → { job, until }. */
const finished = new Map();
let ws = null;
let wsRetryMs = 500;
let wsTimer = null;
let refreshTimer = null;
let renderTimer = null;

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function row(cells, data) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    if (c instanceof Node) {
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    } else tr.append(el('td', c));
  }
  for (const [k, v] of Object.entries(data ?? {})) tr.dataset[k] = String(v);
  return tr;
}

const fill = (id, rows) => $(id).tBodies[0].replaceChildren(...rows);
const time = (ms) =>
  ms
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';

function showLogin(message) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopLive();
  $('status').hidden = true;
  $('logout').hidden = true;
  $('login-box').hidden = false;
  $('login-error').textContent = message ?? '';
}

function showStatus() {
  $('login-box').hidden = true;
  $('status').hidden = false;
  $('logout').hidden = false;
}

async function login(ev) {
  ev.preventDefault();
  const form = ev.target;
  const body = JSON.stringify({ username: form.elements.username.value, password: form.elements.password.value });
  $('login-error').textContent = '';
  try {
    const res = await fetch(new URL('admin/token', location.href), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok || typeof answer.token !== 'string') {
      $('login-error').textContent = answer?.error?.message ?? `login failed (${res.status})`;
      return;
    }
    token = answer.token;
    sessionStorage.setItem(TOKEN_KEY, token);
    form.elements.password.value = '';
    await start();
  } catch {
    $('login-error').textContent = 'the daemon could not be reached';
  }
}

async function readSnapshot() {
  const res = await fetch(new URL('admin/status', location.href), { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (res.status === 401 || res.status === 403) {
    showLogin(res.status === 403 ? 'the status is for administrators' : 'please log in again');
    return false;
  }
  if (!res.ok) return true;
  snap = await res.json();
  render();
  return true;
}

function render() {
  if (!snap) return;
  $('node').textContent = `${snap.node} · pid ${snap.pid} · up ${snap.uptimeS} s`;
  $('summary').textContent = `Spool ${snap.spool}: ${snap.inFlight} in flight, due lag ${snap.dueLagS} s, callbacks ${snap.callbacks.pending} pending / ${snap.callbacks.failed} failed, ${snap.liveCalls} live calls. Read at ${time(snap.at)}.`;
  $('rate-note').textContent = `Attempts, failures and parts over the last ${snap.rateWindowS} s.`;
  fill(
    'providers',
    snap.providers.map((p) =>
      row([p.name, p.driver, p.services.join(', '), el('span', p.link, `link-${p.link}`), p.attempts, p.failures, p.parts, p.throughput ? `${p.throughput}/s` : '-', p.liveCalls ?? '-', p.reason ?? ''], {
        provider: p.name,
        link: p.link,
        attempts: p.attempts,
      }),
    ),
  );
  fill(
    'queues',
    snap.queues.map((q) => row([q.channel, q.queued, q.sending, q.submitted], { channel: q.channel })),
  );
  const now = Date.now();
  for (const [id, f] of finished) if (f.until < now) finished.delete(id);
  const shown = [...snap.jobs.shown];
  for (const [id, f] of finished) if (!shown.some((j) => j.id === id)) shown.push(f.job);
  shown.sort((a, b) => b.id - a.id);
  $('jobs-count').textContent = `${snap.jobs.count} job(s) with recipients not final${snap.jobs.count > snap.jobs.shown.length ? `; the newest ${snap.jobs.shown.length} shown` : ''}.`;
  fill(
    'jobs',
    shown.map((j) => {
      const bar = document.createElement('progress');
      bar.max = Math.max(1, j.total);
      bar.value = j.done;
      const tr = row([j.id, j.user, j.channel, j.name ?? '', bar, `${j.done}/${j.total}`, j.succeeded, j.failed], { job: j.id, done: j.done, total: j.total });
      if (finished.has(j.id)) tr.className = 'finished';
      return tr;
    }),
  );
  fill(
    'errors',
    snap.errors.map((e) => row([time(e.at), e.kind, e.provider ?? '', e.jobId ?? '', e.destination ?? '', e.status, e.message], { kind: e.kind })),
  );
}

/** Read the snapshot again shortly (a new job's owner and name, a finished job's last counts), once however many ask. */
let readTimer = null;
function readSoon() {
  if (readTimer === null) readTimer = setTimeout(() => ((readTimer = null), void readSnapshot().catch(() => undefined)), 300);
}

/** Render at most every 100 ms however fast the stream runs. */
function renderSoon() {
  if (renderTimer === null) renderTimer = setTimeout(() => ((renderTimer = null), render()), 100);
}

function addError(e) {
  snap.errors.unshift(e);
  if (snap.errors.length > MAX_ERRORS) snap.errors.length = MAX_ERRORS;
}

/** One event of the live stream applied to the snapshot (events older than the snapshot are in it already). */
function apply(e) {
  if (!snap || typeof e !== 'object' || e === null) return;
  if (e.type === 'provider.health') {
    const p = snap.providers.find((x) => x.id === e.providerId);
    if (p) {
      p.link = e.up ? 'up' : 'down';
      p.reason = e.up ? null : e.reason;
      p.since = e.at;
    }
    if (!e.up) addError({ at: e.at, kind: 'provider', provider: p?.name ?? String(e.providerId), jobId: null, destination: null, status: 'down', message: e.reason ?? 'link down' });
    readSoon();
    return renderSoon();
  }
  if (e.type === 'job.created') {
    if (!snap.jobs.shown.some((j) => j.id === e.jobId)) {
      snap.jobs.shown.unshift({ id: e.jobId, user: '', channel: e.channel, name: null, total: e.total, done: 0, succeeded: 0, failed: 0, createdAt: e.at });
      snap.jobs.count++;
      readSoon();
    }
    return renderSoon();
  }
  if (e.type === 'recipient.updated') {
    if (e.at < snap.at) return;
    const ok = FINAL_OK.has(e.state);
    const failed = FINAL_FAILED.has(e.state);
    if (!ok && !failed) return;
    const j = snap.jobs.shown.find((x) => x.id === e.jobId);
    if (j && j.done < j.total) {
      j.done++;
      if (ok) j.succeeded++;
      else j.failed++;
    }
    if (failed) addError({ at: e.at, kind: 'attempt', provider: null, jobId: e.jobId, destination: e.destination, status: e.state, message: e.reason ?? e.state });
    return renderSoon();
  }
  if (e.type === 'job.finished') {
    const j = snap.jobs.shown.find((x) => x.id === e.jobId);
    if (j) {
      j.done = j.total;
      j.succeeded = e.succeeded;
      j.failed = e.failed;
      finished.set(j.id, { job: j, until: Date.now() + FINISHED_KEEP_MS });
    }
    // Its attempts are in the providers' rates and its recipients out of the queues now.
    readSoon();
    return renderSoon();
  }
}

function setLive(on) {
  const badge = $('live');
  badge.textContent = on ? 'live' : 'offline';
  badge.className = `badge ${on ? 'on' : 'off'}`;
}

function stopLive() {
  clearTimeout(wsTimer);
  clearInterval(refreshTimer);
  refreshTimer = null;
  if (ws) {
    ws.onclose = null;
    ws.close();
    ws = null;
  }
  setLive(false);
}

function connect() {
  const url = new URL('stream', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // A browser cannot set Authorization on a WebSocket: the token goes as the second subprotocol.
  ws = new WebSocket(url, ['switchpost', `bearer.${token}`]);
  ws.onopen = () => {
    wsRetryMs = 500;
    setLive(true);
    // What happened while the stream was away is in a fresh snapshot.
    void readSnapshot();
  };
  ws.onmessage = (m) => {
    try {
      apply(JSON.parse(m.data));
    } catch {
      // Not an event: nothing to show.
    }
  };
  ws.onclose = (c) => {
    ws = null;
    setLive(false);
    if (c.code === 4401) return showLogin('your credentials changed; please log in again');
    wsTimer = setTimeout(connect, wsRetryMs);
    wsRetryMs = Math.min(wsRetryMs * 2, 10_000);
  };
}

async function start() {
  if (!(await readSnapshot().catch(() => true))) return;
  if (!token) return;
  showStatus();
  connect();
  refreshTimer = setInterval(() => void readSnapshot().catch(() => undefined), REFRESH_MS);
}

$('login').addEventListener('submit', (ev) => void login(ev));
$('logout').addEventListener('click', () => showLogin('logged out'));
if (token) void start();
else showLogin();
