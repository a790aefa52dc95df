// Writes src/api/openapi/seed-examples.ts: the request examples and answers of the seed documents, cut out
// of the seeds' own text (never written by hand), for the faces' OpenAPI documents.
//
//   node scripts/seed-examples.mjs /path/to/seeds
//
// Each example is found by the text it begins with, then taken to its closing brace. The seeds are
// copies of web pages: where an example is not JSON as printed, the repairs it needs are named below
// (PHP's `=>`, trailing commas, a missing comma, line comments, values broken across lines), and
// nothing else is changed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [seeds] = process.argv.slice(2);
if (!seeds) throw new Error('usage: node scripts/seed-examples.mjs SEEDS_DIR');

const SEED = { welcorp: '000_774a0449b03c98e9.txt', ictcore: '001_4aee3f2f9b4f51a4.txt', ucontact: '002_9cb482233725b4a3.txt', retarus: '003_896cfb3582804f73.txt' };

/** The repairs, each undoing one way a page mangled its JSON. */
const REPAIRS = {
  /** A value the page broke across lines after a hyphen ("…/2018-09-\n24T13…"). */
  brokenLines: (t) => t.replace(/-\r?\n/g, '-'),
  trailingCommas: (t) => t.replace(/,(\s*[}\]])/g, '$1'),
  /** PHP's array syntax (`"k" => "v"`) and its single-quoted strings. */
  phpArrows: (t) => t.replace(/\s*=>\s*/g, ': ').replace(/'([^'\n]*)'/g, '"$1"'),
  /** `// comment` to the end of a line. */
  lineComments: (t) => t.replace(/\s*\/\/[^\n]*/g, ''),
  /** A member that closes a line with `}` and the next begins without the comma between. */
  missingCommas: (t) => t.replace(/}(\s*\n\s*")/g, '},$1'),
  /** Ids printed bare with commas (`"user_list_ids": 1234,5678`): the string they are. */
  bareIdList: (t) => t.replace(/:\s*(\d+(?:,\d+)+)\s*}/g, ': "$1" }'),
  /** A member that ends in a string and the next begins without the comma between (`"…/n" "send_date_time":`). */
  adjacentStrings: (t) => t.replace(/"(\s+)"(?=[A-Za-z_]+"\s*:)/g, '",$1"'),
  /** `{...}` standing for more of the same in a list. */
  placeholders: (t) => t.replace(/,\s*\{\.\.\.\}/g, ''),
  /** A string in single quotes (`"data": 'message sent'`). */
  singleQuotes: (t) => t.replace(/'([^'\n]*)'/g, '"$1"'),
};

/**
 * The text from `start` (its first occurrence after the text `after`, when given) to its balanced
 * closing brace or bracket (those inside strings ignored): an object or, for an answer, an array.
 */
function cut(text, start, seed, after) {
  const from = after === undefined ? 0 : text.indexOf(after);
  if (from < 0) throw new Error(`${seed}: no ${JSON.stringify(after)} to look after`);
  const at = text.indexOf(start, from);
  if (at < 0) throw new Error(`${seed}: no example begins with ${JSON.stringify(start)}`);
  let depth = 0;
  let inString = false;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return text.slice(at, i + 1);
  }
  throw new Error(`${seed}: the example at ${JSON.stringify(start)} does not close`);
}

/** The word that follows `marker` (its first occurrence after `after`, when given): a text answer as a seed prints it. */
function wordAfter(text, marker, seed, after) {
  const from = after === undefined ? 0 : text.indexOf(after);
  const at = from < 0 ? -1 : text.indexOf(marker, from);
  if (at < 0) throw new Error(`${seed}: no ${JSON.stringify(marker)}${after ? ` after ${JSON.stringify(after)}` : ''}`);
  const m = /^\S+/.exec(text.slice(at + marker.length));
  if (!m) throw new Error(`${seed}: no word after ${JSON.stringify(marker)}`);
  return m[0];
}

/**
 * An API Blueprint request's attributes (ICTCore's seed: "• username: admin (string) - …"), from the
 * first Attributes list after `start`, as the object they describe.
 */
