/**
 * What mod_spandsp says of a received fax, read from FreeSWITCH's names (mod_spandsp_fax.c): the
 * channel variables its phase E handler sets (`variable_fax_*` on rxfax's CHANNEL_EXECUTE_COMPLETE and
 * on CHANNEL_HANGUP_COMPLETE) or the headers of its CUSTOM `spandsp::rxfaxresult` event (`fax-*`).
 */
export interface RxfaxResult {
  success: boolean;
  /** spandsp's T.30 completion code (T30_ERR_*: 0 OK, 49 the call dropped prematurely…). */
  code: number;
  text: string;
  /** fax_document_transferred_pages: the pages received. */
  pages: number;
  /**
   * fax_document_total_pages. On receive it is the receiver's own count of pages written to the file
   * (t30_get_transfer_statistics: t4_rx's pages_in_file), not a total the sender announced: T.30 announces none.
   */
  total?: number;
  remoteStationId?: string;
  /** "<x>x<y>" in pixels per metre, as spandsp counts resolution (204×98 dpi is "8031x3850"). */
  resolution?: string;
  transferRate?: number;
  /** fax_t38_status: off, requested, negotiated, refused. */
  t38?: string;
}

type Get = (header: string) => string | undefined;

/** Text from the far end (its fax machine's ident): printable ASCII only, bounded. */
const printable = (v: string | undefined, max: number): string | undefined => {
  const s = v?.replace(/[^\x20-\x7e]/g, '').trim();
  return s ? s.slice(0, max) : undefined;
};

const count = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

/** The result among an event's fields, or null when spandsp set none (rxfax never reached phase E). */
export function rxfaxResult(get: Get): RxfaxResult | null {
  // The CUSTOM event's own headers first; the variables are on every channel event after phase E.
  const field = (name: string): string | undefined => get(`fax-${name.replaceAll('_', '-')}`) ?? get(`variable_fax_${name}`);
  const success = field('success');
  if (success !== '0' && success !== '1') return null;
  const resolution = field('image_resolution');
  const t38 = field('t38_status');
  return {
    success: success === '1',
    code: count(field('result_code')) ?? -1,
    text: printable(field('result_text'), 200) ?? '',
    pages: count(field('document_transferred_pages')) ?? 0,
    ...(count(field('document_total_pages')) !== undefined ? { total: count(field('document_total_pages'))! } : {}),
    ...(printable(field('remote_station_id'), 40) ? { remoteStationId: printable(field('remote_station_id'), 40)! } : {}),
    ...(resolution && /^\d{1,6}x\d{1,6}$/.test(resolution) ? { resolution } : {}),
    ...(count(field('transfer_rate')) !== undefined ? { transferRate: count(field('transfer_rate'))! } : {}),
    ...(t38 && /^[a-z]{1,16}$/.test(t38) ? { t38 } : {}),
  };
}

/** A caller's number or the DID as the network gave it: printable ASCII, bounded; null when nothing is left. */
export const callNumber = (v: string | undefined): string | null => printable(v, 64) ?? null;
