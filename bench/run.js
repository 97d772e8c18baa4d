'use strict';
// `npm run bench`: every benchmark on this machine against the embedded database (FerretDB on a
// temporary SQLite directory, started as the integration tests start it), a table and the goals
// (met / unmet) on stdout, and bench/results/latest.json with the machine, the versions and every
// figure, all from this one run.
//
//   npm run bench                            full scale: 15 min to over 40 min on 2 cores, most of
//                                            it the bill run's 1,000,000 records (see the README)
//   BENCH_SCALE=0.1 npm run bench            quick run (~5 min): every size scaled down
//   BENCH_ONLY=ingest,billrun npm run bench  some benchmarks only (route: the switch-facing route server)
//   BENCH_ONLY=peers npm run bench           the gateway against Hive Gateway (JS and Rust planner), ~12 min
//   BENCH_OUT=/tmp/x.json                    write the report there instead (never latest.json
//                                            unless the run is whole)
//   BENCH_CPU_PROF=/tmp/prof npm run bench   service processes write .cpuprofile files there
//                                            (summarise one: node bench/lib/cpuprofile.js <file>)
//   BENCH_ONLY=switch npm run bench         calls/s through Kamailio + route server + SIPp (~2 min;
//                                            needs kamailio and sipp, which .ci/run installs)
//   BENCH_BID_RATE=1 npm run bench           bids per second in the fan-out benchmark (default 0.5)
//
// bench/results/latest.json is only ever written by one run of every benchmark at scale 1: a run
// with BENCH_ONLY or another BENCH_SCALE writes bench/results/partial.json (not committed, see
// .gitignore) unless BENCH_OUT names another file, and refuses BENCH_OUT=…/latest.json. No run
// merges figures of another (BENCH_MERGE is gone).
//
// Figures are ratios against a baseline measured in the same run, or counts; absolute rates are
// context (they depend on the machine and on whatever else it is running: see loadAverage).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startDatabase } = require('./lib/db');
const { SCALE, round } = require('./lib/util');
const { GOALS, evaluateGoals, formatGoals } = require('./lib/goals');
const { resultsFile, notOneRun } = require('./lib/results-file');

const BENCHES = [
  ['routing', 'Switch routing', () => require('./routing')],
  ['route', 'Route server', () => require('./route-server')],
  ['switch', 'Calls through Kamailio', () => require('./switch')],
  ['batching', 'Entity batching', () => require('./batching')],
  ['overhead', 'Gateway overhead', () => require('./overhead')],
  ['peers', 'Gateway vs Node peers', () => require('./peers')],
  ['fanout', 'Bid fan-out', () => require('./fanout')],
  ['ingest', 'Usage ingestion', () => require('./ingest')],
  ['billrun', 'Bill run', () => require('./billrun')],
  ['scale', 'Flat cost as data grows', () => require('./scale')],
];

function ferretdbVersion() {
  try {
    const mod = fs.readFileSync(path.join(__dirname, '..', 'tools', 'ferretdb', 'go.mod'), 'utf8');
    return /github\.com\/FerretDB\/FerretDB (v\S+)/.exec(mod)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ferretdb: ferretdbVersion(),
    mongoose: require('mongoose/package.json').version,
  };
}

const fmt = (n) => (n === null || n === undefined ? '–' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n));
const yes = (b) => (b ? 'yes' : '**no**');

