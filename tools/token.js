'use strict';
// `npm run -s token -- --role BUYER --sub <id> [--expires 12h]`: a development token (always with exp),
// signed with the development secret (or JWT_SECRET). Refuses when production keys are configured,
// so it can never mint tokens that a production deployment would accept.
// `npm run -s token -- --key <private JWK file> --role ADMIN --sub <id>`: a token signed with that
// key (one `npm run keys` wrote, or your identity provider's), with JWT_ISSUER/JWT_AUDIENCE (or
// --issuer/--audience); it works in production because the key is the operator's own, never a
// default anyone can read here. The token format: docs/TOKENS.md.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { SignJWT, importJWK } = require('jose');
const { isProduction } = require('./lib/production');

const ROLES = ['BUYER', 'CARRIER', 'PARTNER', 'ADMIN', 'MODERATOR', 'BILLING_AGENT', 'METER', 'LEC'];
// Must equal DEV_JWT_SECRET in platform/src/auth.ts (kept literal so this runs without a build).
const DEV_JWT_SECRET = 'telecom-exchange-development-secret-do-not-use-in-production';
/** The asymmetric algorithms the services accept with a JWKS (platform/src/auth.ts). */
const JWKS_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };
/** Seconds of a duration like `90s`, `30m`, `12h`, `1d`; undefined when it is not one. */
function secondsOf(text) {
  const m = /^(\d{1,7})\s*([smhd])$/.exec(String(text).trim());
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

function fail(message) {
  console.error(`token: ${message}`);
  process.exit(2);
}

/** The private JWK in `file`: its key and protected header, or a one-line reason it cannot sign. */
async function signingKey(file) {
  const where = path.resolve(process.env.INIT_CWD || process.cwd(), file);
  let jwk;
  try {
    jwk = JSON.parse(readFileSync(where, 'utf8'));
  } catch (err) {
    fail(`--key ${file}: cannot read a JSON private key at ${where} (${err.code ?? err.message})`);
  }
  if (!jwk || typeof jwk !== 'object' || !jwk.d) fail(`--key ${file}: not a private JWK (no "d"); give the private key file, not the public one`);
  if (!JWKS_ALGORITHMS.includes(jwk.alg)) fail(`--key ${file}: "alg" must be one of ${JWKS_ALGORITHMS.join(', ')} (got ${JSON.stringify(jwk.alg)})`);
  return { key: await importJWK(jwk, jwk.alg), header: { alg: jwk.alg, ...(jwk.kid ? { kid: jwk.kid } : {}) } };
}

async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      sub: { type: 'string' },
      expires: { type: 'string', default: '12h' },
      key: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
    },
  });
  if (!values.key && isProduction(process.env)) {
    fail('refusing to sign with the development secret: production keys are configured (JWT_JWKS_FILE/JWT_JWKS_URL, a signing key file or NODE_ENV=production). Sign with your own key: --key <private JWK> (npm run keys writes one; docs/TOKENS.md)');
  }
  if (!values.role || !ROLES.includes(values.role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  if (!values.sub) fail('--sub <party id> is required');
  // Every token expires (the services refuse one without exp), at most JWT_MAX_LIFETIME_SECONDS ahead.
  const maxLifetime = Number(process.env.JWT_MAX_LIFETIME_SECONDS || 86400);
  const lifetime = secondsOf(values.expires);
  if (lifetime === undefined || lifetime <= 0 || lifetime > maxLifetime) {
    fail(`--expires must be a duration such as 30m, 12h or 1d, at most ${maxLifetime} s (JWT_MAX_LIFETIME_SECONDS)`);
  }
  let key;
  let header;
  if (values.key) ({ key, header } = await signingKey(values.key));
  else {
    key = new TextEncoder().encode(process.env.JWT_SECRET || DEV_JWT_SECRET);
    header = { alg: 'HS256' };
  }
  let jwt = new SignJWT({ role: values.role }).setProtectedHeader(header).setSubject(values.sub).setIssuedAt().setExpirationTime(`${lifetime}s`);
  const issuer = values.issuer ?? process.env.JWT_ISSUER;
  const audience = values.audience ?? process.env.JWT_AUDIENCE;
  if (issuer) jwt = jwt.setIssuer(issuer);
  if (audience) jwt = jwt.setAudience(audience);
  console.log(await jwt.sign(key));
}

main().catch((err) => {
  console.error(`token: ${err.message}`);
  process.exit(1);
});
