#!/usr/bin/env bash
# Install switchpost on a fresh Debian 12 machine (as root) and start it on its embedded defaults.
# Idempotent: run it again after a pull to rebuild and restart.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the toolchain better-sqlite3 compiles with (it builds from source on Node 20), and
# the real parts the daemon and its tests use: Kannel (bearerbox + smsbox), openssl for TLS
# certificates, espeak-ng (text to speech), ffmpeg (audio to 8 kHz WAV), ghostscript (documents to fax
# TIFF), libtiff-tools, and libspandsp-dev + pkg-config (the tests' real fax stack); PostgreSQL, whose
# initdb and pg_ctl the tests use to start a throwaway cluster of their own (the daemon needs none
# unless store.driver is postgres; Debian's package also starts a cluster of its own on port 5432,
# which switchpost does not use); LibreOffice without a GUI and its python3-uno bridge (office
# documents to fax), without its recommends (none are needed to render documents headless); tshark,
# whose WSP and MMSE dissectors the tests decode the MMS and WAP Push bytes with (its debconf
# question, whether non-root users may capture, takes its default "no" when non-interactive); chromium,
# the headless browser the status page's test drives through playwright-core (which downloads none).
export DEBIAN_FRONTEND=noninteractive
need=()
for p in python3 make g++ ca-certificates kannel openssl espeak-ng ffmpeg ghostscript libtiff-tools libspandsp-dev pkg-config postgresql tshark chromium; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if ! command -v node >/dev/null; then need+=(nodejs npm); fi
office=()
for p in libreoffice-nogui python3-uno fonts-dejavu-core; do dpkg -s "$p" >/dev/null 2>&1 || office+=("$p"); done
if [ ${#need[@]} -gt 0 ] || [ ${#office[@]} -gt 0 ]; then apt-get update -qq; fi
if [ ${#need[@]} -gt 0 ]; then apt-get install -y -qq "${need[@]}"; fi
if [ ${#office[@]} -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${office[@]}"; fi
node -e 'const [M,m]=process.versions.node.split(".").map(Number); if (M<20 || (M===20 && m<12)) { console.error("switchpost needs Node 20.12 or newer, found " + process.versions.node); process.exit(1) }'

npm ci --no-audit --no-fund
npm run build
chmod +x dist/cli.js

if [ "${1:-}" = "--no-start" ]; then exit 0; fi

# Start on the embedded defaults: SQLite in ./data, HTTP on 127.0.0.1:8080, the sandbox provider.
mkdir -p data
if [ -f data/switchpost.pid ] && kill -0 "$(cat data/switchpost.pid)" 2>/dev/null; then
  kill "$(cat data/switchpost.pid)"; sleep 2
fi
nohup node dist/cli.js start >> data/switchpost.log 2>&1 &
echo $! > data/switchpost.pid
port="${SWITCHPOST_HTTP_PORT:-8080}"
# Ready once /health answers from the process started here: another daemon already on the port (its
# /health answers too) must not pass for this one, nor a process that died at start.
node -e '(async () => {
  const [url, pid] = [process.argv[1], Number(process.argv[2])];
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(url);
      const body = await res.json();
      if (body.pid === pid) return;
      if (body.pid && !alive()) { console.error(`port already in use by another switchpost (pid ${body.pid}); this one stopped: see data/switchpost.log`); process.exit(1); }
    } catch {}
    if (!alive()) { console.error("switchpost did not start; see data/switchpost.log"); process.exit(1); }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error("switchpost did not answer on " + url + " in 20 s; see data/switchpost.log"); process.exit(1);
})()' "http://127.0.0.1:$port/health" "$(cat data/switchpost.pid)"
echo "switchpost is running on http://127.0.0.1:$port (pid $(cat data/switchpost.pid), log in data/switchpost.log)"
[ -f data/initial-admin-password ] && echo "first admin: user 'admin', password in data/initial-admin-password"
exit 0
