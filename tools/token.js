'use strict';
// `npm run token -- --role BUYER --sub <id> [--expires 12h]`: a development token (always with exp), signed with
// the development secret (or JWT_SECRET). Refuses when production keys are configured, so it
// can never mint tokens that a production deployment would accept.
const { parseArgs } = require('node:util');
const { SignJWT } = require('jose');

const ROLES = ['BUYER', 'CARRIER', 'PARTNER', 'ADMIN', 'MODERATOR', 'BILLING_AGENT', 'METER', 'LEC'];
// Must equal DEV_JWT_SECRET in platform/src/auth.ts (kept literal so this runs without a build).
const DEV_JWT_SECRET = 'telecom-exchange-development-secret-do-not-use-in-production';

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };
/** Seconds of a duration like `90s`, `30m`, `12h`, `1d`; undefined when it is not one. */
function secondsOf(text) {
  const m = /^(\d{1,7})\s*([smhd])$/.exec(String(text).trim());
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

async function main() {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, sub: { type: 'string' }, expires: { type: 'string', default: '12h' } },
  });
  if (process.env.JWT_JWKS_FILE || process.env.JWT_JWKS_URL || String(process.env.NODE_ENV ?? '').trim().toLowerCase() === 'production') {
    console.error('Refusing: production keys are configured (JWT_JWKS_FILE/JWT_JWKS_URL or NODE_ENV=production). Issue tokens with your identity provider.');
    process.exit(2);
  }
  if (!values.role || !ROLES.includes(values.role)) {
    console.error(`--role must be one of ${ROLES.join(', ')}`);
    process.exit(2);
  }
  if (!values.sub) {
    console.error('--sub <party id> is required');
    process.exit(2);
  }
  // Every token expires (the services refuse one without exp), at most JWT_MAX_LIFETIME_SECONDS ahead.
  const maxLifetime = Number(process.env.JWT_MAX_LIFETIME_SECONDS || 86400);
  const lifetime = secondsOf(values.expires);
  if (lifetime === undefined || lifetime <= 0 || lifetime > maxLifetime) {
    console.error(`--expires must be a duration such as 30m, 12h or 1d, at most ${maxLifetime} s (JWT_MAX_LIFETIME_SECONDS)`);
    process.exit(2);
  }
  const secret = new TextEncoder().encode(process.env.JWT_SECRET || DEV_JWT_SECRET);
  const token = await new SignJWT({ role: values.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(values.sub)
    .setIssuedAt()
    .setExpirationTime(`${lifetime}s`)
    .sign(secret);
  console.log(token);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
