import type { CarrierTrunk } from './trunk';

/**
 * The route server's answers, built as strings: a switch asks for a route on every call, so the
 * parts that do not depend on the dialled number are rendered once per (selection, trunk set) and a
 * lookup only concatenates.
 */

export type RouteFormat = 'kamailio' | 'json' | 'text';

/** Failure codes and their HTTP status (docs/ROUTE-SERVER.md gives the SIP answer for each). */
export const FAILURE_STATUS = {
  BAD_NUMBER: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  UNKNOWN_BUYER: 403,
  NO_ROUTE: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NO_ACTIVE_SELECTION: 410,
  NO_TRUNK: 503,
  UNAVAILABLE: 503,
} as const;
export type FailureCode = keyof typeof FAILURE_STATUS;

export const DEFAULT_REASONS: Record<FailureCode, string> = {
  BAD_NUMBER: "number must be 1-20 digits, optionally after a leading '+'",
  BAD_REQUEST: 'the request is malformed',
  UNAUTHENTICATED: 'send the switch key as X-Api-Key, Authorization: Bearer or key=; unknown or revoked keys are refused',
  UNKNOWN_BUYER: "buyer is not the switch key's buyer",
  NO_ROUTE: 'no awarded prefix matches this number',
  NOT_FOUND: 'paths are /route/kamailio, /route/json and /route/text',
  METHOD_NOT_ALLOWED: 'only GET and HEAD',
  NO_ACTIVE_SELECTION: 'the matching prefix has no selection live at this time (expired or not started)',
  NO_TRUNK: 'the awarded carrier has no SIP trunk on record',
  UNAVAILABLE: 'the routing table is not loaded yet',
};

export interface Answer {
  readonly status: number;
  readonly result: FailureCode;
  readonly body: string;
}

export function failure(code: FailureCode, reason: string = DEFAULT_REASONS[code]): Answer {
  return { status: FAILURE_STATUS[code], result: code, body: JSON.stringify({ result: code, reason }) };
}

/** One prebuilt failure per code with its default reason (no allocation per failed lookup). */
export const FAILURES: Readonly<Record<FailureCode, Answer>> = Object.freeze(
  Object.fromEntries((Object.keys(FAILURE_STATUS) as FailureCode[]).map((c) => [c, Object.freeze(failure(c))])) as Record<FailureCode, Answer>,
);

export interface RouteParties {
  selectionId: string;
  carrierId: string;
  requestId: string;
  buyerId: string;
}

/** Everything of an answer but the number, for one selection and one trunk set. */
export interface PreparedRoute {
  /** The trunk list it was built from: a different array means the carrier's trunks changed. */
  readonly trunks: readonly CarrierTrunk[];
  readonly selectionId: string;
  /** uri = before[i] + digits + after[i] (kamailio); the json and text parts likewise. */
  readonly kamHead: string;
  readonly kamBefore: readonly string[];
  readonly kamAfter: readonly string[];
  readonly kamTail: string;
  readonly jsonBefore: readonly string[];
  readonly jsonAfter: readonly string[];
  readonly jsonTail: string;
  readonly textBefore: string;
  readonly textAfter: string;
}

const q = (s: string) => JSON.stringify(s);

export function prepareRoute(parties: RouteParties, trunks: readonly CarrierTrunk[]): PreparedRoute {
  const kamBefore: string[] = [];
  const kamAfter: string[] = [];
  const jsonBefore: string[] = [];
  const jsonAfter: string[] = [];
  trunks.forEach((t, i) => {
    const transport = t.transport.toLowerCase();
    const hostPort = `${t.host}:${t.port}`;
    const dst = `sip:${hostPort};transport=${transport}`;
    const sep = i === 0 ? '' : ',';
    kamBefore.push(`${sep}{"uri":"sip:${t.techPrefix}`);
    kamAfter.push(`@${hostPort};transport=${transport}","dst_uri":${q(dst)}}`);
    jsonBefore.push(`${sep}{"uri":"sip:${t.techPrefix}`);
    jsonAfter.push(`@${hostPort};transport=${transport}","dstUri":${q(dst)},"host":${q(t.host)},"port":${t.port},"transport":${q(transport)},"techPrefix":${q(t.techPrefix)},"trunk":${q(t.name)}}`);
  });
  const ids = `"carrier_id":${q(parties.carrierId)},"selection_id":${q(parties.selectionId)},"request_id":${q(parties.requestId)},"buyer_id":${q(parties.buyerId)}`;
  const first = trunks[0];
  return {
    trunks,
    selectionId: parties.selectionId,
    kamHead: '{"version":"1.0","routing":"serial","routes":[',
    kamBefore,
    kamAfter,
    kamTail: `],${ids}}`,
    jsonBefore,
    jsonAfter,
    jsonTail:
      `,"carrierId":${q(parties.carrierId)},"selectionId":${q(parties.selectionId)},"requestId":${q(parties.requestId)},"buyerId":${q(parties.buyerId)},"routes":[`,
    textBefore: first ? `sip:${first.techPrefix}` : '',
    textAfter: first ? `@${first.host}:${first.port};transport=${first.transport.toLowerCase()}` : '',
  };
}

