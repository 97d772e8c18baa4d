import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Logger, type Registry } from '@exchange/platform';
import {
  FAILURES,
  failure,
  numberDigits,
  parseAt,
  parseRouteQuery,
  prepareRoute,
  renderRoute,
  slotStartOf,
  type Answer,
  type PreparedRoute,
  type RouteFormat,
} from '../domain/route-answer';
import { hashSwitchKey } from '../domain/switch-key';
import type { RoutingService } from '../services/routing';
import type { TrunkService } from '../services/routing';
import type { SwitchKeyService, KeyOwner } from '../services/routing';
import type { RouteAttemptsService } from '../services/routing';

export interface RouteServerDeps {
  routing: RoutingService;
  trunks: TrunkService;
  keys: SwitchKeyService;
  attempts: RouteAttemptsService;
  logger: Logger;
  /** Where `moderator_route_answers_total{result}` is registered (the moderator's /metrics). */
  registry?: Registry;
}

export interface RouteServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

// A Map, not an object literal: a request target such as `constructor` must not find Object's members.
const FORMATS = new Map<string, RouteFormat>([
  ['/route/kamailio', 'kamailio'],
  ['/route/json', 'json'],
  ['/route/text', 'text'],
]);
const BAD_AT = Object.freeze(failure('BAD_REQUEST', 'at must be epoch seconds or an ISO 8601 date-time with a time zone'));
const BAD_QUERY = Object.freeze(failure('BAD_REQUEST', 'the query string has a malformed percent-escape'));
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Counts answers by result; children bound once, so counting costs one increment. */
function answerCounter(registry: Registry | undefined) {
  const counter = new Counter({
    name: 'moderator_route_answers_total',
    help: 'Route server answers by result (ROUTE or the failure code)',
    labelNames: ['result'] as const,
    registers: registry ? [registry] : [],
  });
  const bound = new Map<string, { inc(): void }>();
  for (const code of ['ROUTE', ...Object.keys(FAILURES)]) bound.set(code, counter.labels(code));
  return (result: string) => bound.get(result)?.inc();
}

/** The switch key: X-Api-Key, else Authorization: Bearer, else the `key` query parameter. */
function keyOf(req: IncomingMessage, queryKey: string | undefined): string | undefined {
  const h = req.headers['x-api-key'];
  if (typeof h === 'string' && h.length > 0) return h.trim();
  const auth = req.headers.authorization;
  if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  return queryKey || undefined;
}

/**
 * The switch-facing route server (docs/ROUTE-SERVER.md): plain node:http, one lookup per request
 * in the moderator's in-memory index, answers prepared per (selection, trunk set). It is started
 * only once the routing table, the trunks and the keys are loaded.
 */
export async function startRouteServer(deps: RouteServerDeps, listen: { host: string; port: number }): Promise<RouteServer> {
  const { routing, trunks, keys, attempts, logger } = deps;
  const counted = answerCounter(deps.registry);
  const fail = (res: ServerResponse, a: Answer) => {
    counted(a.result);
    send(res, a.status, JSON_TYPE, a.body);
  };
  // Per selection (its parties never change: a selection is written once), rebuilt when the
  // carrier's trunk array is a different one (every trunk change replaces it). Bounded: expired
  // selections' answers are dropped with everything else when it fills up.
  const prepared = new Map<string, PreparedRoute>();
  // Key → its hash for keys that verified, so a switch's every request skips SHA-256; the owner
  // is still read from the key service by hash, so a revocation applies at once. Only verified
  // keys enter (nobody can fill it with guesses); bounded all the same.
  const hashes = new Map<string, string>();
  const hashOf = (key: string): string => {
    const known = hashes.get(key);
    if (known !== undefined) return known;
    return hashSwitchKey(key);
  };
  const remember = (key: string, hash: string) => {
    if (hashes.size >= 10_000) hashes.clear();
    hashes.set(key, hash);
  };

  const answer = (res: ServerResponse, count: boolean, format: RouteFormat, owner: KeyOwner, buyer: string | undefined, rawNumber: string | undefined, rawAt: string | undefined) => {
    if (buyer !== undefined && buyer !== owner.buyerId) return fail(res, FAILURES.UNKNOWN_BUYER);
    const digits = numberDigits(rawNumber);
    if (digits === null) return fail(res, FAILURES.BAD_NUMBER);
    const t = rawAt === undefined || rawAt === '' ? Date.now() : parseAt(rawAt);
    if (Number.isNaN(t)) return fail(res, BAD_AT);
    const r = routing.lookup(owner.buyerId, digits, t);
    const entry = r.entry;
    if (entry === null) return fail(res, r.reason === 'NO_ACTIVE_SELECTION_AT_TIME' ? FAILURES.NO_ACTIVE_SELECTION : FAILURES.NO_ROUTE);
    const list = trunks.trunksOf(entry.carrierId);
    if (list.length === 0) return fail(res, FAILURES.NO_TRUNK);
    let p = prepared.get(entry.selectionId);
    if (p === undefined || p.trunks !== list) {
      if (prepared.size >= 100_000) prepared.clear();
      p = prepareRoute(entry, list);
      prepared.set(entry.selectionId, p);
    }
    // A HEAD is a probe (monitoring), not a call: it is answered but not counted.
    if (count) attempts.count(entry.selectionId, slotStartOf(t));
    counted('ROUTE');
    send(res, 200, format === 'text' ? TEXT_TYPE : JSON_TYPE, renderRoute(p, format, digits));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const format = FORMATS.get(path);
    if (format === undefined) return fail(res, FAILURES.NOT_FOUND);
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, FAILURES.METHOD_NOT_ALLOWED);
    const q = parseRouteQuery(qi < 0 ? '' : url.slice(qi + 1));
    if (q === null) return fail(res, BAD_QUERY);
    const key = keyOf(req, q.key);
    if (key === undefined) return fail(res, FAILURES.UNAUTHENTICATED);
    const hash = hashOf(key);
    const owner = keys.cached(hash);
    if (owner === null) return fail(res, FAILURES.UNAUTHENTICATED);
    if (owner !== undefined) {
      remember(key, hash);
      return answer(res, req.method === 'GET', format, owner, q.buyer, q.number, q.at);
    }
    keys.verify(hash).then(
      (o) => {
        if (o === null) return fail(res, FAILURES.UNAUTHENTICATED);
        remember(key, hash);
        answer(res, req.method === 'GET', format, o, q.buyer, q.number, q.at);
      },
      (err) => {
        logger.error({ err: (err as Error).message }, 'switch key verification failed');
        fail(res, FAILURES.UNAVAILABLE);
      },
    );
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'route lookup failed');
      if (!res.headersSent) fail(res, FAILURES.UNAVAILABLE);
      else res.destroy();
    }
  });
  // Switches hold their connections open; Node's 5 s default would make them reconnect often.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'route server listening');
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
