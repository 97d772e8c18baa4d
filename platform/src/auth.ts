import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import { GraphQLError } from 'graphql';
import { isRole, type Identity, type Role } from './roles';
import { TokenCache } from './token-cache';

/**
 * Only for the embedded default. Anyone can read it here, so a deployment that sets
 * NODE_ENV=production must configure a JWKS (asymmetric keys) or its own JWT_SECRET.
 */
export const DEV_JWT_SECRET = 'telecom-exchange-development-secret-do-not-use-in-production';

export interface AuthConfig {
  JWT_SECRET?: string;
  JWT_JWKS_FILE?: string;
  JWT_JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  /** Longest a token may still be valid for (exp − now), in seconds; default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS. */
  JWT_MAX_LIFETIME_SECONDS?: number;
  /** Verified tokens remembered until their exp (0 turns the cache off); default DEFAULT_TOKEN_CACHE_SIZE. */
  JWT_CACHE_SIZE?: number;
}

/** Distinct live tokens remembered per process: a few MB at most. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/** 24 h: a working day's session; service-to-service tokens live minutes. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;
/**
 * Longest bearer token accepted, in characters: an RS256 token with the usual claims is ~800, an
 * HS256 one ~250; 4 KB leaves room for an identity provider's extra claims and bounds what a
 * cache or log line keeps per token.
 */
export const MAX_TOKEN_LENGTH = 4096;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Refuses a JWT that is not in its one canonical compact form: three strict base64url parts (no
 * padding, no other characters) whose decoding re-encodes to exactly the same text (no ignored
 * trailing bits), within MAX_TOKEN_LENGTH. Base64url decoders skip foreign characters, so without
 * this `sig[0:10] + "!!~~**" + sig[10:]` verified too and one token became any number of distinct
 * strings (each its own cache entry, upstream socket and deduplication key).
 */
export function checkTokenShape(token: string): void {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated(`Invalid token: longer than ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split('.');
  if (parts.length !== 3) throw unauthenticated('Invalid token: a JWT has exactly three dot-separated parts');
  for (const part of parts) {
    if (!BASE64URL.test(part) || Buffer.from(part, 'base64url').toString('base64url') !== part) {
      throw unauthenticated('Invalid token: every part must be canonical base64url (no padding, no other characters)');
    }
  }
}

/** Clock skew allowed between the issuer and this service. */
const CLOCK_TOLERANCE_SECONDS = 60;

export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
  /** 'jwks' when asymmetric keys are configured (production), 'hs256' otherwise. */
  readonly mode: 'jwks' | 'hs256';
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/**
 * Verifies bearer tokens. With a JWKS (file or URL) only asymmetric algorithms are accepted,
 * so an independent billing agent can trust the Moderator's public key without a shared secret.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const options = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, requiredClaims: ['exp'] };
  let mode: 'jwks' | 'hs256';
  let verifyRaw: (token: string) => Promise<{ payload: Record<string, unknown> }>;
  if (config.JWT_JWKS_FILE || config.JWT_JWKS_URL) {
    mode = 'jwks';
    const keys: JWTVerifyGetKey = config.JWT_JWKS_FILE
      ? createLocalJWKSet(JSON.parse(readFileSync(config.JWT_JWKS_FILE, 'utf8')))
      : createRemoteJWKSet(new URL(config.JWT_JWKS_URL!));
    const algorithms = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
    verifyRaw = (token) => jwtVerify(token, keys, { ...options, algorithms });
  } else {
    mode = 'hs256';
    const secret = new TextEncoder().encode(config.JWT_SECRET ?? DEV_JWT_SECRET);
    verifyRaw = (token) => jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
  }
  // The signature check is the costly part of every request; a token verified once is valid until
  // its exp (the checks below depend only on the token and the clock), so it is not checked again.
  const cache = new TokenCache(config.JWT_CACHE_SIZE ?? DEFAULT_TOKEN_CACHE_SIZE);
  return {
    mode,
    async verify(token: string): Promise<Identity> {
      // Before the cache: only the canonical form of a token is ever a key.
      checkTokenShape(token);
      const cached = cache.get(token);
      // A copy: callers own the identity they are given.
      if (cached) return { ...cached };
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await verifyRaw(token));
      } catch (err) {
        throw unauthenticated(`Invalid token: ${(err as Error).message}`);
      }
      // A token without exp would be valid forever (and a WebSocket opened with it never expires).
      if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) throw unauthenticated('Invalid token: missing exp claim (tokens must expire)');
      const now = Math.floor(Date.now() / 1000);
      const maxLifetime = config.JWT_MAX_LIFETIME_SECONDS ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
      if (payload.exp - now > maxLifetime + CLOCK_TOLERANCE_SECONDS) {
        throw unauthenticated(`Invalid token: exp is more than ${maxLifetime} s ahead (the longest lifetime accepted)`);
      }
      if (typeof payload.iat === 'number' && payload.exp - payload.iat > maxLifetime + CLOCK_TOLERANCE_SECONDS) {
        throw unauthenticated(`Invalid token: lifetime (exp − iat) exceeds ${maxLifetime} s`);
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthenticated('Invalid token: missing sub claim');
      if (!isRole(payload.role)) throw unauthenticated('Invalid token: missing or unknown role claim');
      const identity: Identity = { sub: payload.sub, role: payload.role, token };
      cache.set(token, identity, payload.exp * 1000);
      return { ...identity };
    },
  };
}

/** Extracts the token from an `Authorization: Bearer …` value; undefined when absent. */
export function bearerToken(header: string | string[] | undefined | null): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(value.trim());
  if (!m) throw unauthenticated('Authorization header must be "Bearer <token>"');
  return m[1];
}

export interface SignerConfig {
  JWT_SECRET?: string;
  /** A private JWK (JSON file) with `kid` and `alg`; its public half is published in the verifiers' JWKS. */
  signingKeyFile?: string;
  issuer?: string;
  audience?: string;
}

/** Signs tokens for service-to-service calls (e.g. the Moderator calling billing's recordSelection). */
export async function createTokenSigner(config: SignerConfig) {
  let key: KeyLike | Uint8Array;
  let header: { alg: string; kid?: string };
  if (config.signingKeyFile) {
    const jwk = JSON.parse(readFileSync(config.signingKeyFile, 'utf8')) as JWK;
    if (!jwk.alg) throw new Error(`${config.signingKeyFile}: the private JWK must name its "alg"`);
    key = (await importJWK(jwk, jwk.alg)) as KeyLike;
    header = { alg: jwk.alg, kid: jwk.kid };
  } else {
    key = new TextEncoder().encode(config.JWT_SECRET ?? DEV_JWT_SECRET);
    header = { alg: 'HS256' };
  }
  return async function sign(sub: string, role: Role, expiresIn = '10m'): Promise<string> {
    let jwt = new SignJWT({ role }).setProtectedHeader(header).setSubject(sub).setIssuedAt().setExpirationTime(expiresIn);
    if (config.issuer) jwt = jwt.setIssuer(config.issuer);
    if (config.audience) jwt = jwt.setAudience(config.audience);
    return jwt.sign(key);
  };
}
