// A FreeSWITCH stand-in for tests and benchmarks: the inbound Event Socket protocol on a real TCP
// socket (auth/request, command/reply, api/response, bgapi + BACKGROUND_JOB, text/event-json with
// byte-counted Content-Length, text/disconnect-notice) and channels that emit FreeSWITCH's own event
// and variable names (CHANNEL_CREATE, CHANNEL_PROGRESS, CHANNEL_ANSWER, CHANNEL_EXECUTE(_COMPLETE),
// DTMF, CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE with Hangup-Cause, variable_billsec…), mod_spandsp's
// txfax (fax_* variables, spandsp::txfaxnegociateresult / txfaxresult, T.38 per the channel and the
// far end), api_hangup_hook with mod_hash, mod_loopback's handling of the far leg's end, and
// `fsctl shutdown`. What each call does is scripted by its destination number.
//
// Names, replies and behaviour checked in signalwire/freeswitch master (cc93a68, 2026-08; mod_loopback.c,
// switch_core_state_machine.c and mod_hash.c are unchanged since v1.10.12):
//  - src/mod/event_handlers/mod_event_socket/mod_event_socket.c: the replies (+OK accepted, -ERR invalid,
//    the disconnect notice texts, +OK event listener enabled, -ERR command not found, +OK bye, +OK Job-UUID,
//    -ERR invalid session id, -ERR memory error, -ERR no reply, "-ERR <cmd> Command not found!"),
//    text/event-<format> with Content-Length;
//  - src/mod/applications/mod_commands/mod_commands.c: uuid_exists, uuid_setvar (value as given),
//    uuid_getvar (_undef_), uuid_kill (NORMAL_CLEARING unless a cause is named; -ERR No such channel!),
//    hupall (+OK hangup all channels with cause …), fsctl hupall / shutdown / its -ERR Invalid command,
//    status, show … as json (row_count, rows);
//  - src/mod/applications/mod_hash/mod_hash.c: hash insert|select|delete, `<realm>_<key>`, its answers;
//  - src/mod/applications/mod_dptools/mod_dptools.c: playback's FILE PLAYED / PLAYBACK ERROR, respond
//    (SWITCH_MESSAGE_INDICATE_RESPOND);
//  - src/mod/endpoints/mod_loopback/mod_loopback.c: channel_receive_message ignores RESPOND (passed on only
//    for loopback/app=…), channel_on_hangup hands the far leg's cause to ours;
//  - src/switch_core_state_machine.c: the dialplan running out hangs up NORMAL_CLEARING; api_hangup_hook
//    runs in the hangup state after switch_channel_set_timestamps;
//  - src/switch_channel.c: Unique-ID, Channel-Name, Call-Direction, Channel-Call-UUID, Answer-State,
//    Hangup-Cause, billsec / billmsec / answer_epoch / end_epoch / duration; src/switch_caller.c:
//    Caller-Destination-Number; src/switch_event.c: event names, Core-UUID, Event-Sequence,
//    Event-Date-Timestamp, FreeSWITCH-Hostname; src/switch_ivr_originate.c: originate_disposition;
//    src/switch_ivr.c: sendmsg's hangup-cause; src/switch_core.c: SYSTEM_SHUTDOWN, SCSC_HUPALL;
//  - src/mod/applications/mod_spandsp/mod_spandsp.h, mod_spandsp_fax.c: the spandsp::* subclasses, the
//    fax_* variables and fax-* headers, fax_enable_t38(_request), fax_start_page, the T.38 statuses;
//  - src/mod/applications/mod_avmd/mod_avmd.c: avmd::beep, Beep-Status DETECTED;
//  - src/mod/endpoints/mod_sofia/mod_sofia.c: sofia status gateway / profile rescan / killgw answers.
// And in freeswitch/spandsp master (0c7bceb): T30_TEXT's codes and texts, src/spandsp/t30.h (T30_ERR_* order)
// and src/t30_logging.c (t30_completion_code_to_str).
// Inbound calls (inboundCall): FreeSWITCH's side of the outbound Event Socket, checked in the same tree:
//  - mod_event_socket.c socket_function / parse_command: the dialplan's `socket <ip>:<port> async full`
//    connects; `connect` is answered with the channel's CHANNEL_DATA event serialized as plain headers
//    (switch_event_serialize, values url-encoded by switch_url_encode: not ASCII-printable and
//    "\r\n #%&+:;<=>?@[\\]^`{|}\"" as %XX, a "%XX" already there left as it is) followed by Content-Type:
//    command/reply, Reply-Text: +OK\n (encoded), Socket-Mode: async, Control: full; `myevents` → "+OK Events
//    Enabled" (the channel's own events, by Unique-ID), `event json …` → "+OK event listener enabled json",
//    `linger N` → "+OK will linger N seconds", `sendmsg` without a uuid → the controlled channel ("+OK");
//    once the channel is down with linger, "text/disconnect-notice" with Content-Disposition: linger; when
//    the socket closes, the `socket` application returns and the dialplan's next action runs;
//  - switch_event.c switch_event_prep_for_delivery_detailed: Event-Name, Core-UUID, FreeSWITCH-Hostname,
//    -Switchname, -IPv4, -IPv6, Event-Date-Local, -GMT, -Timestamp, Event-Calling-File/-Function/-Line-Number,
//    Event-Sequence; switch_channel.c switch_channel_event_set_basic_data / _extended_data (every variable
//    as variable_<name> on CHANNEL_DATA, CHANNEL_EXECUTE(_COMPLETE), HANGUP(_COMPLETE), CUSTOM…);
//    switch_caller.c switch_caller_profile_event_set_data: the "Caller-" (and for CHANNEL_DATA "Channel-")
//    profile headers, Caller-Caller-ID-Number, Caller-Destination-Number…;
//  - mod_sofia/sofia.c sofia_handle_sip_i_invite: destination_number is the request URI's user (the To
//    header's when it has none); url_set_chanvars(…, sip_to) sets sip_to_user, sip_from_user, sip_req_user;
//  - mod_spandsp_fax.c: rxfax (spanfax_rx): phase B sets fax_transfer_rate, fax_ecm_used, fax_t38_status,
//    fax_local_station_id, fax_remote_station_id… and fires spandsp::rxfaxnegociateresult; phase E sets
//    fax_success, fax_result_code, fax_result_text, fax_ecm_used, fax_t38_status, fax_local_station_id,
//    fax_remote_station_id, fax_document_transferred_pages (pages_rx), fax_document_total_pages
//    (pages_in_file: on receive the receiver's own count), fax_image_resolution, fax_image_size,
//    fax_bad_rows, fax_transfer_rate and fires spandsp::rxfaxresult (fax-success, fax-result-code…); a
//    hangup under rxfax ends its loop and spanfax_destroy's t30_terminate makes phase E run then (49).
// The fax itself is received by spandsp: test/peers/fax/faxcheck.c sends the caller's TIFF and receives it
// into rxfax's file; its receiver's phase E statistics become the fax_* variables.
// Plain ESM JavaScript so a benchmark can run it in its own process.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';

