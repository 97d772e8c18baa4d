// The bench's goal summary and its results file: what `npm run bench` prints as met / unmet and
// which file a run may write. Pure functions of a run's results (bench/lib/*.js).
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { evaluateGoals, formatGoals } = require('../../../bench/lib/goals');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { resultsFile, notOneRun } = require('../../../bench/lib/results-file');

interface Goal {
  name: string;
  target: string;
  figure: string;
  met: boolean | null;
}

const gw = (rps: number, gateway: number, total: number | null, moderator = 1) => ({
  rps,
  p50Ms: 10,
  cpuMsPerRequest: gateway,
  stackCpuMsPerRequest: { gateway, billing: 1, moderator: 1, database: total === null ? null : total - gateway - 2, total },
  subgraphCallsPerRequest: { billing: 1, moderator },
});

function peers(project: ReturnType<typeof gw>, hiveRust: ReturnType<typeof gw>) {
  return {
    figures: {
      portalAdmin8: { what: 'portal page, ADMIN, 8 connections', tokens: 'same', query: 'page', project: gw(1000, 0.1, 3), hiveRust: gw(100, 2, 8) },
      distinctPage8: { what: 'portal page, 8 buyers', tokens: 'distinct', query: 'page', project, hiveRust },
      distinctPortal8: { what: 'five portal queries, 8 buyers', tokens: 'distinct', query: 'rotation', project, hiveRust },
    },
  };
}

const byName = (goals: Goal[], start: string) => goals.filter((g) => g.name.startsWith(start));

describe('bench goal summary', () => {
  it('judges the distinct-token rows only, against Hive+Rust on the same backend', () => {
    const goals: Goal[] = evaluateGoals({ peers: peers(gw(150, 0.9, 5.9), gw(100, 2, 9)) });
    const rps = byName(goals, 'Requests/s vs Hive+Rust');
    expect(rps).toHaveLength(2); // the same-token row is not one of issue 24's goals
    expect(rps.every((g) => g.met === true)).toBe(true);
    expect(byName(goals, 'Stack CPU')).toEqual([expect.objectContaining({ met: true, figure: expect.stringContaining('5.9 ms') })]);
    expect(byName(goals, 'Gateway CPU')).toEqual([expect.objectContaining({ met: true, figure: expect.stringContaining('0.45×') })]);
    expect(byName(goals, 'Moderator fetches')).toEqual([expect.objectContaining({ met: true })]);
  });

  it('reports each goal unmet on its own', () => {
    const goals: Goal[] = evaluateGoals({ peers: peers(gw(149, 1.01, 6.01, 2), gw(100, 2, 9)) });
    expect(byName(goals, 'Requests/s vs Hive+Rust').map((g) => g.met)).toEqual([false, false]);
    expect(byName(goals, 'Stack CPU')[0].met).toBe(false);
    expect(byName(goals, 'Gateway CPU')[0].met).toBe(false);
    expect(byName(goals, 'Moderator fetches')[0]).toMatchObject({ met: false, figure: expect.stringContaining('2') });
  });

  it('says a goal was not measured rather than met when the database CPU or a benchmark is missing', () => {
    const goals: Goal[] = evaluateGoals({ peers: peers(gw(150, 0.9, null), gw(100, 2, null)) });
    expect(byName(goals, 'Stack CPU')[0].met).toBeNull();
    const none: Goal[] = evaluateGoals({});
    expect(none.length).toBeGreaterThanOrEqual(5);
    expect(none.every((g) => g.met === null)).toBe(true);
    expect(formatGoals(none)).toMatch(/^Goals: 0 met, 0 unmet, \d+ not measured/);
  });

  it('judges ingestion at ≥ 0.5× raw and ≥ 5,000 records/s', () => {
    const ok: Goal[] = evaluateGoals({ ingest: { ratioVsRaw: 0.5, gatewayRecordsPerSec: 5000 } });
    expect(byName(ok, 'Usage ingestion').map((g) => g.met)).toEqual([true, true]);
    const slow: Goal[] = evaluateGoals({ ingest: { ratioVsRaw: 0.8, gatewayRecordsPerSec: 4999 } });
    expect(byName(slow, 'Usage ingestion').map((g) => g.met)).toEqual([true, false]);
    const lost: Goal[] = evaluateGoals({ ingest: { ratioVsRaw: 0.8, gatewayRecordsPerSec: 6000, everyCallChargedOnce: false, calls: 100, callsNotChargedOnce: 3 } });
    expect(byName(lost, 'Usage ingestion').map((g) => g.met)).toEqual([true, true, false]);
    expect(byName(lost, 'Usage ingestion')[2].figure).toBe('3 of 100 calls not charged exactly once');
  });

  it('prints every goal with met or UNMET', () => {
    const text: string = formatGoals(evaluateGoals({ peers: peers(gw(149, 0.9, 5), gw(100, 2, 9)), fanout: { met: true } }));
    expect(text).toMatch(/^Goals: \d+ met, 2 unmet, \d+ not measured/);
    expect(text).toMatch(/\nUNMET Requests\/s vs Hive\+Rust: portal page, 8 buyers: 1\.49× \(149 vs 100 req\/s\) \(goal ≥ 1\.5×\)/);
    expect(text).toMatch(/\nmet {3}Bid fan-out/);
  });
});

describe('bench results file', () => {
  const dir = path.resolve('bench/results');

  it('writes latest.json only for a whole run at scale 1', () => {
    expect(resultsFile({ only: [], dir, scale: 1 })).toBe(path.join(dir, 'latest.json'));
    expect(resultsFile({ only: ['peers'], dir, scale: 1 })).toBe(path.join(dir, 'partial.json'));
    expect(resultsFile({ only: [], dir, scale: 0.3 })).toBe(path.join(dir, 'partial.json'));
    expect(() => resultsFile({ only: ['fanout'], out: path.join(dir, 'latest.json'), dir, scale: 1 })).toThrow(/BENCH_ONLY=fanout/);
    expect(resultsFile({ only: ['fanout'], out: '/tmp/fanout.json', dir, scale: 1 })).toBe('/tmp/fanout.json');
  });

  it('finds figures of another run in a report', () => {
    const report = {
      scale: 1,
      startedAt: '2026-12-07T07:00:00.000Z',
      durationSeconds: 600,
      results: { peers: { measuredAt: '2026-12-07T07:01:00.000Z' }, fanout: { measuredAt: '2026-11-26T06:12:00.000Z' }, ingest: { error: 'boom' } },
    };
    expect(notOneRun(report, ['peers', 'fanout', 'ingest'])).toEqual([expect.stringMatching(/^fanout: measured at 2026-11-26/)]);
    expect(notOneRun({ ...report, results: { peers: report.results.peers } }, ['peers', 'fanout'])).toEqual(['fanout: missing']);
    expect(notOneRun({ ...report, results: { peers: report.results.peers } }, ['peers'])).toEqual([]);
  });
});
