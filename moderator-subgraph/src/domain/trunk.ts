import { isIP } from 'node:net';
import { badInput } from './errors';

export type SipTransport = 'UDP' | 'TCP' | 'TLS';
export const SIP_TRANSPORTS: readonly SipTransport[] = ['UDP', 'TCP', 'TLS'];

/** A carrier's SIP trunk on record: where the exchange's buyers send the carrier's awarded calls. */
export interface CarrierTrunk {
  id: string;
  carrierId: string;
  /** As PBXes write it in dstchannel (`tav-trunk` in `SIP/tav-trunk-0000001`). */
  name: string;
  host: string;
  port: number;
  transport: SipTransport;
  /** Dialled before the number in the request URI (digits, '#', '*'). */
  techPrefix: string;
  /** Lower first. */
  priority: number;
  createdAt: Date;
}

export interface TrunkInput {
  name?: unknown;
  host?: unknown;
  port?: unknown;
  transport?: unknown;
  techPrefix?: unknown;
  priority?: unknown;
}

export type ValidTrunk = Pick<CarrierTrunk, 'name' | 'host' | 'port' | 'transport' | 'techPrefix' | 'priority'>;

const NAME = /^[A-Za-z0-9_.-]{1,63}$/;
const TECH_PREFIX = /^[0-9#*]{0,10}$/;
// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 253 characters at most.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isHostName(v: string): boolean {
  if (v.length === 0 || v.length > 253) return false;
  const labels = (v.endsWith('.') ? v.slice(0, -1) : v).split('.');
  // An all-numeric last label would be a mistyped IPv4 address, not a name.
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return false;
  return labels.every((l) => LABEL.test(l));
}

/** A host as a SIP URI writes it: a host name, an IPv4 literal or an IPv6 literal in brackets. */
export function normaliseHost(field: string, v: unknown): string {
  if (typeof v !== 'string') throw badInput(field, `${field} is required`);
  const h = v.trim();
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (isIP(bare) === 6) return `[${bare.toLowerCase()}]`;
  if (bare === h && isIP(h) === 4) return h;
  if (bare === h && isHostName(h)) return h.toLowerCase();
  throw badInput(field, `${field} must be a host name or an IP address`);
}

/** Checks and completes a trunk with its defaults (port 5060, UDP, no tech prefix, priority 0). */
export function validateTrunk(input: TrunkInput): ValidTrunk {
  const name = input.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw badInput('name', 'name must be 1-63 letters, digits, "_", "." or "-"');
  const host = normaliseHost('host', input.host);
  const port = input.port ?? 5060;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw badInput('port', 'port must be an integer from 1 to 65535');
  const transport = input.transport ?? 'UDP';
  if (typeof transport !== 'string' || !SIP_TRANSPORTS.includes(transport as SipTransport)) throw badInput('transport', 'transport must be UDP, TCP or TLS');
  const techPrefix = input.techPrefix ?? '';
  if (typeof techPrefix !== 'string' || !TECH_PREFIX.test(techPrefix)) throw badInput('techPrefix', "techPrefix must be up to 10 digits, '#' or '*'");
  const priority = input.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 1_000_000) throw badInput('priority', 'priority must be an integer from 0 to 1000000');
  return { name, host, port, transport: transport as SipTransport, techPrefix, priority };
}

/** The order a switch tries them in: priority, then name (deterministic). */
export function trunkOrder(a: CarrierTrunk, b: CarrierTrunk): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