/** Markdown rows: benchmark | figure | result | baseline / context | goal | met */
function rows(results) {
  const out = [];
  const r = results;
  if (r.ingest && !r.ingest.error) {
    const x = r.ingest;
    out.push([
      'Usage ingestion',
      `records/s via gateway ingestUsage, batches of ${fmt(x.batchSize)}, idempotent, mediation on; ${fmt(x.clients)} reporters sending at once (${fmt(x.records)} records; meter, LEC, carriers and CDR import, ${fmt(x.crossReportedShare * 100)}% of each batch calls another source reported)`,
      `**${fmt(x.ratioVsRaw)}×** raw (${fmt(x.gatewayRecordsPerSec)} rec/s)`,
      `raw insertMany of the usage documents (same ${x.usageIndexes} indexes, same concurrency): ${fmt(x.rawIndexedRecordsPerSec)} rec/s; one reporter alone (${fmt(x.serial.records)} records): **${fmt(x.serial.ratioVsRaw)}×** (${fmt(x.serial.gatewayRecordsPerSec)} vs ${fmt(x.serial.rawIndexedRecordsPerSec)} rec/s); raw usage + billing record documents (everything stored per record): ${fmt(x.rawUsageAndBillingRecordPerSec)} rec/s, gateway ${fmt(x.ratioVsRawUsageAndBillingRecord)}× that; database CPU ${fmt(x.cpuMsPer1000Records.databaseForGatewayPath)} vs ${fmt(x.cpuMsPer1000Records.databaseForRawIndexed)} ms per 1,000 records; re-sent batch: ${fmt(x.resend.duplicates)} duplicates, ${fmt(x.resend.accepted)} accepted; ${fmt(x.calls)} calls, ${fmt(x.callsNotChargedOnce)} not charged exactly once (${fmt(x.reversals)} superseded charges reversed)`,
      '≥ 0.5× raw and ≥ 5,000 rec/s, every call charged once',
      `${yes(x.ratioVsRaw >= 0.5)} / ${yes(x.gatewayRecordsPerSec >= 5000)} / ${yes(x.everyCallChargedOnce)}`,
    ]);
  }
  if (r.fanout && !r.fanout.error) {
    const x = r.fanout;
    out.push([
      'Bid fan-out',
      `${fmt(x.subscribers)} graphql-ws subscribers, ${fmt(x.bids)} bids at ${x.bidsPerSec}/s: latency p50 / p99 / max`,
      `**${fmt(x.latencyMs.p50)} / ${fmt(x.latencyMs.p99)} / ${fmt(x.latencyMs.max)} ms**, lost **${fmt(x.lost)}**`,
      `latency from the event's first observation (submitBid response or first delivery, whichever came first); ${fmt(x.eventsBeforeResponse)} of ${fmt(x.deliveries)} deliveries arrived before the submitBid response; from sending submitBid: p50 ${fmt(x.latencyFromSendMs.p50)}, p99 ${fmt(x.latencyFromSendMs.p99)} ms; CPU per delivery: moderator ${fmt(x.cpuMsPerDelivery.moderator)} ms, gateway ${fmt(x.cpuMsPerDelivery.gateway)} ms${x.failedBids ? `; ${x.failedBids} submitBid calls failed` : ''}`,
      'p99 < 100 ms, 0 lost',
      yes(x.met),
    ]);
  }
  if (r.overhead && !r.overhead.error) {
    const x = r.overhead;
    out.push([
      'Gateway overhead',
      `${x.query}: latency gateway vs direct to the owning subgraphs`,
      `**${fmt(x.ratioP50)}×** p50 (${fmt(x.gatewayMs.p50)} vs ${fmt(x.directMs.p50)} ms); ${fmt(x.ratioP99)}× p99 (${fmt(x.gatewayMs.p99)} vs ${fmt(x.directMs.p99)} ms)`,
      `throughput ${fmt(x.gatewayRps)} vs ${fmt(x.directRps)} req/s (8 in flight, ${fmt(x.throughputRatio)}×); gateway CPU ${fmt(x.gatewayCpuMsPerRequest)} ms/request`,
      '≤ 1.5× direct latency',
      yes(x.met),
    ]);
  }
  if (r.peers && !r.peers.error) {
    const x = r.peers;
    const cpu = (p) => {
      const c = p.stackCpuMsPerRequest;
      return `${fmt(c.total)} (gateway ${fmt(c.gateway)}, billing ${fmt(c.billing)}, moderator ${fmt(c.moderator)}, database ${fmt(c.database)}, Redis ${fmt(c.redis)})`;
    };
    const calls = (p) => `billing ${fmt(p.subgraphCallsPerRequest.billing)}, moderator ${fmt(p.subgraphCallsPerRequest.moderator)}`;
    for (const f of Object.values(x.figures)) {
      const distinct = f.tokens === 'distinct';
      const page = f.query === 'page';
      out.push([
        distinct ? 'Gateway vs Node peers, distinct tokens' : 'Gateway vs Node peers, same token',
        `${f.what}: requests/s (closed loop), ratio of medians over ${fmt(x.rounds)} interleaved rounds`,
        `**${fmt(f.vsHive.rps)}×** Hive, **${fmt(f.vsHiveRust.rps)}×** Hive+Rust (${fmt(f.project.rps)} vs ${fmt(f.hive.rps)} / ${fmt(f.hiveRust.rps)} req/s)`,
        `p50 ${fmt(f.project.p50Ms)} vs ${fmt(f.hive.p50Ms)} / ${fmt(f.hiveRust.p50Ms)} ms; ` +
          `stack CPU ms/request (project / Hive / Hive+Rust): ${cpu(f.project)} / ${cpu(f.hive)} / ${cpu(f.hiveRust)}; ` +
          `subgraph calls/request: ${calls(f.project)} / ${calls(f.hive)} / ${calls(f.hiveRust)}; ` +
          `every request executed (no kept answers, no deduplication): ${fmt(f.projectPlain.rps)} req/s (${fmt(f.plainVsHive.rps)}× / ${fmt(f.plainVsHiveRust.rps)}×), stack CPU ${cpu(f.projectPlain)} ms, calls ${calls(f.projectPlain)}`,
        distinct
          ? `≥ ${GOALS.distinctRpsVsHiveRust}× Hive+Rust req/s${page ? `; gateway CPU ≤ ${GOALS.gatewayCpuVsHiveRust}× Hive+Rust; stack CPU ≤ ${GOALS.stackCpuMsPerPage} ms; moderator calls = ${GOALS.moderatorCallsPerPage}` : ''}`
          : `≥ 1.0× both peers' req/s${page ? '; gateway CPU ≤ Hive+Rust' : ''}`,
        distinct && page
          ? `${yes(f.rpsMet)} / ${yes(f.cpuMet)} / ${f.stackCpuMet === null ? '–' : yes(f.stackCpuMet)} / ${yes(f.moderatorCallsMet)}`
          : page
            ? `${yes(f.rpsMet)} / ${yes(f.cpuMet)}`
            : yes(f.rpsMet),
      ]);
    }
  }
  if (r.routing && !r.routing.error) {
    const x = r.routing;
    out.push([
      'Switch routing',
      `routeCall lookups/s over ${fmt(x.inProcess.prefixes)} prefixes, in-process`,
      `**${fmt(x.inProcess.lookupsPerSec)}/s**`,
      `${fmt(x.inProcess.lookupsPerCpuSec)} per CPU-second; hit ratio ${fmt(x.inProcess.hitRatio)}; index ~${fmt(x.inProcess.indexHeapMB)} MB heap, built in ${fmt(x.inProcess.buildMs)} ms`,
      '≥ 1,000,000/s',
      x.met ? 'yes' : x.metPerCpuSecond ? 'per CPU-second only (machine busy)' : '**no**',
    ]);
    out.push([
      'Switch routing',
      `routeCall through the gateway (HTTP, ${x.viaGateway.concurrency} in flight, ${fmt(x.viaGateway.prefixes)} prefixes loaded)`,
      `**${fmt(x.viaGateway.perSec)}/s**, p50 ${fmt(x.viaGateway.p50Ms)} ms, p99 ${fmt(x.viaGateway.p99Ms)} ms`,
      `moderator directly: ${fmt(x.moderatorDirect.perSec)}/s, p50 ${fmt(x.moderatorDirect.p50Ms)} ms`,
      'reported',
      '–',
    ]);
  }
  if (r.route && !r.route.error) {
    const x = r.route;
    out.push([
      'Route server',
      `switch lookups on /route/kamailio over ${fmt(x.prefixes)} prefixes (${fmt(x.buyers)} buyers), ${fmt(x.concurrency)} in flight, keep-alive, distinct numbers (${fmt(x.lookups)} lookups in ${fmt(x.rounds)} rounds, median)`,
      `**${fmt(x.lookupsPerSec)}/s, p99 ${fmt(x.p99Ms)} ms** (p50 ${fmt(x.p50Ms)} ms)`,
      `${fmt(x.ratioVsBaseline)}× a bare node:http server with a fixed body, rounds interleaved (${fmt(x.baseline.perSec)}/s, p99 ${fmt(x.baseline.p99Ms)} ms, ${fmt(x.baseline.serverCpuMsPerRequest)} ms CPU/request); answers ${Object.entries(x.statuses).map(([k, v]) => `${k}: ${fmt(v)}`).join(', ')}; CPU per lookup: route server ${fmt(x.serverCpuMsPerLookup)} ms, load generator ${fmt(x.clientCpuMsPerLookup)} ms (same 2 cores)`,
      '≥ 10,000/s and p99 < 5 ms',
      yes(x.met),
    ]);
    out.push([
      'Route server',
      `award → answered by the route server${x.update.acrossInstances ? ' of another instance (Redis pub/sub)' : ''}: p50 / p99 / max over ${fmt(x.update.awards)} awards`,
      `**${fmt(x.update.p50Ms)} / ${fmt(x.update.p99Ms)} / ${fmt(x.update.maxMs)} ms**`,
      'from sending closeBidding to the first 200 of a poll every ~1 ms',
      'p99 < 1 s',
      yes(x.updateMet),
    ]);
  }
  if (r.switch && !r.switch.error) {
    const x = r.switch;
    out.push([
      'Calls through Kamailio',
      `SIPp calls/s through Kamailio (switch/kamailio/kamailio.cfg, ${fmt(x.kamailioChildren)} workers) with one route-server lookup per call, to a SIPp trunk, ${fmt(x.holdMs)} ms hold, ${fmt(x.secondsPerStep)} s per step`,
      `**-r ${fmt(x.bestCleanTarget)}: ${fmt(x.bestCleanRate)} calls/s** with 0 failed`,
      `${x.steps.map((s) => `-r ${s.targetRate}: ${fmt(s.achievedRate)}/s, ${fmt(s.successful)} ok, ${fmt(s.failed)} failed`).join('; ')}; the carrier's trunk received ${fmt(x.carrierReceived)} of ${fmt(x.placed)} answered calls`,
      `≥ ${fmt(x.goalCps)} calls/s, 0 failed`,
      yes(x.met),
    ]);
  }
  if (r.billrun && !r.billrun.error) {
    const x = r.billrun;
    const one = (s) => `${fmt(s.records)} records: ${fmt(s.runSeconds)} s (${fmt(s.recordsPerSec)} rec/s), peak RSS ${fmt(s.peakRssMB)} MB, peak heap ${fmt(s.peakHeapUsedMB)} MB`;
    out.push([
      'Bill run',
      `${fmt(x.large.buyers)} PERIODIC bills, peak memory at ${fmt(x.large.records)} vs ${fmt(x.small.records)} billing records`,
      `**${fmt(x.peakRssRatio)}×** peak RSS, ${fmt(x.peakHeapRatio)}× peak heap; ${one(x.large)}`,
      `${one(x.small)}; every record on exactly one bill: ${x.correct ? 'yes' : 'NO'}${x.large.walPeakMB ? `; SQLite write-ahead log peak at ${fmt(x.large.records)} records: ${fmt(x.large.walPeakMB.billRun)} MB during the run, ${fmt(x.large.walPeakMB.seeding)} MB while seeding (database ${fmt(x.large.dbFileMB)} MB)` : ''}`,
      'memory does not grow (≤ 1.25× at 10× records)',
      x.met === null ? `– (judged at full scale only)${x.correct ? '' : '; **records missing from bills**'}` : yes(x.met),
    ]);
  }
  if (r.batching && !r.batching.error) {
    const x = r.batching;
    out.push([
      'Entity batching',
      'database round trips for one federated page of bills with buyer, carrier, request',
      `**${fmt(x.at10.total)} at 10 bills, ${fmt(x.at100.total)} at 100**`,
      `billing ${fmt(x.at100.billing)}, moderator ${fmt(x.at100.moderator)} (at 100)`,
      'constant',
      yes(x.met),
    ]);
  }
  if (r.scale && !r.scale.error) {
    const x = r.scale;
    const first = x.points[0];
    const last = x.points[x.points.length - 1];
    const at = (p) => `${fmt(p.usageSummaryMs)} / ${fmt(p.billsPageMs)} / ${fmt(p.rejectedPageMs)} / ${fmt(p.closeToAdvanceBillMs)} ms at ${fmt(p.calls)} calls`;
    out.push([
      'Flat cost as data grows',
      `through the gateway, ${fmt(last.calls)} vs ${fmt(first.calls)} stored calls: buyer's usage summary / first page of bills / first page of rejected usage / closeBidding to advance bill (medians)`,
      `**${fmt(x.ratios.usageSummary)}× / ${fmt(x.ratios.billsPage)}× / ${fmt(x.ratios.rejectedPage)}× / ${fmt(x.ratios.closeToAdvanceBill)}×**`,
      x.points.map(at).join('; '),
      '≤ 2× at the largest size',
      yes(x.met),
    ]);
  }
  for (const [key, title] of BENCHES) if (r[key]?.error) out.push([title, 'failed', r[key].error, '', '', '**no**']);
  return out;
}

