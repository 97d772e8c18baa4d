import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { createTokenSigner, type Logger } from '@exchange/platform';
import type { GatewayConfig } from './config';

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
  return !config.JWT_SECRET && !config.JWT_JWKS_FILE && !config.JWT_JWKS_URL && config.NODE_ENV !== 'production';
}

export async function mountPortal(app: Express, config: GatewayConfig, logger: Logger): Promise<void> {
  const dir = path.resolve(config.PORTAL_DIR);
  const built = existsSync(path.join(dir, 'index.html'));
  if (!built) logger.warn({ dir }, 'portal not built (npm run build); /portal answers 404');

  app.use('/portal', (_req, res, next) => {
    for (const [k, v] of Object.entries(PORTAL_HEADERS)) res.setHeader(k, v);
    next();
  });

  if (demoTokensEnabled(config)) {
    const sign = await createTokenSigner({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
    app.post('/portal/demo-token', express.json({ limit: '1kb' }), async (req: Request, res: Response) => {
      const { role, sub } = (req.body ?? {}) as { role?: unknown; sub?: unknown };
      if (!req.is('application/json') || typeof role !== 'string' || !(DEMO_ROLES as readonly string[]).includes(role)) {
        return void res.status(400).json({ error: `role must be one of ${DEMO_ROLES.join(', ')}` });
      }
      if (typeof sub !== 'string' || !PARTY_ID.test(sub)) {
        return void res.status(400).json({ error: 'sub must be a party id (1-63 letters, digits, _ or -)' });
      }
      res.setHeader('cache-control', 'no-store');
      res.json({ token: await sign(sub, role as (typeof DEMO_ROLES)[number], '12h'), role, sub, expiresIn: '12h' });
    });
  }

  if (!built) {
    app.use('/portal', (_req, res) => {
      res.status(404).type('text/plain').send('The portal is not built: run `npm run build`.');
    });
    return;
  }
  app.use(
    '/portal',
    express.static(dir, {
      index: 'index.html',
      setHeaders(res, file) {
        // Vite names assets by content hash; the page itself is always revalidated.
        const immutable = file.startsWith(path.join(dir, 'assets') + path.sep);
        res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
}
