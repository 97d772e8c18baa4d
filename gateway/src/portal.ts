import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import serveStatic from 'serve-static';
import { createTokenSigner, isProductionNodeEnv, type Logger } from '@exchange/platform';
import type { GatewayConfig } from './config';
import { BodyTooLarge, isJson, parseJsonBody, readBody, sendJson, sendText } from './http';

/**
 * The web portal (portal/dist, built by `npm run build`) at /portal, as static files. It talks to
 * the public API only (/graphql over HTTP and graphql-ws), so it needs nothing else from here
 * except, in the embedded default, `POST /portal/demo-token` (see demoTokensEnabled).
 */

/** The policy the portal's pages run under: own scripts and styles only, API calls to this origin. */
const PORTAL_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Roles a portal user may act as. */
const DEMO_ROLES = ['BUYER', 'CARRIER', 'BILLING_AGENT', 'ADMIN'] as const;
const PARTY_ID = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * Demo sign-in mints development tokens, so it exists only where tokens are verified with the
 * development secret that anyone can read in this repository (no JWT_SECRET, no JWKS, NODE_ENV
 * not production): it can only issue what `npm run token` would, and never a token that a
 * deployment with its own keys accepts.
 */
export function demoTokensEnabled(config: Pick<GatewayConfig, 'JWT_SECRET' | 'JWT_JWKS_FILE' | 'JWT_JWKS_URL' | 'NODE_ENV'>): boolean {
  return !config.JWT_SECRET && !config.JWT_JWKS_FILE && !config.JWT_JWKS_URL && !isProductionNodeEnv(config.NODE_ENV);
}

/** Serves /portal and everything under it; `path` is the request path (without the query string). */
export type PortalHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export async function createPortalHandler(config: GatewayConfig, logger: Logger): Promise<PortalHandler> {
  const dir = path.resolve(config.PORTAL_DIR);
  const built = existsSync(path.join(dir, 'index.html'));
  if (!built) logger.warn({ dir }, 'portal not built (npm run build); /portal answers 404');
  const sign = demoTokensEnabled(config) ? await createTokenSigner({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }) : undefined;
  const files = built
    ? serveStatic(dir, {
        index: 'index.html',
        setHeaders(res, file) {
          // Vite names assets by content hash; the page itself is always revalidated.
          const immutable = file.startsWith(path.join(dir, 'assets') + path.sep);
          res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      })
    : undefined;

  const demoToken = async (req: IncomingMessage, res: ServerResponse) => {
    let body: { role?: unknown; sub?: unknown } = {};
    try {
      const parsed = isJson(req) ? parseJsonBody(await readBody(req, 1024)) : undefined;
      if (parsed && typeof parsed === 'object') body = parsed as typeof body;
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: 'request body too large' }, { connection: 'close' });
      return sendJson(res, 400, { error: 'the body is not valid JSON' });
    }
    const { role, sub } = body;
    if (!isJson(req) || typeof role !== 'string' || !(DEMO_ROLES as readonly string[]).includes(role)) {
      return sendJson(res, 400, { error: `role must be one of ${DEMO_ROLES.join(', ')}` });
    }
    if (typeof sub !== 'string' || !PARTY_ID.test(sub)) {
      return sendJson(res, 400, { error: 'sub must be a party id (1-63 letters, digits, _ or -)' });
    }
    sendJson(res, 200, { token: await sign!(sub, role as (typeof DEMO_ROLES)[number], '12h'), role, sub, expiresIn: '12h' }, { 'cache-control': 'no-store' });
  };

  return async (req, res, requestPath) => {
    for (const [k, v] of Object.entries(PORTAL_HEADERS)) res.setHeader(k, v);
    if (sign && requestPath === '/portal/demo-token' && req.method === 'POST') return demoToken(req, res);
    if (!files) return sendText(res, 404, 'The portal is not built: run `npm run build`.');
    // Mounted at /portal: serve-static sees the rest of the path and redirects /portal to /portal/.
    const original = req.url ?? '/';
    const mounted = req as IncomingMessage & { originalUrl?: string };
    mounted.originalUrl = original;
    req.url = original.slice('/portal'.length) || '/';
    if (!req.url.startsWith('/')) req.url = `/${req.url}`;
    await new Promise<void>((resolve) => {
      files(req, res, () => {
        sendText(res, 404, 'Not found');
        resolve();
      });
      res.once('close', resolve);
      res.once('finish', resolve);
    });
  };
}
