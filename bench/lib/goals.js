'use strict';
// The goals `npm run bench` is judged by, each with its figure and met / unmet / not measured,
// from one run's results (bench/run.js prints them after the table and stores them in the report).
// Issue 24's goals are judged here from the benchmarks' raw figures; every other benchmark's goal
// is its own `met` flag.

const GOALS = {
  distinctRpsVsHiveRust: 1.5, // project req/s ÷ Hive+Rust req/s, every distinct-token row
  stackCpuMsPerPage: 6, // gateway + subgraphs + database CPU per 20-bill portal page (distinct tokens)
  gatewayCpuVsHiveRust: 0.5, // gateway CPU per portal page ÷ Hive+Rust's (distinct tokens)
  moderatorCallsPerPage: 1, // HTTP requests the moderator subgraph receives per portal page
  ingestRatioVsRaw: 0.5,
  ingestRecordsPerSec: 5000,
};

const num = (n, d = 2) => (typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d }) : '–');

/** One goal: what it asks, the figure measured, and met (true / false / null = not measured in this run). */
const goal = (name, target, figure, met) => ({ name, target, figure, met });

function peerGoals(peers) {
  const out = [];
  const figures = Object.values(peers?.figures ?? {}).filter((f) => f.tokens === 'distinct');
  const missing = (name, target) => goal(name, target, peers?.error ? `peers failed: ${peers.error}` : 'not measured', null);
  if (!figures.length) {
    out.push(missing('Distinct-token requests/s vs Hive+Rust', `≥ ${GOALS.distinctRpsVsHiveRust}× on every distinct-token row`));
    out.push(missing('Stack CPU per 20-bill portal page', `≤ ${GOALS.stackCpuMsPerPage} ms`));
    out.push(missing('Gateway CPU per portal page vs Hive+Rust (distinct tokens)', `≤ ${GOALS.gatewayCpuVsHiveRust}×`));
    out.push(missing('Moderator fetches per portal page', `= ${GOALS.moderatorCallsPerPage}`));
    return out;
  }
  for (const f of figures) {
    const r = f.project.rps / f.hiveRust.rps;
    out.push(
      goal(
        `Requests/s vs Hive+Rust: ${f.what}`,
        `≥ ${GOALS.distinctRpsVsHiveRust}×`,
        `${num(r)}× (${num(f.project.rps, 0)} vs ${num(f.hiveRust.rps, 0)} req/s)`,
        r >= GOALS.distinctRpsVsHiveRust,
      ),
    );
  }
  for (const f of figures.filter((x) => x.query === 'page')) {
    const s = f.project.stackCpuMsPerRequest;
    const p = f.projectPlain?.stackCpuMsPerRequest;
    const database = s.database === null ? 'database not measured' : `database ${num(s.database, 3)}`;
    // Judged on the project's gateway as it runs (kept answers on); the cost of an executed page beside it.
    const executed = p ? `; every page executed: ${num(p.total, 3)} ms (gateway ${num(p.gateway, 3)}, billing ${num(p.billing, 3)}, moderator ${num(p.moderator, 3)}, database ${num(p.database, 3)})` : '';
    out.push(
      goal(
        `Stack CPU per 20-bill portal page: ${f.what}`,
        `≤ ${GOALS.stackCpuMsPerPage} ms`,
        `${num(s.total, 3)} ms (gateway ${num(s.gateway, 3)}, billing ${num(s.billing, 3)}, moderator ${num(s.moderator, 3)}, ${database}, Redis ${num(s.redis, 3)})${executed}`,
        s.database === null ? null : s.total <= GOALS.stackCpuMsPerPage,
      ),
    );
    const g = f.project.stackCpuMsPerRequest.gateway / f.hiveRust.stackCpuMsPerRequest.gateway;
    const gp = p ? `; executed: ${num(p.gateway / f.hiveRust.stackCpuMsPerRequest.gateway)}×` : '';
    out.push(
      goal(
        `Gateway CPU per portal page vs Hive+Rust: ${f.what}`,
        `≤ ${GOALS.gatewayCpuVsHiveRust}×`,
        `${num(g)}× (${num(f.project.stackCpuMsPerRequest.gateway, 3)} vs ${num(f.hiveRust.stackCpuMsPerRequest.gateway, 3)} ms)${gp}`,
        g <= GOALS.gatewayCpuVsHiveRust,
      ),
    );
    // What an executed page sends (a kept answer sends nothing at all).
    const calls = (f.projectPlain ?? f.project).subgraphCallsPerRequest;
    out.push(
      goal(
        `Moderator fetches per executed portal page: ${f.what}`,
        `= ${GOALS.moderatorCallsPerPage}`,
        `${num(calls.moderator, 3)} (billing ${num(calls.billing, 3)}); with kept answers ${num(f.project.subgraphCallsPerRequest.moderator, 3)}`,
        Math.abs(calls.moderator - GOALS.moderatorCallsPerPage) < 0.005,
      ),
    );
  }
  return out;
}

