// A throwaway PostgreSQL server: a fresh cluster in a temp directory, on 127.0.0.1. Plain JS so both the
// tests (test/helpers/pg-cluster.ts, with the tests' settings) and the benchmarks (bench/pg-spool.js,
// durable settings) start it the same way.
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const INSTALL = "the tests need a PostgreSQL server's initdb and pg_ctl (Debian's postgresql package: scripts/install.sh installs it)";

/**
 * The directory holding initdb and pg_ctl: $SWITCHPOST_PG_BIN, else the one on PATH, else Debian's
 * /usr/lib/postgresql/<newest>/bin. A missing PostgreSQL throws, saying what to install.
 * @returns {string}
 */
export function pgBinDir() {
  const has = (dir) => ['initdb', 'pg_ctl'].every((b) => existsSync(join(dir, b)));
  const env = process.env.SWITCHPOST_PG_BIN;
  if (env) {
    if (!has(env)) throw new Error(`SWITCHPOST_PG_BIN=${env} has no initdb and pg_ctl; ${INSTALL}`);
    return env;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    // Debian links them into /usr/local/bin at most: the real directory has the postgres binary beside them.
    if (dir && has(dir)) return dirname(realpathSync(join(dir, 'initdb')));
  }
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+$/.test(v) && has(join(debian, v, 'bin'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return join(debian, newest, 'bin');
  throw new Error(`PostgreSQL is not installed: ${INSTALL}. Looked on PATH and in ${debian}/*/bin.`);
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * initdb a fresh cluster in a temp directory (trust authentication, UTF-8, C locale) and start it
 * with pg_ctl on a free port of 127.0.0.1, its unix socket in the same directory, `settings` appended
 * to its postgresql.conf (`label` names who wrote them). initdb refuses to run as root, so as root
 * both run as the `postgres` system user (the temp directory made its own). A failure throws with
 * the server's log; nothing is left behind.
 * @param {{ settings: Record<string, string>, label: string }} opts
 * @returns {Promise<{ url: string, port: number, dir: string, stop(): Promise<void> }>}
 */
export async function startPgServer({ settings, label }) {
  const bin = pgBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  let as = [];
  try {
    if (process.getuid?.() === 0) {
      const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      let owner;
      try {
        owner = { uid: id('-u'), gid: id('-g') };
      } catch {
        throw new Error("running as root, the tests start PostgreSQL as the `postgres` system user, and there is none (Debian's postgresql package makes it)");
      }
      chownSync(dir, owner.uid, owner.gid);
      as = ['runuser', '-u', 'postgres', '--'];
    }
    const tool = async (name, args) => {
      const argv = [...as, join(bin, name), ...args];
      try {
        await run(argv[0], argv.slice(1), { encoding: 'utf8' });
      } catch (err) {
        const server = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').trim().split('\n').slice(-20).join('\n')}` : '';
        throw new Error(`${name} failed: ${(err.stderr || err.stdout || err.message).trim()}${server}`, { cause: err });
      }
    };
    await tool('initdb', ['-D', data, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    const all = { ...settings, listen_addresses: "'127.0.0.1'", unix_socket_directories: `'${dir}'` };
    appendFileSync(
      join(data, 'postgresql.conf'),
      `\n# ${label}\n${Object.entries(all)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n`,
    );
    // A port free now may be taken before the server binds it: another one then, a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        await tool('pg_ctl', ['-D', data, '-l', log, '-o', `-p ${port}`, '-w', '-t', '30', '-s', 'start']);
      } catch (err) {
        if (attempt < 3 && existsSync(log) && /could not bind|Address already in use/.test(readFileSync(log, 'utf8'))) continue;
        // A server that started but never became ready (-t) must not outlive its directory.
        await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-s', 'stop']).catch(() => undefined);
        throw err;
      }
      const stop = async () => {
        try {
          await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-s', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      };
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop };
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
