'use strict';
// `npm run -s keys -- [--out DIR] [--public-url URL] [--issuer ISS] [--audience AUD] [--alg ES256] [--force]`:
// every key and secret a production deployment needs (docs/TOKENS.md, docs/SECURITY.md), written
// to DIR (default ./exchange-keys, git-ignored) with the folder 0700, private files 0600:
//   issuer-private.jwk.json     signs people's and systems' tokens (npm run -s token -- --key …)
//   moderator-private.jwk.json  MODERATOR_SIGNING_KEY_FILE: the moderator's calls to billing
//   billing-private.jwk.json    BILLING_SIGNING_KEY_FILE: billing's calls to the moderator
//   *-public.jwk.json, jwks.json the public halves; jwks.json (all three) is JWT_JWKS_FILE
//   production.env              the variables to set (NODE_ENV, JWT_*, key files, BILL_LINK_SECRET,
//                               BOARD_PSEUDONYM_SECRET, BILLING_PUBLIC_URL), printed as well
// Nothing is overwritten without --force. An independent billing operator runs it on its own host
// and hands only public files over (docs/TOKENS.md, "Two operators").
const { randomBytes } = require('node:crypto');
const { chmodSync, existsSync, mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { exportJWK, generateKeyPair } = require('jose');

const ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];
const KEYS = [
  ['issuer', 'signs the tokens of people and systems (npm run -s token -- --key …; or your identity provider)'],
  ['moderator', 'MODERATOR_SIGNING_KEY_FILE: the moderator signs its calls to billing with it'],
  ['billing', 'BILLING_SIGNING_KEY_FILE: billing signs its calls to the moderator with it (BILL_DELIVERY_PATH=VIA_MODERATOR)'],
];

function fail(message) {
  console.error(`keys: ${message}`);
  process.exit(2);
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'exchange-keys' },
      'public-url': { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      alg: { type: 'string', default: 'ES256' },
      force: { type: 'boolean', default: false },
    },
  });
  if (!ALGORITHMS.includes(values.alg)) fail(`--alg must be one of ${ALGORITHMS.join(', ')}`);
  if (values['public-url'] !== undefined && !/^https?:\/\/[^\s/]+/.test(values['public-url'])) fail('--public-url must be an http(s) URL: the public base of the posted bills, e.g. the gateway\'s public URL');
  const dir = path.resolve(process.env.INIT_CWD || process.cwd(), values.out);
  const files = ['jwks.json', 'production.env', ...KEYS.flatMap(([n]) => [`${n}-private.jwk.json`, `${n}-public.jwk.json`])];
  const present = files.filter((f) => existsSync(path.join(dir, f)));
  if (present.length && !values.force) fail(`${dir} already holds ${present.join(', ')}: keys in use are never overwritten (another --out, or --force to replace them)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const write = (name, text, mode) => {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode });
    chmodSync(file, mode); // writeFileSync keeps the mode of a file it replaces
    return file;
  };

  const stamp = new Date().toISOString().slice(0, 10);
  const publics = [];
  const paths = {};
  for (const [name] of KEYS) {
    const kid = `${name}-${stamp}-${randomBytes(4).toString('hex')}`;
    const { publicKey, privateKey } = await generateKeyPair(values.alg, { extractable: true, ...(values.alg.startsWith('RS') || values.alg.startsWith('PS') ? { modulusLength: 3072 } : {}) });
    const pub = { ...(await exportJWK(publicKey)), kid, alg: values.alg, use: 'sig' };
    const priv = { ...(await exportJWK(privateKey)), kid, alg: values.alg, use: 'sig' };
    paths[name] = write(`${name}-private.jwk.json`, `${JSON.stringify(priv, null, 2)}\n`, 0o600);
    write(`${name}-public.jwk.json`, `${JSON.stringify(pub, null, 2)}\n`, 0o644);
    publics.push(pub);
  }
  const jwks = write('jwks.json', `${JSON.stringify({ keys: publics }, null, 2)}\n`, 0o644);
  const secret = () => randomBytes(32).toString('base64url');
  const lines = [
    'NODE_ENV=production',
    `JWT_JWKS_FILE=${jwks}`,
    ...(values.issuer ? [`JWT_ISSUER=${values.issuer}`] : []),
    ...(values.audience ? [`JWT_AUDIENCE=${values.audience}`] : []),
    `MODERATOR_SIGNING_KEY_FILE=${paths.moderator}`,
    `BILLING_SIGNING_KEY_FILE=${paths.billing}`,
    `BILL_LINK_SECRET=${secret()}`,
    `BOARD_PSEUDONYM_SECRET=${secret()}`,
    values['public-url'] ? `BILLING_PUBLIC_URL=${values['public-url'].replace(/\/+$/, '')}` : '# BILLING_PUBLIC_URL=https://exchange.example   (required: the public base of posted bills; the gateway forwards /bills/)',
  ];
  const env = write('production.env', `# written by npm run keys on ${new Date().toISOString()}; keep this folder private\n${lines.join('\n')}\n`, 0o600);

  console.error(`keys: wrote ${dir} (folder 0700, private keys and production.env 0600):`);
  for (const [name, what] of KEYS) console.error(`  ${`${name}-private.jwk.json`.padEnd(27)} ${what}`);
  console.error(`  ${'jwks.json'.padEnd(27)} JWT_JWKS_FILE: the public keys every service trusts`);
  console.error(`  ${'production.env'.padEnd(27)} the lines below; load them with: set -a; . ${env}; set +a`);
  if (!values['public-url']) console.error('  BILLING_PUBLIC_URL is still to be set (production refuses to start without it)');
  console.error(`a token to try it: npm run -s token -- --key ${paths.issuer} --role ADMIN --sub ops`);
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`keys: ${err.message}`);
  process.exit(1);
});
