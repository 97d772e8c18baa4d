import type { NextFunction, Request, Response } from 'express';
import { bearerToken, type TokenVerifier } from './auth';
import { ADMINISTRATORS, hasRole } from './roles';


/** Why an operator endpoint refuses a caller: the HTTP status, headers and JSON body to answer with. */
export interface OperatorRefusal {
  status: 401 | 403;
  headers: Record<string, string>;
  body: { error: string };
}

/**
 * The rule of an operator endpoint (/metrics): open when `isPublic` (development), otherwise an
 * ADMIN bearer token is required (401 without one, 403 for other roles). Production turns it off by
 * default; a scraper inside the private network gets an ADMIN token, or the operator sets
 * METRICS_PUBLIC=true when the port is not reachable from outside. Null: let the caller in.
 */
export async function operatorRefusal(verifier: TokenVerifier, isPublic: boolean, authorization: string | string[] | undefined): Promise<OperatorRefusal | null> {
  if (isPublic) return null;
  let token: string | undefined;
  try {
    token = bearerToken(authorization);
  } catch {
    token = undefined;
  }
  if (!token) return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { error: 'an operator (ADMIN) bearer token is required' } };
  try {
    const identity = await verifier.verify(token);
    if (!hasRole(identity, ADMINISTRATORS)) return { status: 403, headers: {}, body: { error: 'operators (ADMIN) only' } };
  } catch {
    return { status: 401, headers: {}, body: { error: 'invalid token' } };
  }
  return null;
}

/** Express middleware applying operatorRefusal. */
export function operatorOnly(verifier: TokenVerifier, isPublic: boolean) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const refusal = await operatorRefusal(verifier, isPublic, req.headers.authorization);
    if (!refusal) return next();
    for (const [k, v] of Object.entries(refusal.headers)) res.setHeader(k, v);
    res.status(refusal.status).json(refusal.body);
  };
}
