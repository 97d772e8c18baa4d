'use strict';
// Where a bench run writes its report. bench/results/latest.json is the committed one and holds a
// single run of every benchmark at full scale; anything less (BENCH_ONLY, BENCH_SCALE ≠ 1) goes to
// bench/results/partial.json, which is not committed, or to BENCH_OUT. So a file mixing runs (the
// old BENCH_MERGE) or a quick run cannot end up committed as latest.json by accident.
const path = require('node:path');

function resultsFile({ only = [], out, dir, scale = 1 }) {
  const latest = path.join(dir, 'latest.json');
  const whole = only.length === 0 && scale === 1;
  if (!out) return whole ? latest : path.join(dir, 'partial.json');
  const file = path.resolve(out);
  if (file === path.resolve(latest) && !whole) {
    throw new Error(`BENCH_OUT: ${path.relative(process.cwd(), latest)} holds one run of every benchmark at scale 1; this run (${only.length ? `BENCH_ONLY=${only.join(',')}` : ''}${only.length && scale !== 1 ? ', ' : ''}${scale !== 1 ? `BENCH_SCALE=${scale}` : ''}) writes elsewhere`);
  }
  return file;
}

/**
 * Why a report is not one whole run, or [] when it is: every benchmark present, each measured
 * between the run's start and end, at scale 1.
 */
function notOneRun(report, benchmarks) {
  const problems = [];
  if (report.scale !== 1) problems.push(`scale ${report.scale}, not 1`);
  const start = Date.parse(report.startedAt);
  const end = start + report.durationSeconds * 1000;
  for (const key of benchmarks) {
    const r = report.results?.[key];
    if (!r) {
      problems.push(`${key}: missing`);
      continue;
    }
    if (r.error) continue; // a failure of this run is part of this run
    const at = Date.parse(r.measuredAt);
    if (!(at >= start && at <= end)) problems.push(`${key}: measured at ${r.measuredAt}, outside this run (${report.startedAt}, ${report.durationSeconds} s)`);
  }
  for (const key of Object.keys(report.results ?? {})) if (!benchmarks.includes(key)) problems.push(`${key}: not a benchmark of this bench`);
  return problems;
}

module.exports = { resultsFile, notOneRun };
