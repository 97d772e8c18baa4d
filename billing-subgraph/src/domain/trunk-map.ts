import { parse } from 'csv-parse/sync';

/**
 * Carrier per CDR row from the trunk the call went out on. One PBX sends calls over several
 * carriers' trunks; its CDR names the trunk (Asterisk dstchannel `PJSIP/tav-trunk-00000002`,
 * FreeSWITCH `sofia/gateway/bluewave/…`), and an operator-kept map (`--trunk-map`, CSV
 * `trunk,carrier_id`) names the carrier of each trunk. A row whose trunk is not in the map is
 * refused with that reason (kept, never billed to a guessed carrier).
 */

/** Trunk name (as compared: lower case) → carrier id. */
export interface TrunkMap {
  carriers: Map<string, string>;
  /** Where the map came from, for reasons ("--trunk-map trunks.csv"). */
  source: string;
}

/** Parses the map file's text; throws with the line at fault. */
export function parseTrunkMap(text: string, source: string): TrunkMap {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, comment: '#' });
  } catch (err) {
    throw new Error(`${source}: not a CSV file (${(err as Error).message})`);
  }
  const [header, ...rows] = records;
  const names = header?.map((h) => h.toLowerCase().replace(/[\s-]+/g, '_'));
  if (!names || names[0] !== 'trunk' || names[1] !== 'carrier_id') throw new Error(`${source}: the first line must be the header "trunk,carrier_id"`);
  const carriers = new Map<string, string>();
  rows.forEach((r, i) => {
    const line = i + 2;
    const trunk = r[0]?.trim() ?? '';
    const carrier = r[1]?.trim() ?? '';
    if (trunk === '' || carrier === '') throw new Error(`${source} line ${line}: needs a trunk and a carrier_id`);
    if (!/^[\w.:@/+-]{1,128}$/.test(trunk)) throw new Error(`${source} line ${line}: trunk "${trunk}" is not a trunk name (letters, digits and . _ - : @ / +)`);
    if (!/^[\w.:@-]{1,128}$/.test(carrier)) throw new Error(`${source} line ${line}: carrier_id "${carrier}" is not an id`);
    const key = trunk.toLowerCase();
    const before = carriers.get(key);
    if (before !== undefined && before !== carrier) throw new Error(`${source} line ${line}: trunk "${trunk}" is mapped to ${before} already (a trunk belongs to one carrier)`);
    carriers.set(key, carrier);
  });
  if (carriers.size === 0) throw new Error(`${source}: maps no trunk (add lines "trunk,carrier_id")`);
  return { carriers, source };
}

/** Columns naming the trunk outright (normalised: lower case, no '_', '-' or spaces), in precedence order. */
const TRUNK_COLUMNS = ['trunk', 'carriertrunk', 'sipgatewayname', 'gateway'];
/** Columns that may hold a channel or dial string naming it. */
const CHANNEL_COLUMNS = ['dstchannel', 'channelname', 'bridgechannel', 'otherlegchannelname', 'destination', 'dialstring', 'lastarg', 'lastdata'];

/**
 * The outgoing trunk a row names, with the column it came from; null when the row names none.
 * Asterisk channels: `SIP/<peer>-<seq>`, `PJSIP/<endpoint>-<seq>`, `IAX2/<peer>-<callno>` give the
 * peer; `DAHDI/<span or group>/…` or `DAHDI/<channel>-<seq>` give `DAHDI/<span or channel>`.
 * FreeSWITCH: `sofia/gateway/<gw>/…` gives the gateway. Kamailio: `dst_uri`/`du` (sip:host:port)
 * or `dst_host`/`dst_port` give `host:port` (the map may name the host alone).
 */
export function trunkOfRow(norm: ReadonlyMap<string, string>): { trunk: string; column: string } | null {
  for (const c of TRUNK_COLUMNS) {
    const v = norm.get(c)?.trim();
    if (v) return { trunk: v, column: c };
  }
  for (const c of CHANNEL_COLUMNS) {
    const v = norm.get(c)?.trim();
    if (!v) continue;
    const t = trunkOfChannel(v, c === 'dstchannel' || c === 'channelname' || c === 'bridgechannel' || c === 'otherlegchannelname');
    if (t) return { trunk: t, column: c };
  }
  // Kamailio acc: the destination the call was relayed to ($du logged as dst_uri/du, or host and port).
  for (const c of ['dsturi', 'du']) {
    const v = norm.get(c)?.trim();
    const hp = v ? hostPortOfUri(v) : null;
    if (hp) return { trunk: hp, column: c };
  }
  const host = norm.get('dsthost')?.trim();
  if (host) {
    const port = norm.get('dstport')?.trim();
    return { trunk: port ? `${host}:${port}` : host, column: 'dsthost' };
  }
  return null;
}

/** "sip:203.0.113.7:5060;transport=udp" → "203.0.113.7:5060" (host alone when the URI names no port). */
export function hostPortOfUri(uri: string): string | null {
  const m = /^(?:sips?:)?(?:[^@;>]*@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:[;>?].*)?$/.exec(uri.trim().replace(/^<|>$/g, ''));
  if (!m) return null;
  return m[2] ? `${m[1]}:${m[2]}` : m[1];
}

/** The trunk in a channel name (or, when `channel` is false, only a FreeSWITCH gateway in a dial string). */
export function trunkOfChannel(value: string, channel = true): string | null {
  const gw = /(?:^|[\s,|{}[\]])sofia\/gateway\/([^/\s]+)\//i.exec(value) ?? /^sofia\/gateway\/([^/\s]+)\//i.exec(value);
  if (gw) return gw[1];
  if (!channel) return null;
  const v = value.trim();
  const sip = /^(?:SIP|PJSIP|IAX2)\/(.+)-[0-9a-fA-F]+$/.exec(v);
  if (sip) return sip[1];
  const dahdi = /^DAHDI\/([^/-]+)(?:[/-].*)?$/i.exec(v);
  if (dahdi) return `DAHDI/${dahdi[1]}`;
  return null;
}

export type CarrierDecision = { ok: true; carrierId: string; trunk?: string } | { ok: false; reason: string };

/**
 * The row's carrier. A carrier_id column wins (the file says it); then, with a map, the map
 * (a row it does not map is refused, whatever --carrier says); without a map, --carrier.
 */
export function carrierOfRow(norm: ReadonlyMap<string, string>, columnCarrier: string | undefined, map: TrunkMap | undefined, defaultCarrier: string | undefined): CarrierDecision {
  if (columnCarrier) return { ok: true, carrierId: columnCarrier };
  if (!map) return defaultCarrier ? { ok: true, carrierId: defaultCarrier } : { ok: false, reason: 'carrier_id is required (column, --carrier or --trunk-map)' };
  const t = trunkOfRow(norm);
  if (!t) return { ok: false, reason: `the row names no outgoing trunk (dstchannel SIP/<trunk>-…, sofia/gateway/<gw>/…, or a trunk column), so ${map.source} cannot give its carrier` };
  // A host:port destination may be mapped by its host alone.
  const carrierId = map.carriers.get(t.trunk.toLowerCase()) ?? (/^[^:[\]]+:\d+$/.test(t.trunk) ? map.carriers.get(t.trunk.replace(/:\d+$/, '').toLowerCase()) : undefined);
  if (!carrierId) return { ok: false, reason: `trunk "${t.trunk}" (${t.column}) maps to no carrier in ${map.source}: add a line "${t.trunk},<carrier_id>" and import the file again` };
  return { ok: true, carrierId, trunk: t.trunk };
}
