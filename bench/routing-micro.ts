/**
 * Micro-benchmark for RoutingIndex.lookup (not a test). Prints lookups/s over 100,000 prefixes.
 * No TypeScript runner is installed, so run it through @swc/core from the repo root:
 *
 *   node -e "const s=require('@swc/core'),fs=require('fs');require.extensions['.ts']=(m,f)=>m._compile(s.transformSync(fs.readFileSync(f,'utf8'),{filename:f,jsc:{parser:{syntax:'typescript'},target:'es2022'},module:{type:'commonjs'}}).code,f);require('./bench/routing-micro.ts')"
 */
import { RoutingIndex } from '../moderator-subgraph/src/domain/routing';

const PREFIXES = 100_000;
const BUYERS = 4;
const LOOKUPS = 5_000_000;

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 0x5eed;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function digits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rnd() * 10));
  return s;
}
function prefix(): string {
  // Country-code-like head (1-3 digits, no leading 0) and 1-7 more digits: lengths 2-10.
  return String(1 + Math.floor(rnd() * 9)) + digits(Math.floor(rnd() * 3)) + digits(1 + Math.floor(rnd() * 7));
}

const heapBefore = process.memoryUsage().heapUsed;
const index = new RoutingIndex();
const base = Date.UTC(2030, 0, 1);
const day = 86_400_000;
const stored: string[] = [];
for (let i = 0; i < PREFIXES; i++) {
  const p = prefix();
  stored.push(p);
  // A quarter of the entries are outside the probe time, forcing fallback to shorter prefixes.
  const start = i % 4 === 0 ? base + 10 * day : base;
  index.upsert({
    selectionId: `sel-${i}`,
    buyerId: `buyer-${i % BUYERS}`,
    carrierId: `carrier-${i % 37}`,
    prefix: p,
    intervalStart: new Date(start),
    intervalEnd: new Date(start + 5 * day),
    ratePerUnit: '0.0125',
    currency: 'USD',
    requestId: `req-${i % 1000}`,
  });
}

const indexMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;

// Half the numbers extend a stored prefix, half are random, all 11-13 digits.
const SAMPLE = 1 << 16;
const numbers: string[] = [];
const buyers: string[] = [];
for (let i = 0; i < SAMPLE; i++) {
  const head = i % 2 === 0 ? stored[Math.floor(rnd() * stored.length)] : String(1 + Math.floor(rnd() * 9));
  // Flattened, as a number parsed off the wire would be (concatenation leaves a rope).
  numbers.push(Buffer.from(head + digits(Math.max(0, 11 + Math.floor(rnd() * 3) - head.length))).toString('latin1'));
  buyers.push(`buyer-${Math.floor(rnd() * BUYERS)}`);
}
const at = new Date(base + 2 * day);

function run(count: number): { hits: number; ms: number } {
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const k = i & (SAMPLE - 1);
    if (index.lookup(buyers[k], numbers[k], at).entry !== null) hits++;
  }
  return { hits, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

run(500_000); // warm-up so the JIT has optimised lookup
const { hits, ms } = run(LOOKUPS);
console.log(
  `${PREFIXES} prefixes, ${BUYERS} buyers: ${LOOKUPS} lookups in ${ms.toFixed(0)} ms = ` +
    `${Math.round(LOOKUPS / (ms / 1000)).toLocaleString('en-US')} lookups/s ` +
    `(hit ratio ${(hits / LOOKUPS).toFixed(3)}, index build grew heap by ~${indexMb.toFixed(0)} MB)`,
);