function attributes(text, start, seed) {
  const at = text.indexOf(start);
  if (at < 0) throw new Error(`${seed}: no request at ${JSON.stringify(start)}`);
  const lines = text.slice(text.indexOf('Attributes', at)).split('\n').slice(1);
  const out = {};
  for (const line of lines) {
    if (line.trim() === '') continue;
    const m = /^\s*\u2022\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*\((string|number|boolean)\)/.exec(line);
    if (!m) break;
    out[m[1]] = m[3] === 'number' ? Number(m[2]) : m[3] === 'boolean' ? m[2] === 'true' : m[2];
  }
  if (Object.keys(out).length === 0) throw new Error(`${seed}: no attributes after ${JSON.stringify(start)}`);
  return out;
}

/** face → route ("METHOD /path" as the face registers it) → example name → where it begins and its repairs. */
const EXAMPLES = {
  retarus: {
    'POST /jobs': { jobRequest: { start: '{\n"options":{', repairs: ['brokenLines'] } },
  },
  welcorp: {
    'POST /jobs': {
      overview: { start: '{ "job_type": "sms", "job_name": "My SMS Test", "message"', repairs: ['trailingCommas'] },
      smsToLists: { start: '{ "job_type": "sms", "job_name": "My SMS Test to a list"', repairs: ['bareIdList'] },
      sms: { start: '{ "job_type": "sms", "job_name": "My SMS test"', repairs: [] },
    },
    'POST /users': {
      newCompany: { start: '{ "user_code": "au/mytestuser", "password"', repairs: [] },
      existingCompany: { start: '{ "user_code": "au/mytestuser", "company_id"', repairs: ['trailingCommas'] },
    },
    'PUT /users/:id': { changes: { start: '{ "email": "mynewemail@test.com"', repairs: ['trailingCommas'] } },
    'POST /client_verification/sendCode': { sendCode: { start: '{ "client_ref" => "user-123", "message_type"', repairs: ['phpArrows'] } },
    'POST /client_verification/validateCode': { validateCode: { start: '{ "client_ref" => "user-123", "entered_code"', repairs: ['phpArrows', 'trailingCommas'] } },
  },
  ucontact: {
    'POST /Forms/sendEmail': { sendEmail: { start: '{\n"campaign": "Email"', repairs: ['missingCommas'] } },
    // The seed's "Json Object" is the value of the form's one field, `sms`.
    'POST /SMS/ScheduleDialerSMS': { scheduleDialerSMS: { start: '{\n"calldate"', repairs: ['lineComments'], formField: 'sms' } },
  },
  ictcore: {
    'POST /authenticate': { credentials: { attributes: 'Authenticate parameter [POST]' } },
  },
};

/**
 * The seeds' answers: face → route → status → example name → where it begins and its repairs. Each
 * is the answer the seed prints for that route (an error answer under the status it carries).
 */
