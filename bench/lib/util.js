'use strict';
const { createTokenSigner } = require('../../platform/dist');

/** Benchmark scale: BENCH_SCALE=0.1 for a quick run (default 1 = full scale). */
const SCALE = (() => {
  const v = Number(process.env.BENCH_SCALE ?? '1');
  if (!Number.isFinite(v) || v <= 0 || v > 10) throw new Error(`BENCH_SCALE must be a number in (0, 10], not ${process.env.BENCH_SCALE}`);
  return v;
})();
const scaled = (n, min = 1) => Math.max(min, Math.round(n * SCALE));

// Development tokens, signed the way the services sign theirs (the development secret).
const signer = createTokenSigner({});
async function token(role, sub, expiresIn = '6h') {
  return (await signer)(sub, role, expiresIn);
}

async function gql(url, query, variables = {}, bearer, { timeoutMs = 600_000 } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.json();
  return { ...body, status: res.status };
}

/** A GraphQL POST through node:http, without fetch's 5-minute wait for response headers (bill runs). */
function gqlLong(url, query, variables = {}, bearer) {
  const http = require('node:http');
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (parsed.errors?.length || !parsed.data) reject(new Error(`GraphQL call to ${url} failed (${res.statusCode}): ${JSON.stringify(parsed.errors).slice(0, 2000)}`));
            else resolve(parsed.data);
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function gqlOk(url, query, variables, bearer, opts) {
  const r = await gql(url, query, variables, bearer, opts);
  if (r.errors?.length || !r.data) throw new Error(`GraphQL call to ${url} failed (${r.status}): ${JSON.stringify(r.errors).slice(0, 2000)}`);
  return r.data;
}

/** Nearest-rank percentile of an ascending-sorted array. */
function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summarize(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.length ? s[s.length - 1] : null, mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? v : Math.round(v * 10 ** d) / 10 ** d);

/** Runs `fn` `total` times with at most `concurrency` in flight; returns each call's latency (ms) and the wall time. */
async function closedLoop(total, concurrency, fn) {
  const latencies = new Array(total);
  let next = 0;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = nowMs();
        await fn(i);
        latencies[i] = nowMs() - s;
      }
    }),
  );
  return { latencies, wallMs: nowMs() - t0 };
}

module.exports = { SCALE, scaled, token, gql, gqlOk, gqlLong, pct, summarize, nowMs, sleep, round, closedLoop };
