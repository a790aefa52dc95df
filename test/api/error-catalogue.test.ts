import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import pino from 'pino';
import { ERROR_CODES, SwitchpostError, ValidationError, clientCaused, errorCodes, type ErrorCode } from '../../dist/core/errors.js';
import { WELCORP_STATUS, welcorpError } from '../../dist/api/welcorp/errors.js';
import { RETARUS_STATUS, retarusError } from '../../dist/api/retarus/errors.js';
import { UCONTACT_STATUS, ucontactError } from '../../dist/api/ucontact/errors.js';
import { ICTCORE_STATUS, ictcoreError } from '../../dist/api/ictcore/errors.js';
import { StorageError, PermissionDenied } from '../../dist/store/storage-error.js';
import { OfficeUnavailable } from '../../dist/media/office-unavailable.js';
import { MediaRefused } from '../../dist/media/refused.js';
import { UrlRefused } from '../../dist/net/safe-http.js';
import { UserCodeTaken } from '../../dist/store/users.js';
import { toNewJob as welcorpJob } from '../../dist/api/welcorp/submit.js';
import { toNewJob as retarusJob } from '../../dist/api/retarus/submit.js';
import { idParam, invalidAs, listFilter } from '../../dist/api/ictcore/fields.js';

// Issue 13 item 7: one catalogue of error codes in the core, each face mapping it to its own status and envelope.
type Handler = (err: Error, reply: FastifyReply, log: pino.Logger) => unknown;
interface Answer {
  status: number;
  text: string;
  retryAfter: string | null;
}
const FACES: { name: string; statuses: Record<ErrorCode, number>; handler: Handler; message: (a: Answer) => string }[] = [
  { name: 'welcorp', statuses: WELCORP_STATUS, handler: welcorpError, message: (a) => JSON.parse(a.text).errors },
  { name: 'retarus', statuses: RETARUS_STATUS, handler: retarusError, message: (a) => JSON.parse(a.text).message },
  { name: 'ucontact', statuses: UCONTACT_STATUS, handler: (err, reply, log) => ucontactError(err, reply.request, reply, log), message: () => '' },
  { name: 'ictcore', statuses: ICTCORE_STATUS, handler: ictcoreError, message: (a) => JSON.parse(a.text).error.message },
];

const SECRET = 'SELECT secret FROM users WHERE path=/var/lib/switchpost/db';
/** What each route throws. */
const THROWN: Record<string, () => Error> = {
  untyped: () => new Error(SECRET),
  type_error: () => new TypeError(`Cannot read properties of undefined (reading '${SECRET}')`),
  raw_disk: () => Object.assign(new Error(`ENOSPC: no space left on device, write '${SECRET}'`), { code: 'ENOSPC', syscall: 'write', path: '/var/lib/switchpost/media/x' }),
  raw_denied: () => Object.assign(new Error(`EACCES: permission denied, open '${SECRET}'`), { code: 'EACCES', syscall: 'open', path: '/var/lib/switchpost/db' }),
  storage: () => new StorageError('read_only', SECRET),
  denied: () => new PermissionDenied(SECRET),
  office: () => new OfficeUnavailable('no_namespace', SECRET),
  media: () => new MediaRefused('"a.wav": is not audio'),
  url: () => new UrlRefused('scheme', 'the URL must be http or https'),
  user_code: () => new UserCodeTaken('alice'),
};