const ANSWERS = {
  // uContact's text answers are the word after "Result: TEXT" (or TEXTO) and the one on the next line.
  ucontact: {
    'POST /SMS/SendSMS': { 200: { ok: { after: 'SMS/SendSMS\nMethod', word: 'Result: TEXT ' } }, 400: { error: { after: 'SMS/SendSMS\nMethod', word: 'Result: TEXT OK\n' } } },
    'GET /InboundSMS/ReceiveURLSMS': { 200: { ok: { word: 'Result: TEXTO ' } }, 400: { error: { word: 'Result: TEXTO OK\n' } } },
    'POST /InboundSMS/ReceiveURLSMS': { 200: { ok: { word: 'Result: TEXTO ' } }, 400: { error: { word: 'Result: TEXTO OK\n' } } },
    'POST /Forms/sendEmail': { 200: { guid: { start: '{\n"guid"', repairs: [] } } },
  },
  retarus: {
    // The seed prints the same body under 200 and 201; this face answers 201 (Job successfully created).
    'POST /jobs': { 201: { created: { after: 'Response 201', start: '{\n"jobId"', repairs: [] } } },
    'GET /jobs': { 200: { jobIds: { start: '[\n{\n"jobId":"J.20180924-131731.737', repairs: [] } } },
    'GET /jobs/:jobId': { 200: { jobReport: { start: '{\n"jobId":"J.20180924-121731.737', repairs: [] } } },
    'GET /sms': { 200: { recipients: { start: '[\n{\n"smsId"', repairs: [] } } },
    'GET /version': { 200: { version: { start: '{\n"buildNumber"', repairs: [] } } },
  },
  welcorp: {
    'POST /jobs': {
      200: { created: { start: '{ "status": 200, "data": 119724 }', repairs: [] } },
      401: { invalidCredentials: { start: '{ "status": 401, "errors": "Invalid credentials." }', repairs: [] } },
    },
    'GET /jobs': { 200: { page: { start: '{ "current_page": 1, "data": [ { "job_id"', repairs: [] } } },
    'GET /jobs/:id': { 200: { job: { start: '{ "data": { "job_id": 60276558', repairs: ['adjacentStrings'] } } },
    'GET /users': { 200: { page: { start: '{ "current_page": 1, "data": [ { "user_id"', repairs: ['placeholders', 'trailingCommas'] } } },
    'GET /users/:id': { 200: { user: { start: '{ "status": 200, "data": { "user_id": 123', repairs: [] } } },
    'POST /users': {
      200: { saved: { start: '{ "status": 200, "data": 123 }', repairs: [] } },
      422: { taken: { start: '{ "status": 422, "errors": "Validation failed: The user_code has already been taken." }', repairs: [] } },
    },
    'PUT /users/:id': { 200: { saved: { start: '{ "status": 200, "data": 123 }', repairs: [] } } },
    'POST /client_verification/sendCode': { 200: { sent: { start: `{ "status": 200, "data": 'message sent' }`, repairs: ['singleQuotes'] } } },
    'POST /client_verification/validateCode': { 200: { invalid: { start: `{ "status": 200, "data": 'invalid' }`, repairs: ['singleQuotes'] } } },
  },
};

const out = {};
for (const [face, routes] of Object.entries(EXAMPLES)) {
  const text = readFileSync(join(seeds, SEED[face]), 'utf8');
  out[face] = {};
  for (const [route, examples] of Object.entries(routes)) {
    out[face][route] = {};
    for (const [name, { start, repairs, attributes: request, formField }] of Object.entries(examples)) {
      if (request) {
        out[face][route][name] = attributes(text, request, SEED[face]);
        continue;
      }
      const json = repairs.reduce((t, r) => REPAIRS[r](t), cut(text, start, SEED[face]));
      try {
        const value = JSON.parse(json);
        out[face][route][name] = formField ? { [formField]: JSON.stringify(value) } : value;
      } catch (err) {
        throw new Error(`${SEED[face]} ${route} ${name}: ${err.message}\n${json}`, { cause: err });
      }
    }
  }
}

const answers = {};
for (const [face, routes] of Object.entries(ANSWERS)) {
  const text = readFileSync(join(seeds, SEED[face]), 'utf8');
  answers[face] = {};
  for (const [route, statuses] of Object.entries(routes)) {
    answers[face][route] = {};
    for (const [status, examples] of Object.entries(statuses)) {
      answers[face][route][status] = {};
      for (const [name, { start, repairs, after, word }] of Object.entries(examples)) {
        if (word) {
          answers[face][route][status][name] = wordAfter(text, word, SEED[face], after);
          continue;
        }
        const json = repairs.reduce((t, r) => REPAIRS[r](t), cut(text, start, SEED[face], after));
        try {
          answers[face][route][status][name] = JSON.parse(json);
        } catch (err) {
          throw new Error(`${SEED[face]} ${route} ${status} ${name}: ${err.message}\n${json}`, { cause: err });
        }
      }
    }
  }
}

const file = `// Generated by scripts/seed-examples.mjs from the seed documents: do not edit; run the script again.
/** The seeds' request examples: face → route (as the face registers it) → example name → body. */
export const SEED_EXAMPLES: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> = ${JSON.stringify(out, null, 2)};

/** The seeds' answers: face → route → status → example name → body. */
export const SEED_ANSWERS: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>>> = ${JSON.stringify(answers, null, 2)};
`;
writeFileSync(new URL('../src/api/openapi/seed-examples.ts', import.meta.url), file);
console.log('wrote src/api/openapi/seed-examples.ts');