/** spandsp's t30_completion_code_to_str() (t30_logging.c) for the result codes the tests use (t30.h's T30_ERR_* order). */
const T30_TEXT = {
  0: 'OK',
  2: 'Timed out waiting for initial communication',
  3: 'Timed out waiting for the first message',
  6: 'Failed to train with any of the compatible modems',
  20: 'Received no response to DCS or TCF',
  49: 'The call dropped prematurely',
};

/** mod_commands' CTL_SYNTAX, which `fsctl` quotes when it does not know the command. */
const CTL_SYNTAX =
  '[api_expansion [on|off]|recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|shutdown [cancel|elegant|asap|now|restart]|uuid_version [4|7]|sps|sps_peak_reset|sync_clock|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]';

/** What `myevents` subscribes an outbound socket to (mod_event_socket.c parse_command). */
const MYEVENTS = new Set([
  'CHANNEL_ANSWER',
  'CHANNEL_APPLICATION',
  'CHANNEL_BRIDGE',
  'CHANNEL_CREATE',
  'CHANNEL_DATA',
  'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_UNPARK',
  'DETECTED_SPEECH',
  'DTMF',
  'NOTALK',
  'TALK',
]);

const DISCONNECT = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** switch_url_encode_opt (not double-encoding) over a value's bytes: what plain-serialized headers carry. */
export function fsUrlEncode(value) {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
  const hex = '0123456789ABCDEF';
  const unsafe = '\r\n #%&+:;<=>?@[\\]^`{|}"';
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const c = String.fromCharCode(b);
    const already = b === 0x25 && i + 2 < bytes.length && hex.includes(String.fromCharCode(bytes[i + 1])) && hex.includes(String.fromCharCode(bytes[i + 2]));
    if (!already && (b < 0x20 || b > 0x7e || unsafe.includes(c))) out += `%${hex[b >> 4]}${hex[b & 15]}`;
    else out += c;
  }
  return out;
}

