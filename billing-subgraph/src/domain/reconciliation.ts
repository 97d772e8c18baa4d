import { Dec } from './money';
import { durationsDiffer, sameCall, type MediationPolicy } from './mediation';
import type { TrafficFigures } from './traffic';

/**
 * Reconciliation: what both sides compare every month. Per source (the measuring equipment, the
 * Moderator, the buyer's LEC, the carrier): calls, seconds and their price; per pair of sources:
 * calls both reported, calls each reported alone, and among the calls both reported those whose
 * durations differ beyond the tolerance, with the difference in seconds and money. Calls are
 * mediation's (`callId`) and records mediation did not link are matched by the same rule
 * (`sameCall`), so "one call" means the same here as on the bill.
 */
export interface ReconRecord {
  id: string;
  source: string;
  buyerId: string;
  carrierId: string;
  /** Mediation's call id (absent: a call of its own). */
  callId?: string;
  destination?: string;
  answerMs: number;
  /** Exact duration, a decimal string (up to 3 decimals). */
  seconds: string;
  /** This record's price at the pair's incentive, exact decimal string. */
  amount: string;
}

export interface SourceTotals {
  source: string;
  calls: number;
  /** Exact sum of the durations (decimal string). */
  seconds: string;
  /** seconds / 60, exact to 6 dp. */
  minutes: string;
  amount: string;
}

export interface SourceComparison {
  a: string;
  b: string;
  /** Calls both sources reported (the matching rule, whatever their durations). */
  matched: number;
  onlyInA: number;
  onlyInB: number;
  /** Matched calls whose two durations differ beyond the duration tolerance. */
  durationMismatches: number;
  /** Σ b − Σ a over every record of the two sources (decimal string). */
  secondsDifference: string;
  amountDifference: string;
}

export interface ReconciliationResult {
  calls: number;
  sources: SourceTotals[];
  comparisons: SourceComparison[];
}

const fmt = (d: Dec) => d.toFixed(6);

/**
 * The calls of the records: mediation's groups (`callId`), then groups mediation did not link
 * merged by the matching rule (no source twice in a call; the closest answer time first).
 * Returns each record's call key.
 */
export function callsOf(records: ReconRecord[], policy: MediationPolicy): Map<string, string> {
  const groups = new Map<string, ReconRecord[]>();
  for (const r of records) {
    const k = r.callId ?? r.id;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  // Only groups of one called number can be one call: compare within a number.
  const byNumber = new Map<string, { key: string; members: ReconRecord[] }[]>();
  for (const [key, members] of groups) {
    const n = members[0].destination;
    if (!n) continue;
    let list = byNumber.get(n);
    if (!list) byNumber.set(n, (list = []));
    list.push({ key, members });
  }
  const keyOf = new Map<string, string>();
  for (const [key, members] of groups) for (const r of members) keyOf.set(r.id, key);
  for (const list of byNumber.values()) {
    const first = new Map(list.map((g) => [g.key, Math.min(...g.members.map((m) => m.answerMs))]));
    list.sort((x, y) => first.get(x.key)! - first.get(y.key)! || (x.key < y.key ? -1 : 1));
    const tolerance = policy.answerToleranceSeconds * 1000;
    const merged = new Set<number>();
    for (let i = 0; i < list.length; i++) {
      if (merged.has(i)) continue;
      const call = list[i];
      for (;;) {
        let best: { j: number; diff: number } | null = null;
        const last = Math.max(...call.members.map((m) => m.answerMs)) + tolerance;
        for (let j = i + 1; j < list.length; j++) {
          // Sorted by first answer: no later group can be answered within the tolerance.
          if (first.get(list[j].key)! > last) break;
          if (merged.has(j)) continue;
          const other = list[j].members;
          if (other.some((o) => call.members.some((m) => m.source === o.source))) continue;
          for (const m of call.members) {
            for (const o of other) {
              if (!sameCall(m, o, policy)) continue;
              const diff = Math.abs(m.answerMs - o.answerMs);
              if (!best || diff < best.diff) best = { j, diff };
            }
          }
        }
        if (!best) break;
        merged.add(best.j);
        for (const o of list[best.j].members) keyOf.set(o.id, call.key);
        call.members = [...call.members, ...list[best.j].members];
      }
    }
  }
  return keyOf;
}

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
  const seconds = (list: ReconRecord[]) => list.reduce((s, r) => s.plus(r.seconds), new Dec(0));
  const sum = (list: ReconRecord[]) => list.reduce((s, r) => s.plus(r.amount), new Dec(0));
  const totals: SourceTotals[] = sources.map((source) => {
    const list = bySource.get(source)!;
    const secs = seconds(list);
    return { source, calls: list.length, seconds: secs.toFixed(), minutes: fmt(secs.div(60)), amount: fmt(sum(list)) };
  });
  const callOf = callsOf(records, policy);
  const comparisons: SourceComparison[] = [];
  for (let i = 0; i < sources.length; i++) {
    for (let j = i + 1; j < sources.length; j++) {
      const a = bySource.get(sources[i])!;
      const b = bySource.get(sources[j])!;
      // A source reports a call once: at most one record of each side per call.
      const bByCall = new Map(b.map((r) => [callOf.get(r.id)!, r]));
      let matched = 0;
      let mismatches = 0;
      for (const r of a) {
        const other = bByCall.get(callOf.get(r.id)!);
        if (!other) continue;
        matched++;
        if (durationsDiffer(r.seconds, other.seconds, policy)) mismatches++;
      }
      comparisons.push({
        a: sources[i],
        b: sources[j],
        matched,
        onlyInA: a.length - matched,
        onlyInB: b.length - matched,
        durationMismatches: mismatches,
        secondsDifference: seconds(b).minus(seconds(a)).toFixed(),
        amountDifference: fmt(sum(b).minus(sum(a))),
      });
    }
  }
  return { calls: new Set(records.map((r) => callOf.get(r.id)!)).size, sources: totals, comparisons };
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