/** The 200 body for `digits` (already checked: 1-20 ASCII digits, no '+'). */
export function renderRoute(p: PreparedRoute, format: RouteFormat, digits: string): string {
  if (format === 'text') return p.textBefore + digits + p.textAfter;
  if (format === 'kamailio') {
    let s = p.kamHead;
    for (let i = 0; i < p.kamBefore.length; i++) s += p.kamBefore[i] + digits + p.kamAfter[i];
    return s + p.kamTail;
  }
  let s = `{"result":"ROUTE","number":"+${digits}"` + p.jsonTail;
  for (let i = 0; i < p.jsonBefore.length; i++) s += p.jsonBefore[i] + digits + p.jsonAfter[i];
  return s + ']}';
}

/** The dialled number's digits, or null: digits only after an optional '+' (a form-encoded '+' arrives as a space). */
export function numberDigits(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const n = raw.length;
  let i = 0;
  if (n > 0) {
    const c = raw.charCodeAt(0);
    if (c === 43 || c === 32) i = 1;
  }
  if (n - i < 1 || n - i > 20) return null;
  for (let k = i; k < n; k++) {
    const d = raw.charCodeAt(k);
    if (d < 48 || d > 57) return null;
  }
  return i === 0 ? raw : raw.slice(i);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EPOCH_SECONDS = /^\d{1,12}(\.\d{1,6})?$/;

/** `at` as epoch milliseconds: epoch seconds (what a switch has at hand) or ISO 8601 with a zone; NaN when neither. */
export function parseAt(raw: string): number {
  if (EPOCH_SECONDS.test(raw)) return Math.round(Number(raw) * 1000);
  if (ISO_INSTANT.test(raw)) return new Date(raw).getTime();
  return NaN;
}

export const SLOT_MS = 5 * 60 * 1000;

/** Start of the 5-minute slot holding `ms` (UTC). */
export function slotStartOf(ms: number): number {
  return ms - (((ms % SLOT_MS) + SLOT_MS) % SLOT_MS);
}

export interface RouteQuery {
  number?: string;
  buyer?: string;
  at?: string;
  key?: string;
}

function decode(v: string): string | null {
  if (v.indexOf('%') < 0) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return null;
  }
}

/**
 * The query string's four parameters (first non-empty occurrence wins; others ignored). A literal '+' stays a
 * '+' (switches rarely encode it in `number`); percent-escapes are decoded. null when an escape is
 * malformed.
 */
export function parseRouteQuery(qs: string): RouteQuery | null {
  const out: RouteQuery = {};
  let start = 0;
  const n = qs.length;
  while (start < n) {
    let end = qs.indexOf('&', start);
    if (end < 0) end = n;
    const eq = qs.indexOf('=', start);
    if (eq > start && eq < end) {
      const name = qs.slice(start, eq);
      if (name === 'number' || name === 'buyer' || name === 'at' || name === 'key') {
        if (out[name] === undefined) {
          const v = decode(qs.slice(eq + 1, end));
          if (v === null) return null;
          // An empty value is an unset one: switch configs template `buyer=$var(buyer)` whether or not it is set.
          if (v !== '') out[name] = v;
        }
      }
    }
    start = end + 1;
  }
  return out;
}