let app: FastifyInstance;
let base: string;
const lines: { msg: string; code?: string }[] = [];
beforeAll(async () => {
  const log = pino({ level: 'error' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  app = Fastify();
  for (const face of FACES) {
    await app.register(
      async (f) => {
        f.setErrorHandler((err: Error, _req, reply) => face.handler(err, reply, log));
        f.get('/code/:code', async (req) => {
          const code = (req.params as { code: ErrorCode }).code;
          throw code === 'validation' ? new ValidationError('recipients', 'recipients: at least one is required') : new SwitchpostError(code, `the words for ${code}`, code === 'rate_limited' ? { retryAfterS: 7 } : {});
        });
        f.get('/throw/:what', async (req) => {
          throw THROWN[(req.params as { what: string }).what]!();
        });
      },
      { prefix: `/${face.name}` },
    );
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  await app?.close();
});

const get = async (path: string): Promise<Answer> => {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, text: `${await r.text()} ${decodeURIComponent(r.headers.get('x-error') ?? '')}`, retryAfter: r.headers.get('retry-after') };
};

describe('the error catalogue', () => {
  it('says for every code whose doing it is, and every face maps every code to an error status', () => {
    expect(errorCodes.length).toBeGreaterThan(10);
    for (const face of FACES) {
      expect(Object.keys(face.statuses).sort(), face.name).toEqual([...errorCodes].sort());
      for (const code of errorCodes) {
        const status = face.statuses[code];
        expect(status, `${face.name} ${code}`).toBeGreaterThanOrEqual(400);
        expect(status, `${face.name} ${code}`).toBeLessThan(600);
        // A client's code is never a server failure; a server's never blames the client.
        if (clientCaused(code)) expect(status, `${face.name} ${code}`).toBeLessThan(500);
        else expect(status, `${face.name} ${code}`).toBeGreaterThanOrEqual(500);
      }
    }
    expect(ERROR_CODES.validation).toBe('client');
    expect(ERROR_CODES.internal).toBe('server');
  });

  for (const face of FACES) {
    it(`${face.name}: answers every code with its status in its envelope, a client's code with its words`, async () => {
      for (const code of errorCodes) {
        const a = await get(`/${face.name}/code/${code}`);
        expect(a.status, code).toBe(face.statuses[code]);
        if (clientCaused(code)) expect(a.text, code).toContain(code === 'validation' ? 'recipients: at least one is required' : `the words for ${code}`);
        if (code === 'rate_limited') expect(a.retryAfter).toBe('7');
        if (code === 'permission_denied' || code === 'internal') expect(a.text, code).not.toContain('the words for');
        if (code.startsWith('storage_') || code === 'unavailable') expect(a.retryAfter, code).toBe('60');
      }
    });

    it(`${face.name}: an unknown thrown error is a 500 in its envelope, with nothing of it leaked`, async () => {
      for (const what of ['untyped', 'type_error', 'denied', 'raw_denied']) {
        const a = await get(`/${face.name}/throw/${what}`);
        expect(a.status, what).toBe(500);
        expect(a.text, what).not.toMatch(/SELECT|secret|\/var\/lib|Cannot read|EACCES/);
        expect(a.retryAfter, what).toBeNull();
        if (face.name !== 'ucontact') expect(face.message(a), what).toBeTruthy();
        else expect(a.text.startsWith('ERROR'), what).toBe(true);
      }
      const untyped = await get(`/${face.name}/throw/untyped`);
      expect(untyped.text).toBe((await get(`/${face.name}/code/internal`)).text);
    });

    it(`${face.name}: the server's refusals are 503 with Retry-After and no paths; the client's typed errors are theirs`, async () => {
      for (const what of ['raw_disk', 'storage', 'office']) {
        const a = await get(`/${face.name}/throw/${what}`);
        expect(a.status, what).toBe(503);
        expect(a.retryAfter, what).toBe('60');
        expect(a.text, what).not.toMatch(/SELECT|secret|\/var\/lib|ENOSPC/);
        expect(a.text, what).toMatch(/nothing was stored, try again later/);
      }
      expect((await get(`/${face.name}/throw/media`)).status).toBe(face.statuses.media_refused);
      expect((await get(`/${face.name}/throw/url`)).status).toBe(face.statuses.url_refused);
      expect((await get(`/${face.name}/throw/user_code`)).status).toBe(face.statuses.conflict);
      expect((await get(`/${face.name}/throw/media`)).text).toContain('is not audio');
    });
  }

  it('logs the server-caused errors with their cause, the client-caused not at error level', () => {
    expect(lines.some((l) => l.msg === 'request refused: storage is read-only')).toBe(true);
    expect(lines.some((l) => l.msg.startsWith('request failed: permission denied'))).toBe(true);
    expect(lines.some((l) => l.msg === 'request failed')).toBe(true);
    expect(lines.some((l) => l.msg.includes('is not audio'))).toBe(false);
  });
});

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
};

describe('the faces throw the catalogue', () => {
  it('ICTCore answers locked 423, every other face 409', () => {
    expect(ICTCORE_STATUS.locked).toBe(423);
    for (const face of FACES.filter((f) => f.name !== 'ictcore')) expect(face.statuses.locked, face.name).toBe(409);
  });

  it('a ValidationError from a face names its field, its message as the face gives it', () => {
    const user = { id: 1, timezone: 'UTC', country: 'AU' };
    const job = { job_type: 'sms', message: 'hi', recipients: [{ destination: '0400000000' }, { destination: 'not a number' }] };
    const v1 = thrown(() => welcorpJob(job, user, new Set(['sms']), 0));
    expect(v1).toBeInstanceOf(ValidationError);
    expect(v1).toMatchObject({ code: 'validation', field: 'recipients.1.destination', message: 'recipients.1.destination: not a phone number (digits, spaces, + ( ) . - / only)' });
    const retarus = thrown(() => retarusJob({ options: { qos: 'FAST' }, messages: [] }, user, 0));
    expect(retarus).toMatchObject({ code: 'validation', field: 'options.qos', message: 'options.qos: expected EXPRESS or NORMAL' });
    // An unknown list field is ignored (as ICTCore's search does); a known one with a bad value is refused.
    expect(listFilter({ colour: 'red' }, { phone: 'phone' })).toEqual({});
    const ictcore = thrown(() => listFilter({ phone: ['1', '2'] }, { phone: 'phone' }));
    expect(ictcore).toMatchObject({ code: 'validation', field: 'phone', message: 'Data validation failed, for phone: expected one value' });
    expect(invalidAs('delay: expected seconds from now (0 to a year)')).toMatchObject({ field: 'delay', message: 'Data validation failed, for delay: expected seconds from now (0 to a year)' });
    const missing = thrown(() => idParam('x1', 'contact'));
    expect(missing).toBeInstanceOf(SwitchpostError);
    expect(missing).toMatchObject({ code: 'not_found', message: 'contact x1 not found' });
  });

  // Issue 13 item 7: a route throws what went wrong, in the catalogue; the face decides the status.
  it("no module under src/api throws an ApiError with a status of its own choosing, but the few that are one face's wire rule", () => {
    const API = fileURLToPath(new URL('../../src/api', import.meta.url));
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    // Each says why beside it: HTTP input below every face (400) and a status its callers choose; ICTCore's 417; Retarus's 422.
    const ALLOWED: Record<string, number> = { 'input.ts': 2, 'ictcore/crud.ts': 1, 'retarus/submit.ts': 1 };
    const found: Record<string, number> = {};
    for (const f of files(API)) {
      const n = readFileSync(f, 'utf8').split('new ApiError(').length - 1;
      if (n > 0) found[relative(API, f).split('\\').join('/')] = n;
    }
    expect(found).toEqual(ALLOWED);
  });
});
