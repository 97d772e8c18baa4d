/**
 * Micro-benchmark for RoutingIndex.lookup (in-process lookups/s over 100,000 prefixes). `npm run
 * bench` runs it through runRoutingMicro(); it also runs on its own (no TypeScript runner is
 * installed, so through @swc/core from the repo root):
 *
 *   node -e "const s=require('@swc/core'),fs=require('fs');require.extensions['.ts']=(m,f)=>m._compile(s.transformSync(fs.readFileSync(f,'utf8'),{filename:f,jsc:{parser:{syntax:'typescript'},target:'es2022'},module:{type:'commonjs'}}).code,f);require('./bench/routing-micro.ts').main()"
 */
import { RoutingIndex } from '../moderator-subgraph/src/domain/routing';

export const PREFIXES = 100_000;
export const BUYERS = 4;
const LOOKUPS = 5_000_000;

/** Deterministic PRNG (mulberry32) so runs are comparable. */
export function prng(seed0 = 0x5eed): () => number {
  let seed = seed0;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function digitsOf(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rnd() * 10));
  return s;
}

/** Country-code-like head (1-3 digits, no leading 0) and 1-7 more digits: lengths 2-10. */
export function prefixOf(rnd: () => number): string {
  return String(1 + Math.floor(rnd() * 9)) + digitsOf(rnd, Math.floor(rnd() * 3)) + digitsOf(rnd, 1 + Math.floor(rnd() * 7));
}

/** Dialled numbers: half extend a stored prefix, half are random, all 11-13 digits, flattened strings. */
export function sampleNumbers(rnd: () => number, stored: string[], count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const head = i % 2 === 0 ? stored[Math.floor(rnd() * stored.length)] : String(1 + Math.floor(rnd() * 9));
    // Flattened, as a number parsed off the wire would be (concatenation leaves a rope).
    out.push(Buffer.from(head + digitsOf(rnd, Math.max(0, 11 + Math.floor(rnd() * 3) - head.length))).toString('latin1'));
  }
  return out;
}

export interface RoutingMicroResult {
  prefixes: number;
  buyers: number;
  lookups: number;
  ms: number;
  lookupsPerSec: number;
  /** Per CPU-second of this process: what the loop achieves when it has a core to itself. */
  lookupsPerCpuSec: number;
  hitRatio: number;
  indexHeapMB: number;
  buildMs: number;
}

export function runRoutingMicro(opts: { prefixes?: number; lookups?: number } = {}): RoutingMicroResult {
  const prefixes = opts.prefixes ?? PREFIXES;
  const lookups = opts.lookups ?? LOOKUPS;
  const rnd = prng();
  const heapBefore = process.memoryUsage().heapUsed;
  const b0 = process.hrtime.bigint();
  const index = new RoutingIndex();
  const base = Date.UTC(2030, 0, 1);
  const day = 86_400_000;
  const stored: string[] = [];
  for (let i = 0; i < prefixes; i++) {
    const p = prefixOf(rnd);
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
  const buildMs = Number(process.hrtime.bigint() - b0) / 1e6;
  const indexMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;

  const SAMPLE = 1 << 16;
  const numbers = sampleNumbers(rnd, stored, SAMPLE);
  const buyers: string[] = [];
  for (let i = 0; i < SAMPLE; i++) buyers.push(`buyer-${Math.floor(rnd() * BUYERS)}`);
  const at = new Date(base + 2 * day);

  const run = (count: number) => {
    let hits = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const k = i & (SAMPLE - 1);
      if (index.lookup(buyers[k], numbers[k], at).entry !== null) hits++;
    }
    const c = process.cpuUsage(c0);
    return { hits, ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (c.user + c.system) / 1000 };
  };
  run(Math.min(500_000, lookups)); // warm-up so the JIT has optimised lookup
  const { hits, ms, cpuMs } = run(lookups);
  return {
    prefixes,
    buyers: BUYERS,
    lookups,
    ms,
    lookupsPerSec: Math.round(lookups / (ms / 1000)),
    lookupsPerCpuSec: Math.round(lookups / (cpuMs / 1000)),
    hitRatio: hits / lookups,
    indexHeapMB: indexMb,
    buildMs,
  };
}

export function main(): void {
  const r = runRoutingMicro();
  console.log(
    `${r.prefixes} prefixes, ${r.buyers} buyers: ${r.lookups} lookups in ${r.ms.toFixed(0)} ms = ` +
      `${r.lookupsPerSec.toLocaleString('en-US')} lookups/s ` +
      `(hit ratio ${r.hitRatio.toFixed(3)}, index build grew heap by ~${r.indexHeapMB.toFixed(0)} MB)`,
  );
}