function ingestGoals(ingest) {
  const target = `≥ ${GOALS.ingestRatioVsRaw}× raw insertMany and ≥ ${num(GOALS.ingestRecordsPerSec)} records/s`;
  if (!ingest || ingest.error) return [goal('Usage ingestion through the gateway', target, ingest?.error ? `ingest failed: ${ingest.error}` : 'not measured', null)];
  return [
    goal('Usage ingestion vs raw insertMany', `≥ ${GOALS.ingestRatioVsRaw}×`, `${num(ingest.ratioVsRaw, 3)}×`, ingest.ratioVsRaw >= GOALS.ingestRatioVsRaw),
    goal(
      'Usage ingestion records/s through the gateway',
      `≥ ${num(GOALS.ingestRecordsPerSec)}`,
      `${num(ingest.gatewayRecordsPerSec, 0)} records/s`,
      ingest.gatewayRecordsPerSec >= GOALS.ingestRecordsPerSec,
    ),
    ...(ingest.everyCallChargedOnce === undefined
      ? []
      : [goal('Usage ingestion: every call charged exactly once', '0 not charged once', `${num(ingest.callsNotChargedOnce, 0)} of ${num(ingest.calls, 0)} calls not charged exactly once`, ingest.everyCallChargedOnce === true)]),
  ];
}

/** The other benchmarks' goals, as each judged itself (`met`), by title. */
const OWN = [
  ['fanout', 'Bid fan-out: p99 < 100 ms, 0 lost'],
  ['overhead', 'Gateway overhead: ≤ 1.5× direct latency'],
  ['routing', 'Switch routing: ≥ 1,000,000 lookups/s in-process'],
  ['route', 'Route server: ≥ 10,000 lookups/s, p99 < 5 ms, award to answer p99 < 1 s'],
  ['switch', 'Calls through Kamailio: ≥ 200 calls/s, 0 failed'],
  ['batching', 'Entity batching: constant round trips'],
  ['billrun', 'Bill run memory: ≤ 1.25× at 10× records'],
  ['scale', 'Flat cost as data grows: ≤ 2× at the largest size'],
];

function ownGoals(results) {
  return OWN.filter(([key]) => results[key]).map(([key, name]) => {
    const r = results[key];
    if (r.error) return goal(name, '', `failed: ${r.error}`, null);
    const met = key === 'route' ? r.met && r.updateMet : r.met;
    return goal(name, '', met === null || met === undefined ? 'judged at full scale only' : 'see table', met ?? null);
  });
}

/** Every goal of one run's results, issue 24's first. */
function evaluateGoals(results) {
  return [...peerGoals(results.peers), ...ingestGoals(results.ingest), ...ownGoals(results)];
}

/** Lines for stdout: `met    | name: figure (goal)`, `UNMET  | …`, `–      | …` when not measured. */
function formatGoals(goals) {
  const mark = (m) => (m === true ? 'met  ' : m === false ? 'UNMET' : 'n/a  ');
  const lines = goals.map((g) => `${mark(g.met)} ${g.name}: ${g.figure}${g.target ? ` (goal ${g.target})` : ''}`);
  const met = goals.filter((g) => g.met === true).length;
  const unmet = goals.filter((g) => g.met === false).length;
  return [`Goals: ${met} met, ${unmet} unmet, ${goals.length - met - unmet} not measured`, ...lines].join('\n');
}

module.exports = { GOALS, evaluateGoals, formatGoals };
