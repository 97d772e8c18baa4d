'use strict';
// `npm run -s demo-cdr -- [--buyer buyer-acme] [--carrier ID] [--calls 8] [--out Master.csv]`: an
// Asterisk Master.csv (cdr_csv, 18 columns, times in UTC) of answered calls that bill in the running
// demo: the calls are placed under a live VOICE award of the demo market (the buyer's request, the
// carrier that won it, a destination of its routes, answered in the last few minutes and inside the
// award's interval), so `npm run ingest` associates and rates every one and the demo market's next
// bill run bills them. It prints the import command for the file. Development only: it reads the
// awards through the gateway with a development ADMIN token, refused in production.
const { randomInt } = require('node:crypto');
const { writeFileSync } = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { SignJWT } = require('jose');
const { isProduction } = require('./lib/production');

// Must equal DEV_JWT_SECRET in platform/src/auth.ts (kept literal so this runs without a build).
const DEV_JWT_SECRET = 'telecom-exchange-development-secret-do-not-use-in-production';
const AWARDS = `query { serviceRequests(filter: { status: AWARDED }, first: 200) { id serviceType buyer { id } interval { start end } routes { destination } selection { carrier { id } } } }`;
/** Calls are answered at most this long ago: the demo market bills a 5-minute period about 5 minutes after it ends. */
const LOOKBACK_MS = 4 * 60_000;

function fail(message, code = 2) {
  console.error(`demo-cdr: ${message}`);
  process.exit(code);
}

const pad = (n) => String(n).padStart(2, '0');
/** Asterisk's cdr_csv time: `YYYY-MM-DD HH:MM:SS`, here in UTC (import with --timezone UTC). */
const wall = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};
const q = (v) => `"${String(v).replace(/"/g, '""')}"`;

/** An E.164 number under `prefix` (11 digits in zone 1, else 12), random after the prefix. */
function numberUnder(prefix) {
  const length = Math.max(prefix.startsWith('1') ? 11 : 12, prefix.length + 4);
  let n = prefix;
  while (n.length < length) n += String(randomInt(10));
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      buyer: { type: 'string', default: 'buyer-acme' },
      carrier: { type: 'string' },
      calls: { type: 'string', default: '8' },
      out: { type: 'string' },
      equipment: { type: 'string', default: 'pbx-demo-1' },
      gateway: { type: 'string' },
    },
  });
  if (isProduction(process.env)) fail('refused in production: it reads the demo market\'s awards with a development token');
  const calls = Number(values.calls);
  if (!Number.isInteger(calls) || calls < 1 || calls > 1000) fail('--calls must be 1 to 1000');
  const gateway = values.gateway ?? process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.GATEWAY_PORT || 4000}/graphql`;
  const token = await new SignJWT({ role: 'ADMIN' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('demo-cdr')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(process.env.JWT_SECRET || DEV_JWT_SECRET));
  let body;
  try {
    const res = await fetch(gateway, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: AWARDS }) });
    body = await res.json();
  } catch (err) {
    fail(`cannot reach the gateway at ${gateway} (${err.cause?.code ?? err.message}); start the demo with npm start, or set --gateway / GATEWAY_URL`, 1);
  }
  if (!body?.data?.serviceRequests) fail(`the gateway at ${gateway} did not list the awards: ${body?.errors?.[0]?.message ?? 'no data'}`, 1);

  const now = Date.now();
  const live = body.data.serviceRequests
    .filter((r) => r.serviceType === 'VOICE' && r.selection?.carrier && r.routes.length > 0)
    .map((r) => ({ id: r.id, buyer: r.buyer?.id, carrier: r.selection.carrier.id, start: Date.parse(r.interval.start), end: Date.parse(r.interval.end), destinations: r.routes.map((x) => x.destination) }))
    .filter((r) => r.start <= now - 30_000 && r.end > now);
  const fits = live.filter((r) => r.buyer === values.buyer && (!values.carrier || r.carrier === values.carrier));
  if (fits.length === 0) {
    const pairs = [...new Set(live.map((r) => `--buyer ${r.buyer} --carrier ${r.carrier}`))];
    fail(
      `no live VOICE award of ${values.buyer}${values.carrier ? ` won by ${values.carrier}` : ''} yet (the demo market awards its first requests a minute or two after npm start).` +
        (pairs.length ? ` Live now: ${pairs.join('; ')}` : ' No award is live yet: run this again in a minute.'),
      3,
    );
  }
  // The award that has run longest: the widest window of past answer times.
  const award = fits.sort((a, b) => a.start - b.start)[0];
  // Whole seconds (the file has no fractions), strictly inside the award's interval.
  const from = Math.ceil(Math.max(award.start, now - LOOKBACK_MS) / 1000) * 1000 + 1000;
  const to = Math.floor(now / 1000) * 1000 - 5_000;
  const rows = [];
  const base = randomInt(1000, 9000);
  for (let i = 0; i < calls; i++) {
    const seconds = randomInt(15, Math.max(16, Math.min(180, Math.floor((to - from) / 1000) - 5)));
    const answer = from + randomInt(0, Math.max(1, Math.floor((to - from) / 1000) - seconds)) * 1000;
    const ring = randomInt(2, 9);
    const start = answer - ring * 1000;
    const end = answer + seconds * 1000;
    const called = numberUnder(award.destinations[i % award.destinations.length]);
    const src = `1212555${String(randomInt(10000)).padStart(4, '0')}`;
    const ext = 1000 + (i % 20);
    rows.push([
      q('demo'), q(src), q(`00${called}`), q('from-internal'), q(`"Demo ${ext}" <${src}>`),
      q(`PJSIP/${ext}-${String(i * 2 + 1).padStart(8, '0')}`), q(`PJSIP/trunk-out-${String(i * 2 + 2).padStart(8, '0')}`),
      q('Dial'), q(`PJSIP/00${called}@trunk-out,60,tT`), q(wall(start)), q(wall(answer)), q(wall(end)),
      ring + seconds, seconds, q('ANSWERED'), q('BILLING'), q(`${Math.floor(start / 1000)}.${base + i}`), q(''),
    ].join(','));
  }
  const text = `${rows.join('\n')}\n`;
  const shown = values.out ?? 'calls.csv';
  if (values.out) writeFileSync(path.resolve(process.env.INIT_CWD || process.cwd(), values.out), text);
  else process.stdout.write(text);
  console.error(
    `demo-cdr: ${values.out ? `wrote ${values.out}: ` : ''}${calls} answered calls of ${award.buyer} to ${award.destinations.join(', ')}…, ` +
      `request ${award.id} won by ${award.carrier}, answered ${wall(from)}–${wall(to)} UTC. Import it with:\n` +
      `  export BILLING_TOKEN=$(npm run -s token -- --role BILLING_AGENT --sub agent)\n` +
      `  npm run ingest -- ${shown} --buyer ${award.buyer} --carrier ${award.carrier} --equipment ${values.equipment} --timezone UTC`,
  );
}

main().catch((err) => fail(err.message, 1));