function table(results) {
  const header = ['Benchmark', 'Figure', 'Result', 'Baseline / context', 'Goal', 'Met'];
  const lines = [header, header.map(() => '---'), ...rows(results)];
  return lines.map((l) => `| ${l.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
}

async function main() {
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((o) => !BENCHES.some(([k]) => k === o));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown benchmark(s) ${unknown.join(', ')}; choose from ${BENCHES.map(([k]) => k).join(', ')}`);
  if (process.env.BENCH_MERGE) throw new Error('BENCH_MERGE was removed: a report holds one run only (BENCH_ONLY runs write bench/results/partial.json)');
  let file = resultsFile({ only, out: process.env.BENCH_OUT, dir: path.join(__dirname, 'results'), scale: SCALE });
  const started = new Date();
  const log = (m) => process.stderr.write(`${m}\n`);
  log(`bench: scale ${SCALE}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const db = await startDatabase();
  log(`bench: database ${db.backend} at ${db.uri}`);
  const results = {};
  const timings = {};
  const load = {};
  const ctx = { db, log };
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    await db.stop();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const [key, title, load_] of BENCHES) {
      if (only.length && !only.includes(key)) continue;
      log(`bench: ${title}…`);
      const t0 = Date.now();
      const l0 = os.loadavg()[0];
      try {
        results[key] = { ...(await load_().run(ctx)), measuredAt: new Date(t0).toISOString() };
      } catch (err) {
        log(`bench: ${title} failed: ${err.stack ?? err}`);
        results[key] = { error: String(err.message ?? err).slice(0, 500) };
      }
      timings[key] = round((Date.now() - t0) / 1000, 1);
      load[key] = { before: round(l0, 2), after: round(os.loadavg()[0], 2) };
      log(`bench: ${title} done in ${timings[key]} s`);
    }
  } finally {
    await db.stop();
  }
  const report = {
    startedAt: started.toISOString(),
    durationSeconds: round((Date.now() - started.getTime()) / 1000, 1),
    scale: SCALE,
    machine: machine(),
    database: { backend: db.backend, ferretdb: ferretdbVersion() },
    loadAverage1m: load,
    secondsPerBenchmark: timings,
    complete: only.length === 0,
    only: only.length ? only : undefined,
    results,
    goals: evaluateGoals(results),
    table: table(results),
  };
  // A guard, not expected to fire: latest.json never gets a report that is not one whole run.
  const problems = path.basename(file) === 'latest.json' ? notOneRun(report, BENCHES.map(([k]) => k)) : [];
  if (problems.length) {
    log(`bench: not one whole run (${problems.join('; ')}): written to partial.json instead`);
    file = path.join(path.dirname(file), 'partial.json');
    process.exitCode = 1;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  const m = report.machine;
  console.log(`\nMachine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB; ${m.os}; Node ${m.node}; FerretDB ${m.ferretdb} on SQLite; scale ${SCALE}; ${report.durationSeconds} s\n`);
  console.log(report.table);
  console.log(`\n${formatGoals(report.goals)}`);
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
  const failed = Object.values(results).some((r) => r.error);
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
