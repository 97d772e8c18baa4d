import { Dec } from './money';
import type { MediationPolicy } from './mediation';
import type { TrafficFigures } from './traffic';

/**
 * Reconciliation: what both sides compare every month. Per source (the measuring equipment, the
 * Moderator, the buyer's LEC, the carrier): calls, seconds and their price; per pair of sources:
 * calls both reported (mediation's calls, `callId`), calls each reported alone, calls whose answer
 * times agree but whose durations differ beyond the tolerance (mediation kept those apart), and the
 * difference in seconds and money.
 */
export interface ReconRecord {
  id: string;
  source: string;
  /** Mediation's call id (absent: a call of its own). */
  callId?: string;
  destination?: string;
  answerMs: number;
  seconds: number;
  /** This record's price at the pair's incentive, exact decimal string. */
  amount: string;
}

export interface SourceTotals {
  source: string;
  calls: number;
  seconds: number;
  /** seconds / 60, exact to 6 dp. */
  minutes: string;
  amount: string;
}

export interface SourceComparison {
  a: string;
  b: string;
  /** Calls both sources reported (within the tolerances). */
  matched: number;
  onlyInA: number;
  onlyInB: number;
  /** Calls with answer times within the tolerance whose durations differ by more than it. */
  durationMismatches: number;
  /** Σ b − Σ a over every record of the two sources. */
  secondsDifference: number;
  amountDifference: string;
}

export interface ReconciliationResult {
  calls: number;
  sources: SourceTotals[];
  comparisons: SourceComparison[];
}

const fmt = (d: Dec) => d.toFixed(6);

export function reconcileRecords(records: ReconRecord[], policy: MediationPolicy, sourceOrder: readonly string[]): ReconciliationResult {
  const rank = (s: string) => {
    const i = sourceOrder.indexOf(s);
    return i < 0 ? sourceOrder.length : i;
  };
  const bySource = new Map<string, ReconRecord[]>();
  for (const r of records) {
    let list = bySource.get(r.source);
    if (!list) bySource.set(r.source, (list = []));
    list.push(r);
  }
  const sources = [...bySource.keys()].sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : 1));
  const totals: SourceTotals[] = sources.map((source) => {
    const list = bySource.get(source)!;
    const seconds = list.reduce((s, r) => s + r.seconds, 0);
    return { source, calls: list.length, seconds, minutes: fmt(new Dec(seconds).div(60)), amount: fmt(list.reduce((s, r) => s.plus(r.amount), new Dec(0))) };
  });
  const callOf = (r: ReconRecord) => r.callId ?? r.id;
  const comparisons: SourceComparison[] = [];
  for (let i = 0; i < sources.length; i++) {
    for (let j = i + 1; j < sources.length; j++) {
      const a = bySource.get(sources[i])!;
      const b = bySource.get(sources[j])!;
      const bCalls = new Set(b.map(callOf));
      const aCalls = new Set(a.map(callOf));
      const aAlone = a.filter((r) => !bCalls.has(callOf(r)));
      const bAlone = b.filter((r) => !aCalls.has(callOf(r)));
      // Left-overs with the same called number answered within the tolerance: one call whose
      // durations disagree beyond the tolerance (closest answer first, each record used once).
      const used = new Set<string>();
      let mismatches = 0;
      const tol = policy.answerToleranceSeconds * 1000;
      for (const r of [...aAlone].sort((x, y) => x.answerMs - y.answerMs)) {
        let best: ReconRecord | null = null;
        for (const o of bAlone) {
          if (used.has(o.id) || o.destination !== r.destination || Math.abs(o.answerMs - r.answerMs) > tol) continue;
          if (!best || Math.abs(o.answerMs - r.answerMs) < Math.abs(best.answerMs - r.answerMs)) best = o;
        }
        if (best) {
          used.add(best.id);
          mismatches++;
        }
      }
      const sum = (list: ReconRecord[]) => list.reduce((s, r) => s.plus(r.amount), new Dec(0));
      comparisons.push({
        a: sources[i],
        b: sources[j],
        matched: a.length - aAlone.length,
        onlyInA: aAlone.length - mismatches,
        onlyInB: bAlone.length - mismatches,
        durationMismatches: mismatches,
        secondsDifference: b.reduce((s, r) => s + r.seconds, 0) - a.reduce((s, r) => s + r.seconds, 0),
        amountDifference: fmt(sum(b).minus(sum(a))),
      });
    }
  }
  return { calls: new Set(records.map(callOf)).size, sources: totals, comparisons };
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The report as CSV (both sides load it in a spreadsheet): one section per table. */
export function reconciliationCsv(head: { buyerId: string; carrierId: string; requestId?: string | null; periodStart: string; periodEnd: string; currency: string }, r: ReconciliationResult, t?: TrafficFigures): string {
  const traffic = t ? [t.attempts, t.answered, t.asr ?? '', t.acd ?? ''] : [];
  const lines: (string | number)[][] = [
    ['buyer', 'carrier', 'request', 'period start', 'period end', 'currency', 'calls', ...(t ? ['attempts', 'answered', 'asr', 'acd seconds'] : [])],
    [head.buyerId, head.carrierId, head.requestId ?? '', head.periodStart, head.periodEnd, head.currency, r.calls, ...traffic],
    [],
    ['source', 'calls', 'seconds', 'minutes', 'amount'],
    ...r.sources.map((s) => [s.source, s.calls, s.seconds, s.minutes, s.amount]),
    [],
    ['source a', 'source b', 'matched', 'only in a', 'only in b', 'duration mismatches', 'seconds difference (b - a)', 'amount difference (b - a)'],
    ...r.comparisons.map((c) => [c.a, c.b, c.matched, c.onlyInA, c.onlyInB, c.durationMismatches, c.secondsDifference, c.amountDifference]),
  ];
  // A leading = + - @ would be read as a formula by a spreadsheet: ids are quoted with a prefix.
  return lines.map((l) => l.map((v) => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?$/.test(v) ? csvCell(`'${v}`) : csvCell(v))).join(',')).join('\n') + '\n';
}
