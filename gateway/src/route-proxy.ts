// `/route/*` on the gateway's host, forwarded unchanged to the moderator's route server, so a
// switch needs only the exchange's one public address. A streaming pass-through on node:http with
// keep-alive upstream connections: no body parsing, no GraphQL.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Logger } from '@exchange/platform';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export interface RouteProxy {
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

function unavailable(res: ServerResponse, status: number, reason: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ result: 'UNAVAILABLE', reason });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** `what` names the upstream in the log and in the 502/504 body. */
export function createRouteProxy(targetUrl: string, timeoutMs: number, logger: Logger, what = 'the route server'): RouteProxy {
  const target = new URL(targetUrl);
  const secure = target.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 256 }) : new http.Agent({ keepAlive: true, maxSockets: 256 });
  const request = secure ? https.request : http.request;
  return {
    handle(req, res) {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      headers.host = target.host;
      const ip = req.socket.remoteAddress;
      if (ip) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${ip}` : ip;
      const upstream = request(
        { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent, timeout: timeoutMs },
        (up) => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
          res.writeHead(up.statusCode ?? 502, out);
          up.pipe(res);
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
      upstream.on('error', (err) => {
        logger.warn({ err: err.message }, `${what} unreachable`);
        unavailable(res, err.message === 'timeout' ? 504 : 502, `${what} did not answer`);
      });
      req.pipe(upstream);
    },
    close() {
      agent.destroy();
    },
  };
}
