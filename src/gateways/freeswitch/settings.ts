import { z } from 'zod';
import { nodesSetting } from '../../core/holders.js';

/** A freeswitch provider's `settings`; host, port and password are the event socket's, dialstring and prefix the provider's columns. */
export const freeswitchSettingsSchema = z.strictObject({
  /** How many nodes sharing a store may run this provider at once (core/holders.ts). */
  nodes: nodesSetting,
  /** The sofia gateway name put in {gateway} of the dialstring. */
  gateway: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .nullable()
    .default(null),
  caller_id_number: z
    .string()
    .regex(/^\+?[0-9]{3,20}$/)
    .nullable()
    .default(null),
  caller_id_name: z.string().max(40).nullable().default(null),
  originate_timeout_s: z.number().int().min(5).max(300).default(30),
  ignore_early_media: z.boolean().default(true),
  /** Answering machine detection by FreeSWITCH: mod_avmd started on answer, or none. */
  amd: z.enum(['none', 'avmd']).default('none'),
  cost_per_minute: z.number().min(0).default(0),
  /** A call still up after this long is hung up. */
  max_call_seconds: z.number().int().min(10).max(7200).default(600),
  /**
   * T.38 for faxes: `request` (re-INVITE to T.38, and accept one), `accept` (only when the far end asks),
   * `off` (audio, G.711). null: `off` over a loopback/ endpoint, which never answers a T.38 request, else `request`.
   */
  t38: z.enum(['off', 'request', 'accept']).nullable().default(null),
  /**
   * A txfax whose fax negotiation (spandsp::txfaxnegociateresult) has not come this long after it
   * started is hung up: a T.38 request nobody answers leaves txfax waiting for ever.
   */
  fax_negotiation_timeout_s: z.number().int().min(1).max(600).default(60),
  /**
   * The SIP trunk as a sofia gateway that the daemon writes into `gateway_dir` (FreeSWITCH's
   * sip_profiles/<profile>/ directory) and loads over ESL; null: the operator manages it.
   */
  trunk: z
    .strictObject({
      /** Inside freeswitch.config_dir; default <config_dir>/sip_profiles/<profile> (filled in when the gateway is built). */
      gateway_dir: z
        .string()
        .regex(/^\/[A-Za-z0-9_./-]+$/, 'an absolute directory path')
        .optional(),
      profile: z
        .string()
        .regex(/^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/, 'a sofia profile name (not only dots: it names a directory)')
        .default('external'),
      realm: z.string().regex(/^[A-Za-z0-9_.:-]{1,255}$/, 'a host name or address, with an optional port'),
      proxy: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,255}$/)
        .nullable()
        .default(null),
      username: z.string().max(128).nullable().default(null),
      password: z.string().max(128).nullable().default(null),
      register: z.boolean().default(true),
      caller_id_in_from: z.boolean().default(true),
    })
    .nullable()
    .default(null),
  /**
   * Inbound faxes: the daemon listens here for FreeSWITCH's outbound event socket (the fax DIDs'
   * dialplan runs `socket <listen_host>:<listen_port> async full`) and receives each call's fax with
   * rxfax. FreeSWITCH writes the TIFF into the daemon's data directory, so it runs on the same host (or
   * shares that directory). null: off.
   */
  inbound_fax: z
    .strictObject({
      /** An address literal, not a name: loopback unless FreeSWITCH is elsewhere. */
      listen_host: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
      /** 0: a free port the system picks (tests; the dialplan must name the real one). */
      listen_port: z.number().int().min(0).max(65535),
      /** Calls received at once; more are refused (the socket closed: the dialplan's next action hangs up). */
      max_calls: z.number().int().min(1).max(1000).default(20),
      /** A call with no fax result this long after it connected is hung up (rxfax waits for ever for a T.38 answer or a silent line). */
      result_timeout_s: z.number().int().min(1).max(7200).default(900),
      /** After the result (or our hangup) the channel's hangup must follow within this, or the socket is closed. */
      hangup_timeout_s: z.number().int().min(1).max(600).default(10),
    })
    .nullable()
    .default(null),
  esl_timeout_ms: z.number().int().min(100).default(5000),
  reconnect_min_ms: z.number().int().min(10).default(1000),
  reconnect_max_ms: z.number().int().min(10).default(30_000),
});
export type FreeswitchSettings = z.infer<typeof freeswitchSettingsSchema>;

/**
 * A call rings within one lease (renewed when it is dialled and when it rings): an originate timeout
 * as long as the lease would let the spool dial a recipient again while its first call still rings.
 */
export function leaseProblem(originateTimeoutS: number, leaseSeconds: number): string | null {
  return originateTimeoutS < leaseSeconds ? null : `settings.originate_timeout_s (${originateTimeoutS} s) must be shorter than spool.lease_seconds (${leaseSeconds} s), or a call still ringing would be dialled again`;
}
