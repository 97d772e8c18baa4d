import type { NextFunction, Request, Response } from 'express';
import { bearerToken, type TokenVerifier } from './auth';

/** Roles that may read operator endpoints (/metrics) and `_service` when they are not public. */
export const OPERATOR_ROLES: readonly string[] = ['ADMIN'];

/**
 * Express middleware for an operator endpoint (/metrics): open when `isPublic` (development),
 * otherwise an ADMIN bearer token is required (401 without one, 403 for other roles). Production
 * turns it off by default; a scraper inside the private network gets an ADMIN token, or the
 * operator sets METRICS_PUBLIC=true when the port is not reachable from outside.
 */
export function operatorOnly(verifier: TokenVerifier, isPublic: boolean) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (isPublic) return next();
    let token: string | undefined;
    try {
      token = bearerToken(req.headers.authorization);
    } catch {
      token = undefined;
    }
    if (!token) return void res.status(401).setHeader('www-authenticate', 'Bearer').json({ error: 'an operator (ADMIN) bearer token is required' });
    try {
      const identity = await verifier.verify(token);
      if (!OPERATOR_ROLES.includes(identity.role)) return void res.status(403).json({ error: 'operators (ADMIN) only' });
    } catch {
      return void res.status(401).json({ error: 'invalid token' });
    }
    next();
  };
}
