// Summarises a .cpuprofile (from BENCH_CPU_PROF=dir npm run bench): self time by package/file and by function.
//   node bench/lib/cpuprofile.js <file.cpuprofile> [top N]
//   CPUPROFILE_LAST_S=20 node bench/lib/cpuprofile.js …   only the profile's last 20 s (the measured
//                                                          phase after a benchmark's seeding)
const fs = require('fs');
const p = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const N = Number(process.argv[3] || 25);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; let total = 0;
const counts = new Map();
const span = dt.reduce((a, d) => a + d, 0);
const from = process.env.CPUPROFILE_LAST_S ? span - Number(process.env.CPUPROFILE_LAST_S) * 1e6 : -Infinity;
let at = 0;
for (let i = 0; i < p.samples.length; i++) {
  at += dt[i] || 0;
  if (at < from) continue;
  counts.set(p.samples[i], (counts.get(p.samples[i]) || 0) + (dt[i] || 0));
  total += dt[i] || 0;
}
const byFn = new Map(); const byFile = new Map();
for (const [id, t] of counts) {
  const n = byId.get(id); const cf = n.callFrame;
  const k = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '')}:${cf.lineNumber}`;
  byFn.set(k, (byFn.get(k) || 0) + t);
  let f = cf.url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1').replace(/.*\/work\/main\//, '');
  if (!f) f = cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  byFile.set(f, (byFile.get(f) || 0) + t);
}
const pr = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, N).forEach(([k, t]) => console.log(`${(t / 1000).toFixed(0).padStart(7)} ms ${(100 * t / total).toFixed(1).padStart(5)}%  ${k}`));
console.log(`total ${(total / 1000).toFixed(0)} ms`); console.log('--- by package/file'); pr(byFile); console.log('--- by function'); pr(byFn);
