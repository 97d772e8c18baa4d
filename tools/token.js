'use strict';
// `npm run token -- --role BUYER --sub <id> [--expires 12h]`: a development token, signed with
// the development secret (or JWT_SECRET). Refuses when production keys are configured, so it
// can never mint tokens that a production deployment would accept.
const { parseArgs } = require('node:util');
const { SignJWT } = require('jose');

const ROLES = ['BUYER', 'CARRIER', 'PARTNER', 'ADMIN', 'MODERATOR', 'BILLING_AGENT', 'METER', 'LEC'];
// Must equal DEV_JWT_SECRET in platform/src/auth.ts (kept literal so this runs without a build).
const DEV_JWT_SECRET = 'telecom-exchange-development-secret-do-not-use-in-production';

async function main() {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, sub: { type: 'string' }, expires: { type: 'string', default: '12h' } },
  });
  if (process.env.JWT_JWKS_FILE || process.env.JWT_JWKS_URL || process.env.NODE_ENV === 'production') {
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
  const secret = new TextEncoder().encode(process.env.JWT_SECRET || DEV_JWT_SECRET);
  const token = await new SignJWT({ role: values.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(values.sub)
    .setIssuedAt()
    .setExpirationTime(values.expires)
    .sign(secret);
  console.log(token);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
