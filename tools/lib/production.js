'use strict';
// Whether an environment is production, as the services decide it (platform/src/config.ts
// isProduction), for the tools that run without a build: NODE_ENV=production in any case, or any
// production key setting.
const PRODUCTION_KEY_SETTINGS = ['JWT_JWKS_FILE', 'JWT_JWKS_URL', 'MODERATOR_SIGNING_KEY_FILE', 'BILLING_SIGNING_KEY_FILE'];

function isProduction(env = process.env) {
  return String(env.NODE_ENV ?? '').trim().toLowerCase() === 'production' || PRODUCTION_KEY_SETTINGS.some((k) => !!env[k]);
}

module.exports = { isProduction, PRODUCTION_KEY_SETTINGS };