/** switch_event_serialize(…, SWITCH_TRUE): "Name: value\n" per header, values encoded, then the empty line. */
export function serializePlain(headers) {
  return `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${fsUrlEncode(v) || '_undef_'}`)
    .join('\n')}\n\n`;
}

/** Split an originate argument: `{a=b,c='d e'}sofia/gateway/gw/123 &park()` → vars, endpoint, application. */
export function parseOriginate(arg) {
  let rest = arg.trim();
  const vars = {};
  if (rest.startsWith('{')) {
    let i = 1;
    let key = '';
    let val = '';
    let inKey = true;
    let quoted = false;
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (quoted) {
        if (c === "'") quoted = false;
        else val += c;
        continue;
      }
      if (c === '\\' && i + 1 < rest.length) {
        inKey ? (key += rest[++i]) : (val += rest[++i]);
        continue;
      }
      if (c === "'" && !inKey) {
        quoted = true;
        continue;
      }
      if (c === '=' && inKey) {
        inKey = false;
        continue;
      }
      if (c === ',' || c === '}') {
        if (key) vars[key] = val;
        key = '';
        val = '';
        inKey = true;
        if (c === '}') break;
        continue;
      }
      inKey ? (key += c) : (val += c);
    }
    rest = rest.slice(i + 1);
  }
  const space = rest.indexOf(' ');
  const endpoint = space < 0 ? rest : rest.slice(0, space);
  const app = space < 0 ? '' : rest.slice(space + 1).trim();
  return { vars, endpoint, app };
}

/**
 * Options:
 *  - password (default ClueCon)
 *  - script(call) → behaviour for an originate: { answer: true, progressMs, answerMs, hangupAfterMs, playMs,
 *    keys, machine, refuse: '<app>' (sendmsg answered "-ERR memory error"), t38: 'negotiate' | 'refuse' |
 *    'silent' (the far end's answer to a T.38 re-INVITE; loopback/ is silent), fax: { success, pages,
 *    total, code } (code: spandsp's T.30 result) } or
 *    { cause: 'USER_BUSY' | 'NO_ANSWER' | 'CALL_REJECTED' | 'UNALLOCATED_NUMBER' …, afterMs } (over
 *    loopback/ the far dialplan's `hangup <CAUSE>`, passed through) or, over loopback/ only,
 *    { respond: 486, afterMs } (the far dialplan's `respond 486`, which loopback ignores: NORMAL_CLEARING).
 *  - apiAnswer(command, args) → a body to answer an api with instead (e.g. "-ERR no reply\n").
 *    Default by the number's last three digits: 002 busy, 003 no answer, 004 rejected, 005 unallocated,
 *    006 answering machine, else answered.
 */
export class EslPeer {
  constructor(opts = {}) {
    this.opts = opts;
    this.password = opts.password ?? 'ClueCon';
    this.coreUuid = randomUUID();
    this.clients = new Set();
    this.commands = [];
    this.originates = [];
    this.channels = new Map();
    this.executed = [];
    /** Calls hung up: uuid, cause, billsec as FreeSWITCH computed it. */
    this.ended = [];
    /** sendmsg commands answered -ERR. */
    this.refused = [];
    this.authFailures = 0;
    /** When each client subscribed to events (`event json …`, the last step of an ESL login), in ms. */
    this.subscribedAt = [];
    /** @type {Map<string, string>} mod_hash's entries as `hash select` finds them: `<realm>_<key>` → value. */
    this.hashes = new Map();
    /** @type {string[]} The arguments of every `api sofia …`, in order. */
    this.sofia = [];
    /** @type {Set<string>} The sofia gateways loaded. */
    this.gateways = new Set();
    this.server = net.createServer((s) => this.onClient(s));
    this.seq = 1;
  }

  async listen(port = 0) {
    await new Promise((r) => this.server.listen(port, '127.0.0.1', r));
    this.port = this.server.address().port;
    return this.port;
  }

  onClient(socket) {
    const client = { socket, buffer: Buffer.alloc(0), authed: false, events: new Set(), all: false };
    this.clients.add(client);
    socket.setNoDelay(true);
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => {});
    socket.on('data', (d) => this.onData(client, d));
    socket.write('Content-Type: auth/request\n\n');
  }

  onData(client, data) {
    client.buffer = Buffer.concat([client.buffer, data]);
    for (;;) {
      const end = client.buffer.indexOf('\n\n');
      if (end < 0) return;
      const text = client.buffer.subarray(0, end).toString('utf8');
      client.buffer = client.buffer.subarray(end + 2);
      const [first, ...lines] = text.split('\n');
      const headers = {};
      for (const l of lines) {
        const i = l.indexOf(': ');
        if (i > 0) headers[l.slice(0, i)] = l.slice(i + 2);
      }
      this.onCommand(client, first.trim(), headers);
    }
  }

  reply(client, text, extra = {}) {
    const head = Object.entries({ 'Content-Type': 'command/reply', 'Reply-Text': text, ...extra })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    client.socket.write(`${head}\n\n`);
  }

  apiResponse(client, body) {
    client.socket.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
  }

  onCommand(client, line, headers) {
    this.commands.push({ line, headers });
    if (!client.authed) {
      if (line === `auth ${this.password}`) {
        client.authed = true;
        return this.reply(client, '+OK accepted');
      }
      this.authFailures++;
      this.reply(client, '-ERR invalid');
      client.socket.write(`Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT)}\n\n${DISCONNECT}`);
      return client.socket.end();
    }
    const [cmd, ...rest] = line.split(' ');
    const args = rest.join(' ');
    switch (cmd) {
      case 'event': {
        const [format, ...names] = rest;
        if (format !== 'json') return this.reply(client, '-ERR this peer speaks json events only');
        for (const n of names) n === 'ALL' || n === 'all' ? (client.all = true) : client.events.add(n);
        this.subscribedAt.push(Date.now());
        return this.reply(client, `+OK event listener enabled ${format}`);
      }
      case 'api': {
        if (this.opts.silent) return; // a FreeSWITCH that stopped answering
        // opts.apiAnswer(command, args) → a body to answer instead (e.g. mod_event_socket's "-ERR no reply").
        const instead = this.opts.apiAnswer?.(rest[0], rest.slice(1).join(' '));
        return this.apiResponse(client, instead ?? this.api(rest[0], rest.slice(1).join(' ')));
      }
      case 'bgapi': {
        const jobUuid = headers['Job-UUID'] ?? randomUUID();
        this.reply(client, `+OK Job-UUID: ${jobUuid}`, { 'Job-UUID': jobUuid });
        return this.bgapi(rest[0], rest.slice(1).join(' '), jobUuid);
      }
      case 'sendmsg':
        return this.sendmsg(client, args, headers);
      case 'exit':
        this.reply(client, '+OK bye');
        return client.socket.end();
      default:
        return this.reply(client, '-ERR command not found');
    }
  }

  api(command, args) {
    switch (command) {
      case 'uuid_exists':
        return this.channels.has(args.trim()) ? 'true' : 'false';
      case 'uuid_setvar': {
        // mod_commands: "<uuid> <var> [<value>]", the value as given (not expanded).
        const [uuid, name, ...value] = args.trim().split(' ');
        const ch = this.channels.get(uuid);
        if (!ch) return '-ERR No such channel!\n';
        ch.vars[name] = value.join(' ');
        return '+OK\n';
      }
      case 'uuid_getvar': {
        const [uuid, name] = args.trim().split(/\s+/);
        const ch = this.channels.get(uuid);
        if (!ch) return '-ERR No such channel!\n';
        return ch.vars[name] ?? '_undef_';
      }
      case 'hash': {
        // mod_hash's api: insert|select|delete/<realm>/<key>[/<value>], kept in memory by FreeSWITCH.
        const [op, realm, key, ...rest] = args.trim().split('/');
        const k = `${realm}_${key}`;
        if (op === 'insert' && rest.length) return (this.hashes.set(k, rest.join('/')), '+OK\n');
        if (op === 'select') return this.hashes.get(k) ?? '';
        if (op === 'delete') return this.hashes.delete(k) ? '+OK\n' : '-ERR Not found\n';
        return '-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n';
      }
      case 'uuid_kill': {
        const [uuid, cause] = args.trim().split(/\s+/);
        const ch = this.channels.get(uuid);
        if (!ch) return '-ERR No such channel!\n';
        this.hangup(ch, cause || 'NORMAL_CLEARING');
        return '+OK\n';
      }
      case 'sofia': {
        // sofia status gateway <name> | sofia profile <p> rescan | sofia profile <p> killgw <name>
        this.sofia.push(args);
        const [what, a, b, c] = args.trim().split(/\s+/);
        if (what === 'status' && a === 'gateway') return this.gateways.has(b) ? `Name    \t${b}\nState   \tREGED\n` : 'Invalid Gateway!\n';
        if (what === 'profile' && b === 'rescan') {
          for (const g of this.opts.gatewaysOnRescan?.() ?? []) this.gateways.add(g);
          return 'Reload XML [Success]\n+OK scan complete\n';
        }
        if (what === 'profile' && b === 'killgw') return this.gateways.delete(c) ? '+OK gateway marked for deletion.\n' : '-ERR no such gateway.\n';
        return '-ERR Usage\n';
      }
      case 'fsctl': {
        // mod_commands answers "+OK" and the core then shuts down (switch_core_destroy).
        const [what] = args.trim().split(/\s+/);
        if (what === 'shutdown') {
          setImmediate(() => void this.shutdown());
          return '+OK\n';
        }
        // SCSC_HUPALL hangs every call up with MANAGER_REQUEST; fsctl takes no cause.
        if (what === 'hupall') {
          this.hangupAll('MANAGER_REQUEST');
          return '+OK\n';
        }
        return `-ERR Invalid command\nUSAGE: fsctl ${CTL_SYNTAX}\n`;
      }
      case 'hupall': {
        // mod_commands' hupall_api_function: the cause named, MANAGER_REQUEST when none (the peer takes any name).
        const cause = args.trim().split(/\s+/)[0] || 'MANAGER_REQUEST';
        this.hangupAll(cause);
        return `+OK hangup all channels with cause ${cause}\n`;
      }
      case 'echo':
        return args;
      case 'status':
        return `UP 0 years, 0 days, 0 hours, 0 minutes, 1 second, 0 milliseconds, 0 microseconds\nFreeSWITCH (Version 1.10.12-release 64bit) is ready\n${this.originated ?? 0} session(s) since startup\n${this.channels.size} session(s) - peak ${this.channels.size}, last 5min ${this.channels.size} \n`;
      case 'show':
        return JSON.stringify({ row_count: this.channels.size, rows: [...this.channels.keys()].map((uuid) => ({ uuid })) });
      default:
        return `-ERR ${command} Command not found!\n`;
    }
  }

  emit(name, fields, body) {
    const event = {
      'Event-Name': name,
      'Core-UUID': this.coreUuid,
      'FreeSWITCH-Hostname': 'peer',
      'Event-Date-Timestamp': String(Date.now() * 1000),
      'Event-Sequence': String(this.seq++),
      ...fields,
      ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)), _body: body } : {}),
    };
    const json = JSON.stringify(event);
    for (const c of this.clients) {
      if (!c.authed || !(c.all || c.events.has(name))) continue;
      c.socket.write(`Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`);
    }
  }

  channelFields(ch) {
    return {
      'Unique-ID': ch.uuid,
      'Channel-Call-UUID': ch.uuid,
      'Channel-Name': ch.endpoint,
      'Call-Direction': 'outbound',
      'Caller-Destination-Number': ch.number,
      'Caller-Caller-ID-Number': ch.vars.origination_caller_id_number ?? '0000000000',
      'Answer-State': ch.answeredAt ? 'answered' : 'ringing',
      variable_origination_uuid: ch.uuid,
      ...Object.fromEntries(Object.entries(ch.vars).map(([k, v]) => [`variable_${k}`, v])),
    };
  }

  bgapi(command, args, jobUuid) {
    if (command !== 'originate') {
      return this.emit('BACKGROUND_JOB', { 'Job-UUID': jobUuid, 'Job-Command': command, 'Job-Command-Arg': args }, this.api(command, args));
    }
    const { vars, endpoint, app } = parseOriginate(args);
    // sofia/gateway/<gw>/<number>, loopback/<number>/<context>
    const path = endpoint.split('/');
    const number = path[0] === 'loopback' ? path[1] : path.pop();
    const uuid = vars.origination_uuid || randomUUID();
    const call = { uuid, vars, endpoint, app, number, jobUuid, createdAt: Date.now() };
    this.originates.push(call);
    this.originated = (this.originated ?? 0) + 1;
    const plan = this.opts.script?.(call) ?? this.defaultPlan(number);
    const ch = { ...call, plan, answeredAt: null, timers: [] };
    this.channels.set(uuid, ch);
    this.emit('CHANNEL_CREATE', this.channelFields(ch));
    ch.finishJob = (body) => {
      if (ch.jobDone) return;
      ch.jobDone = true;
      this.emit('BACKGROUND_JOB', { 'Job-UUID': jobUuid, 'Job-Command': 'originate', 'Job-Command-Arg': args }, body);
    };
    // A call that never came up ends its originate with "-ERR <cause>" (after its hangup events).
    if (plan.respond !== undefined) {
      // The far dialplan's `respond <code>` (mod_dptools sends SWITCH_MESSAGE_INDICATE_RESPOND). mod_loopback's
      // channel_receive_message has no case for it and passes it on only for loopback/app=… (TFLAG_RUNNING_APP),
      // so it does nothing; the dialplan runs out (switch_core_standard_on_execute: NORMAL_CLEARING) and
      // channel_on_hangup hangs our leg up with that cause.
      if (!endpoint.startsWith('loopback/')) throw new Error('the peer models respond over loopback/ only; give a SIP far end its cause');
      ch.timers.push(setTimeout(() => this.hangup(ch, 'NORMAL_CLEARING'), plan.afterMs ?? 5));
      return;
    }
    if (plan.cause) {
      // Over SIP the far end's answer as sofia maps it; over loopback/ the far dialplan's `hangup <CAUSE>`,
      // which mod_loopback's channel_on_hangup passes on to our leg as it is.
      ch.timers.push(setTimeout(() => this.hangup(ch, plan.cause), plan.afterMs ?? 5));
      return;
    }
    // 180 Ringing: switch_channel_mark_ring_ready() fires CHANNEL_PROGRESS.
    ch.timers.push(setTimeout(() => this.channels.has(uuid) && this.emit('CHANNEL_PROGRESS', this.channelFields(ch)), plan.progressMs ?? 1));
    ch.timers.push(
      setTimeout(() => {
        if (!this.channels.has(uuid)) return;
        ch.answeredAt = Date.now();
        this.emit('CHANNEL_ANSWER', this.channelFields(ch));
        ch.finishJob(`+OK ${uuid}\n`);
        if (plan.machine) this.emit('CUSTOM', { ...this.channelFields(ch), 'Event-Subclass': 'avmd::beep', 'Beep-Status': 'DETECTED' });
        if (plan.hangupAfterMs !== undefined) ch.timers.push(setTimeout(() => this.hangup(ch, 'NORMAL_CLEARING'), plan.hangupAfterMs));
      }, plan.answerMs ?? 5),
    );
  }

  defaultPlan(number) {
    switch (String(number).slice(-3)) {
      case '002':
        return { cause: 'USER_BUSY' };
      case '003':
        return { cause: 'NO_ANSWER', afterMs: 20 };
      case '004':
        return { cause: 'CALL_REJECTED' };
      case '005':
        return { cause: 'UNALLOCATED_NUMBER' };
      case '006':
        return { answer: true, machine: true };
      default:
        return { answer: true };
    }
  }

  sendmsg(client, args, headers) {
    const uuid = args.trim();
    const ch = this.channels.get(uuid);
    // mod_event_socket's answers: no such channel, or its event queue refused the message.
    if (!ch) {
      this.refused.push({ uuid, headers });
      return this.reply(client, '-ERR invalid session id [' + uuid + ']');
    }
    if (ch.plan.refuse && ch.plan.refuse === headers['execute-app-name']) {
      this.refused.push({ uuid, headers });
      return this.reply(client, '-ERR memory error');
    }
    this.reply(client, '+OK');
    if (headers['call-command'] === 'hangup') return this.hangup(ch, headers['hangup-cause'] || 'NORMAL_CLEARING');
    if (headers['call-command'] !== 'execute') return;
    const app = headers['execute-app-name'];
    const data = headers['execute-app-arg'] ?? '';
    const appUuid = headers['Event-UUID'] ?? randomUUID();
    this.executed.push({ uuid, app, data });
    this.emit('CHANNEL_EXECUTE', { ...this.channelFields(ch), Application: app, 'Application-Data': data, 'Application-UUID': appUuid });
    const done = (response, extra = {}) => {
      if (!this.channels.has(uuid) || ch.running?.appUuid !== appUuid) return;
      ch.running = null;
      this.emit('CHANNEL_EXECUTE_COMPLETE', { ...this.channelFields(ch), ...extra, Application: app, 'Application-Data': data, 'Application-Response': response, 'Application-UUID': appUuid });
    };
    // What the application reports when the channel hangs up under it (see hangup()).
    ch.running = { appUuid, done: (fields) => this.emit('CHANNEL_EXECUTE_COMPLETE', { ...fields, Application: app, 'Application-Data': data, 'Application-Response': app === 'playback' ? 'PLAYBACK ERROR' : '', 'Application-UUID': appUuid }) };
    if (app === 'hangup') return this.hangup(ch, data || 'NORMAL_CLEARING');
    if (app === 'txfax') return this.txfax(ch, done, data);
    if (app === 'play_and_get_digits') {
      const parts = data.split(' ');
      const varName = parts[7] || 'digits';
      const key = ch.plan.keys ?? '';
      ch.timers.push(
        setTimeout(() => {
          if (key) this.emit('DTMF', { ...this.channelFields(ch), 'DTMF-Digit': key, 'DTMF-Duration': '2000', 'DTMF-Source': 'RTP' });
          ch.vars[varName] = key;
          done('FILE PLAYED', { [`variable_${varName}`]: key });
        }, ch.plan.playMs ?? 5),
      );
      return;
    }
    ch.timers.push(setTimeout(() => done(app === 'playback' ? 'FILE PLAYED' : '+OK'), ch.plan.playMs ?? 5));
  }

  /**
   * mod_spandsp's txfax. T.38 per the channel's fax_enable_t38 / fax_enable_t38_request and the far
   * end (plan.t38: 'negotiate' | 'refuse' | 'silent'; a loopback/ endpoint never answers a T.38
   * request, so txfax then waits for ever, as FreeSWITCH 1.10 does). Phase B fires
   * CUSTOM spandsp::txfaxnegociateresult; the end sets fax_success, fax_result_code/_text (spandsp's
   * t30 completion codes), fax_document_*_pages and fax_t38_status (off, requested, negotiated,
   * refused), on the channel and in CUSTOM spandsp::txfaxresult. A hangup mid-fax ends it with 49.
   * fax_start_page (0-based) skips pages a previous call delivered; the rest are "sent" this time.
   */
  txfax(ch, done, data) {
    const on = (v) => /^(true|1|yes|on|enabled|active|allow)$/i.test(String(v ?? ''));
    const request = on(ch.vars.fax_enable_t38) && on(ch.vars.fax_enable_t38_request);
    const farEnd = ch.plan.t38 ?? (ch.endpoint.startsWith('loopback/') ? 'silent' : 'negotiate');
    const t38 = !request ? 'off' : farEnd === 'negotiate' ? 'negotiated' : farEnd === 'refuse' ? 'refused' : 'requested';
    const start = Number(ch.vars.fax_start_page ?? 0);
    const planned = ch.plan.fax ?? { success: true, pages: 1, total: 1 };
    const total = planned.total ?? planned.pages;
    const result = (success, code, pages) => {
      const text = T30_TEXT[code];
      if (text === undefined) throw new Error(`the peer knows no spandsp result code ${code}`);
      return {
        variable_fax_success: success ? '1' : '0',
        variable_fax_result_code: String(code),
        variable_fax_result_text: text,
        variable_fax_document_transferred_pages: String(pages),
        variable_fax_document_total_pages: String(total),
        variable_fax_ecm_used: 'on',
        variable_fax_t38_status: t38,
      };
    };
    const ended = (fields) => {
      Object.assign(ch.vars, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.replace(/^variable_/, ''), v])));
      this.emit('CUSTOM', {
        ...this.channelFields(ch),
        'Event-Subclass': 'spandsp::txfaxresult',
        'fax-success': fields.variable_fax_success,
        'fax-result-code': fields.variable_fax_result_code,
        'fax-result-text': fields.variable_fax_result_text,
        'fax-document-transferred-pages': fields.variable_fax_document_transferred_pages,
        'fax-document-total-pages': fields.variable_fax_document_total_pages,
        'fax-t38-status': t38,
      });
    };
    // Hung up under the fax: spandsp ends with "The call dropped prematurely".
    const running = ch.running;
    running.done = (fields) => {
      const f = result(false, 49, 0);
      ended(f);
      this.emit('CHANNEL_EXECUTE_COMPLETE', { ...fields, ...f, Application: 'txfax', 'Application-Data': data, 'Application-Response': '', 'Application-UUID': running.appUuid });
    };
    if (t38 === 'requested') return; // nobody answers the re-INVITE: txfax waits until the call is hung up
    ch.timers.push(
      setTimeout(() => {
        this.emit('CUSTOM', {
          ...this.channelFields(ch),
          'Event-Subclass': 'spandsp::txfaxnegociateresult',
          uuid: ch.uuid,
          'fax-transfer-rate': '14400',
          'fax-ecm-used': 'on',
          'fax-t38-status': t38,
          'fax-local-station-id': ch.vars.fax_ident ?? '',
          'fax-remote-station-id': '',
          'fax-document-total-pages': String(total),
        });
      }, 1),
    );
    const pages = start > 0 && planned.success ? total - start : planned.pages;
    ch.timers.push(
      setTimeout(() => {
        const f = planned.success ? result(true, 0, pages) : result(false, planned.code ?? 49, pages);
        ended(f);
        done('', f);
      }, ch.plan.playMs ?? 5),
    );
  }

  hangup(ch, cause) {
    if (!this.channels.has(ch.uuid)) return;
    this.channels.delete(ch.uuid);
    for (const t of ch.timers) clearTimeout(t);
    const now = Date.now();
    // switch_channel_set_timestamps(): whole seconds, billsec = end_epoch - answer_epoch.
    const billsec = ch.answeredAt ? Math.floor(now / 1000) - Math.floor(ch.answeredAt / 1000) : 0;
    Object.assign(ch.vars, {
      hangup_cause: cause,
      billsec: String(billsec),
      billmsec: String(ch.answeredAt ? now - ch.answeredAt : 0),
      answer_epoch: String(ch.answeredAt ? Math.floor(ch.answeredAt / 1000) : 0),
      end_epoch: String(Math.floor(now / 1000)),
    });
    this.ended.push({ uuid: ch.uuid, cause, billsec });
    const fields = {
      ...this.channelFields(ch),
      'Hangup-Cause': cause,
      variable_duration: String(Math.floor(now / 1000) - Math.floor(ch.createdAt / 1000)),
      variable_originate_disposition: ch.answeredAt ? 'SUCCESS' : cause,
      'Answer-State': ch.answeredAt ? 'hangup' : 'hangup',
    };
    // FreeSWITCH's order: CHANNEL_HANGUP, then the application that ran returns (its
    // CHANNEL_EXECUTE_COMPLETE), then CHANNEL_HANGUP_COMPLETE from the reporting state.
    this.emit('CHANNEL_HANGUP', fields);
    const running = ch.running;
    ch.running = null;
    if (running) running.done(fields);
    // The hangup state runs api_hangup_hook (variables expanded, the fax's among them) before the
    // reporting state's CHANNEL_HANGUP_COMPLETE.
    const hook = ch.vars.api_hangup_hook;
    if (hook) {
      const expanded = hook.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, v) => ch.vars[v] ?? '');
      const space = expanded.indexOf(' ');
      this.api(space < 0 ? expanded : expanded.slice(0, space), space < 0 ? '' : expanded.slice(space + 1));
    }
    this.emit('CHANNEL_HANGUP_COMPLETE', fields);
    if (!ch.answeredAt) ch.finishJob?.(`-ERR ${cause}\n`);
  }

  /**
   * An inbound call whose dialplan runs `socket 127.0.0.1:<port> async full` (config/freeswitch): FreeSWITCH
   * connects to the daemon and lets it drive the channel. Options:
   *  - port (host 127.0.0.1), caller (Caller-Caller-ID-Number), callerName (bytes or text, as the SIP From's
   *    display name came), did (the request URI's user: Caller-Destination-Number, sip_req_user), toUser
   *    (the To header's user, sip_to_user; default did), uuid;
   *  - fax: { faxcheck, tiff, drop } — rxfax runs faxcheck (the caller's TIFF sent by a spandsp sender and
   *    received by a spandsp receiver into rxfax's file); drop=N: the caller hangs up once N pages arrived
   *    (0: before any); or { silent: true }: no fax on the line, rxfax waits until the call is hung up;
   *  - ignoreHangup: the channel never hangs up when asked (the watchdog's case);
   *  - dialplanAfter: the dialplan's action after `socket` (default `hangup NORMAL_TEMPORARY_FAILURE`).
   * Resolves with the call's record once the daemon closed the socket and the channel is gone: uuid, commands
   * (each command line and headers the daemon sent), rxfax (the file it was told to write), result (faxcheck's
   * receiver), hangup (cause, and whether our dialplan's action made it), events (what was sent, by name).
   */
  inboundCall(opts) {
    const uuid = opts.uuid ?? randomUUID();
    const did = opts.did ?? '15550001000';
    const caller = opts.caller ?? '15557654321';
    const record = { uuid, commands: [], rxfax: null, result: null, hangup: null, events: [], closedByDaemon: false };
    const vars = {
      direction: 'inbound',
      uuid,
      session_id: String(this.seq),
      sip_from_user: caller,
      sip_from_host: '192.0.2.10',
      sip_req_user: did,
      sip_to_user: opts.toUser ?? did,
      sip_to_host: '192.0.2.1',
      sip_call_id: `${randomUUID()}@192.0.2.10`,
      sofia_profile_name: 'external',
      channel_name: `sofia/external/${caller}@192.0.2.10`,
      socket_host: '127.0.0.1',
      ...(opts.vars ?? {}),
    };
    const ch = { uuid, answeredAt: null, createdAt: Date.now(), vars, up: true, running: null, timers: [], linger: false };
    const header = (name) => ({
      'Event-Name': name,
      'Core-UUID': this.coreUuid,
      'FreeSWITCH-Hostname': 'peer',
      'FreeSWITCH-Switchname': 'peer',
      'FreeSWITCH-IPv4': '127.0.0.1',
      'FreeSWITCH-IPv6': '::1',
      'Event-Date-Local': new Date().toISOString().slice(0, 19).replace('T', ' '),
      'Event-Date-GMT': new Date().toUTCString(),
      'Event-Date-Timestamp': String(Date.now() * 1000),
      'Event-Calling-File': 'switch_channel.c',
      'Event-Calling-Function': 'switch_channel_event_set_data',
      'Event-Calling-Line-Number': '1',
      'Event-Sequence': String(this.seq++),
    });
    const profile = (prefix) => ({
      [`${prefix}-Direction`]: 'inbound',
      [`${prefix}-Logical-Direction`]: 'inbound',
      [`${prefix}-Username`]: caller,
      [`${prefix}-Dialplan`]: 'XML',
      ...(opts.callerName !== undefined ? { [`${prefix}-Caller-ID-Name`]: opts.callerName, [`${prefix}-Orig-Caller-ID-Name`]: opts.callerName } : {}),
      [`${prefix}-Caller-ID-Number`]: caller,
      [`${prefix}-Orig-Caller-ID-Number`]: caller,
      [`${prefix}-Network-Addr`]: '192.0.2.10',
      [`${prefix}-ANI`]: caller,
      [`${prefix}-Destination-Number`]: did,
      [`${prefix}-Unique-ID`]: uuid,
      [`${prefix}-Source`]: 'mod_sofia',
      [`${prefix}-Context`]: 'public',
      [`${prefix}-Channel-Name`]: vars.channel_name,
      [`${prefix}-Profile-Index`]: '1',
      [`${prefix}-Profile-Created-Time`]: String(ch.createdAt * 1000),
      [`${prefix}-Channel-Created-Time`]: String(ch.createdAt * 1000),
      [`${prefix}-Channel-Answered-Time`]: String((ch.answeredAt ?? 0) * 1000),
      [`${prefix}-Channel-Hangup-Time`]: '0',
    });
    const channelData = (name) => ({
      ...header(name),
      'Channel-State': ch.up ? 'CS_EXECUTE' : 'CS_HANGUP',
      'Channel-Call-State': ch.answeredAt ? 'ACTIVE' : 'RINGING',
      'Channel-Name': vars.channel_name,
      'Unique-ID': uuid,
      'Call-Direction': 'inbound',
      'Presence-Call-Direction': 'inbound',
      'Channel-HIT-Dialplan': 'true',
      'Channel-Call-UUID': uuid,
      'Answer-State': !ch.up ? 'hangup' : ch.answeredAt ? 'answered' : 'ringing',
      ...(ch.cause ? { 'Hangup-Cause': ch.cause } : {}),
      'Channel-Read-Codec-Name': 'PCMA',
      'Channel-Read-Codec-Rate': '8000',
      ...profile('Caller'),
      ...Object.fromEntries(Object.entries(ch.vars).map(([k, v]) => [`variable_${k}`, v])),
    });
    return new Promise((resolve, reject) => {
      const socket = net.connect(opts.port, opts.host ?? '127.0.0.1');
      let buffer = Buffer.alloc(0);
      let format = 'plain';
      let mine = false;
      const custom = new Set();
      const send = (text) => !socket.destroyed && socket.write(text);
      const reply = (text) => send(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
      const emit = (name, fields) => {
        const event = { ...channelData(name), ...fields };
        const subscribed = (mine && MYEVENTS.has(name)) || (name === 'CUSTOM' && custom.has(event['Event-Subclass']));
        if (!subscribed) return;
        record.events.push(name === 'CUSTOM' ? event['Event-Subclass'] : name);
        const json = JSON.stringify(event);
        if (format === 'json') send(`Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`);
      };
      const hangup = (cause, byDialplan = false) => {
        if (!ch.up) return;
        ch.up = false;
        ch.cause = cause;
        for (const t of ch.timers) clearTimeout(t);
        record.hangup = { cause, byDialplan };
        const billsec = ch.answeredAt ? Math.floor(Date.now() / 1000) - Math.floor(ch.answeredAt / 1000) : 0;
        Object.assign(ch.vars, { hangup_cause: cause, billsec: String(billsec), answer_epoch: String(ch.answeredAt ? Math.floor(ch.answeredAt / 1000) : 0), end_epoch: String(Math.floor(Date.now() / 1000)) });
        emit('CHANNEL_HANGUP', { 'Hangup-Cause': cause });
        const running = ch.running;
        ch.running = null;
        running?.onHangup();
        emit('CHANNEL_HANGUP_COMPLETE', { 'Hangup-Cause': cause });
        if (!ch.linger) return socket.end();
        send(`Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${uuid}\nContent-Disposition: linger\nChannel-Name: ${vars.channel_name}\nLinger-Time: ${ch.linger}\nContent-Length: 0\n\n`);
        // The linger timeout: FreeSWITCH closes the socket itself (send_disconnect, then close_socket).
        setTimeout(() => {
          const bye = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
          send(`Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${uuid}\nContent-Disposition: disconnect\nContent-Length: ${bye.length}\n\n${bye}`);
          socket.end();
        }, ch.linger * 1000).unref();
      };
      const complete = (app, data, appUuid, response = '') => emit('CHANNEL_EXECUTE_COMPLETE', { Application: app, 'Application-Data': data, 'Application-Response': response, 'Application-UUID': appUuid });
      const rxfax = (data, appUuid) => {
        record.rxfax = data;
        const fax = opts.fax ?? { silent: true };
        // Phase E as mod_spandsp's phase_e_handler sets it, from the receiver's own statistics.
        const phaseE = (rx) => {
          const f = {
            fax_success: rx.status === 0 ? '1' : '0',
            fax_result_code: String(rx.status),
            fax_result_text: rx.status_text,
            fax_ecm_used: rx.ecm ? 'on' : 'off',
            fax_t38_status: 'off',
            fax_local_station_id: ch.vars.fax_ident ?? 'SpanDSP Fax Ident',
            fax_remote_station_id: rx.remote_ident,
            fax_document_transferred_pages: String(rx.pages),
            fax_document_total_pages: String(rx.pages_in_file),
            fax_image_resolution: `${rx.x_resolution}x${rx.y_resolution}`,
            fax_image_size: '0',
            fax_bad_rows: '0',
            fax_transfer_rate: String(rx.bit_rate),
          };
          Object.assign(ch.vars, f);
          emit('CUSTOM', {
            'Event-Subclass': 'spandsp::rxfaxresult',
            'fax-success': f.fax_success,
            'fax-result-code': f.fax_result_code,
            'fax-result-text': f.fax_result_text,
            'fax-document-transferred-pages': f.fax_document_transferred_pages,
            'fax-document-total-pages': f.fax_document_total_pages,
            'fax-image-resolution': f.fax_image_resolution,
            'fax-image-size': f.fax_image_size,
            'fax-bad-rows': f.fax_bad_rows,
            'fax-transfer-rate': f.fax_transfer_rate,
            'fax-ecm-used': f.fax_ecm_used,
            'fax-t38-status': f.fax_t38_status,
            'fax-local-station-id': f.fax_local_station_id,
            'fax-remote-station-id': f.fax_remote_station_id,
          });
        };
        if (fax.silent) {
          // No fax tones: spandsp waits; the hangup's t30_terminate ends it with "The call dropped prematurely".
          ch.running = { onHangup: () => (phaseE({ status: 49, status_text: T30_TEXT[49], pages: 0, pages_in_file: 0, x_resolution: 0, y_resolution: 0, bit_rate: 14400, ecm: 0, remote_ident: '' }), complete('rxfax', data, appUuid)) };
          return;
        }
        const r = spawnSync(fax.faxcheck, [fax.tiff, data, ...(fax.drop !== undefined ? [`drop=${fax.drop}`] : [])], { encoding: 'utf8', timeout: 60_000 });
        const result = JSON.parse(r.stdout);
        record.result = result.rx;
        const rx = result.rx;
        ch.timers.push(
          setTimeout(() => {
            if (rx.pages > 0 || rx.status === 0) {
              Object.assign(ch.vars, { fax_transfer_rate: String(rx.bit_rate), fax_ecm_used: rx.ecm ? 'on' : 'off', fax_t38_status: 'off', fax_remote_station_id: rx.remote_ident });
              emit('CUSTOM', { 'Event-Subclass': 'spandsp::rxfaxnegociateresult', uuid, 'fax-transfer-rate': String(rx.bit_rate), 'fax-ecm-used': rx.ecm ? 'on' : 'off', 'fax-t38-status': 'off', 'fax-remote-station-id': rx.remote_ident });
            }
            if (fax.drop !== undefined) {
              // The caller hangs up mid-fax: CHANNEL_HANGUP, rxfax's loop ends, phase E from t30_terminate.
              ch.running = { onHangup: () => (phaseE(rx), complete('rxfax', data, appUuid)) };
              return hangup('NORMAL_CLEARING');
            }
            phaseE(rx);
            ch.running = null;
            complete('rxfax', data, appUuid);
          }, fax.ms ?? 5),
        );
        ch.running = { onHangup: () => complete('rxfax', data, appUuid) };
      };
      const execute = (headers) => {
        const app = headers['execute-app-name'];
        const data = headers['execute-app-arg'] ?? '';
        const appUuid = headers['Event-UUID'] ?? randomUUID();
        emit('CHANNEL_EXECUTE', { Application: app, 'Application-Data': data, 'Application-UUID': appUuid });
        if (app === 'set' || app === 'export') {
          const i = data.indexOf('=');
          ch.vars[data.slice(0, i)] = data.slice(i + 1);
          return complete(app, data, appUuid);
        }
        if (app === 'answer') {
          ch.answeredAt = Date.now();
          emit('CHANNEL_ANSWER', {});
          return complete(app, data, appUuid);
        }
        if (app === 'rxfax') return rxfax(data, appUuid);
        if (app === 'hangup') {
          if (opts.ignoreHangup) return;
          return hangup(data || 'NORMAL_CLEARING');
        }
        complete(app, data, appUuid, `-ERR the peer does not run ${app}`);
      };
      const onCommand = (line, headers) => {
        record.commands.push({ line, headers });
        const [cmd, ...rest] = line.split(' ');
        switch (cmd) {
          case 'connect':
            // The channel data, then Content-Type last: switch_event_serialize of the CHANNEL_DATA event.
            return send(serializePlain({ ...channelData('CHANNEL_DATA'), ...profile('Channel'), 'Content-Type': 'command/reply', 'Reply-Text': '+OK\n', 'Socket-Mode': 'async', Control: 'full' }));
          case 'myevents':
            if (mine) return reply('-ERR aready enabled.');
            mine = true;
            if (/json/i.test(line)) format = 'json';
            return reply('+OK Events Enabled');
          case 'event': {
            const [fmt, ...names] = rest;
            format = fmt === 'json' ? 'json' : format;
            let subclass = false;
            for (const n of names) {
              if (n === 'CUSTOM') subclass = true;
              else if (subclass) custom.add(n);
            }
            return reply(`+OK event listener enabled ${fmt}`);
          }
          case 'linger':
            ch.linger = Number(rest[0]) || 600;
            return reply(`+OK will linger ${ch.linger} seconds`);
          case 'sendmsg':
            reply('+OK');
            if (!ch.up) return;
            if (headers['call-command'] === 'hangup') return opts.ignoreHangup ? undefined : hangup(headers['hangup-cause'] || 'NORMAL_CLEARING');
            if (headers['call-command'] === 'execute') return execute(headers);
            return;
          case 'exit':
            reply('+OK bye');
            return socket.end();
          default:
            return reply('-ERR command not found');
        }
      };
      socket.on('data', (d) => {
        buffer = Buffer.concat([buffer, d]);
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end < 0) return;
          const [first, ...lines] = buffer.subarray(0, end).toString('utf8').split('\n');
          buffer = buffer.subarray(end + 2);
          const headers = {};
          for (const l of lines) {
            const i = l.indexOf(': ');
            if (i > 0) headers[l.slice(0, i)] = l.slice(i + 2);
          }
          onCommand(first.trim(), headers);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => {
        // The daemon closed the socket first: the `socket` application returns and the dialplan goes on.
        if (ch.up) {
          record.closedByDaemon = true;
          const [app, cause] = (opts.dialplanAfter ?? 'hangup NORMAL_TEMPORARY_FAILURE').split(' ');
          if (app === 'hangup') hangup(cause || 'NORMAL_CLEARING', true);
        }
        for (const t of ch.timers) clearTimeout(t);
        resolve(record);
      });
    });
  }

  /** The far end hangs up every live call. */
  hangupAll(cause = 'NORMAL_CLEARING') {
    for (const ch of [...this.channels.values()]) this.hangup(ch, cause);
  }

  /**
   * `fsctl shutdown` as switch_core_destroy() does it: a SHUTDOWN event, every call hung up with
   * SYSTEM_SHUTDOWN, then mod_event_socket's listeners get "The system is being shut down." and are
   * closed. Nothing listens until restart().
   */
  async shutdown(cause = 'SYSTEM_SHUTDOWN') {
    this.emit('SHUTDOWN', { 'Event-Info': 'System Shutting Down' });
    this.hangupAll(cause);
    const notice = 'The system is being shut down.\n';
    for (const c of this.clients) {
      c.socket.write(`Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(notice)}\n\n${notice}`);
      c.socket.end();
    }
    this.down = true;
    this.hashes.clear(); // mod_hash keeps its entries in memory only: the process that restarts has none
    await new Promise((r) => this.server.close(() => r()));
  }

  /** The event socket unreachable (a network failure): connections dropped and refused; calls stay up. */
  async unreachable() {
    this.dropClients();
    this.down = true;
    await new Promise((r) => this.server.close(() => r()));
  }

  /** FreeSWITCH reachable again on the same port (after shutdown(): a new core, no calls). */
  async restart() {
    this.coreUuid = randomUUID();
    this.server = net.createServer((s) => this.onClient(s));
    await this.listen(this.port);
    this.down = false;
  }

  /** Drop every ESL connection, as a FreeSWITCH restart or a network failure would; calls stay up. */
  dropClients() {
    for (const c of this.clients) c.socket.destroy();
  }

  async close() {
    for (const ch of this.channels.values()) for (const t of ch.timers) clearTimeout(t);
    this.channels.clear();
    for (const c of this.clients) c.socket.destroy();
    if (!this.down) await new Promise((r) => this.server.close(() => r()));
  }
}
