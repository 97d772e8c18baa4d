import { isIP } from 'node:net';

/*
 * Which network addresses a party's webhook may point at. Billing POSTs to the URL a buyer or
 * carrier registers, from inside the operator's network: without this rule a party could make
 * billing call its metrics endpoint, the cloud metadata service or any internal host, and read
 * the answer's status back from the delivery state (server-side request forgery).
 */

const V4_BLOCKED: [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8 unspecified ("this network")
  [0x0a000000, 8], // 10/8 private
  [0x64400000, 10], // 100.64/10 carrier-grade NAT (shared address space)
  [0x7f000000, 8], // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata services)
  [0xac100000, 12], // 172.16/12 private
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0a80000, 16], // 192.168/16 private
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xe0000000, 4], // 224/4 multicast
  [0xf0000000, 4], // 240/4 reserved, 255.255.255.255 broadcast
];

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function v4Blocked(ip: string): boolean {
  const n = v4Number(ip);
  return V4_BLOCKED.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/** The 8 groups of an IPv6 address as numbers (handles `::`, a zone and an embedded IPv4 tail). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0];
  const last = text.lastIndexOf(':');
  const tail = text.slice(last + 1);
  if (tail.includes('.')) {
    const n = v4Number(tail);
    text = `${text.slice(0, last + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const r = parse(rest);
  const fill = rest === undefined ? [] : new Array(Math.max(0, 8 - h.length - r.length)).fill(0);
  return [...h, ...fill, ...r];
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * Judged on the parsed groups, so every spelling of an address is the same address: only global
 * unicast (2000::/3) outside the ranges below is public; forms that carry an IPv4 address are
 * judged by it.
 */
function v6Blocked(ip: string): boolean {
  const g = v6Groups(ip);
  if (g.length !== 8 || g.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) return true;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d; :: and ::1 fall in 0/8), IPv4-translated
  // (::ffff:0:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): judge the IPv4 address.
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0)) return zeros(0, 7) && g[7] <= 1 ? true : v4Blocked(v4Of(g[6], g[7]));
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return v4Blocked(v4Of(g[6], g[7]));
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4Blocked(v4Of(g[6], g[7]));
  // Everything outside global unicast: unique local fc00::/7, link-local fe80::/10, site-local,
  // multicast ff00::/8, discard 100::/64, local-use NAT64 64:ff9b:1::/48, reserved ranges.
  if ((g[0] & 0xe000) !== 0x2000) return true;
  if (g[0] === 0x2002) return v4Blocked(v4Of(g[1], g[2])); // 6to4: the IPv4 address is in the prefix
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // 2001:db8::/32 documentation
  // 2001::/23 IETF protocol assignments, among them Teredo 2001::/32 (a tunnel to an address we cannot judge).
  if (g[0] === 0x2001 && (g[1] & 0xfe00) === 0) return true;
  if (g[0] === 0x3fff && g[1] < 0x1000) return true; // 3fff::/20 documentation
  return false;
}

/** True for an address on the public internet; false for loopback, private, link-local, unspecified and other non-public ranges. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !v4Blocked(ip);
  if (family === 6) return !v6Blocked(ip);
  return false;
}

/** Host names that always mean this machine or its private network, whatever DNS says. */
const LOCAL_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.(localhost|local|internal|localdomain)$/i;

/**
 * Why a webhook URL is refused before any DNS look-up, or null: http(s) only, no credentials in
 * the URL, no local host names and, unless `allowPrivate`, no non-public IP literal (the URL
 * parser already turns `0x7f000001` or `2130706433` into 127.0.0.1).
 */
export function webhookUrlProblem(url: URL, allowPrivate: boolean): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username || url.password) return 'must not contain credentials (user:password@)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate) return null;
  if (LOCAL_NAMES.test(host)) return 'must not point at a local host name';
  if (isIP(host) && !isPublicAddress(host)) return 'must point at a public address (not loopback, private, link-local or unspecified)';
  return null;
}
