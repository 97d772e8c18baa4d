import { useEffect, useState } from 'preact/hooks';
import { gql } from './api';
import { formatDecimal } from './decimal';
import { ErrorText, Loading, Section, TableWrap } from './ui';
import RECONCILIATION from './graphql/reconciliation.graphql';

interface Report {
  calls: number;
  currency: string;
  answerToleranceSeconds: number;
  durationToleranceSeconds: number;
  durationTolerancePercent: number;
  attempts: number;
  answered: number;
  asr: string | null;
  acd: string | null;
  sources: { source: string; calls: number; seconds: string; minutes: string; amount: string }[];
  comparisons: { a: string; b: string; matched: number; onlyInA: number; onlyInB: number; durationMismatches: number; secondsDifference: string; amountDifference: string }[];
  csv: string;
}

const label = (s: string) => s.toLowerCase().replace(/_/g, ' ');

/** ASR as a percentage with 2 decimals, exactly (the API gives the ratio with 4: 0.4286 → 42.86 %). */
export function asrPercent(ratio: string | null): string {
  if (ratio === null) return '—';
  const [int, frac = ''] = ratio.split('.');
  const f = frac.padEnd(4, '0');
  return `${BigInt(int) * 100n + BigInt(f.slice(0, 2))}.${f.slice(2, 4)} %`;
}

/** Beside a bill: what each source reported for the bill's period and how the sources compare (issue 13). */
export function ReconciliationSection({ buyerId, carrierId, period, requestId }: { buyerId: string; carrierId: string; period: { start: string; end: string }; requestId: string | null }) {
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    gql<{ reconciliation: Report }>(RECONCILIATION, { b: buyerId, c: carrierId, p: period, r: requestId })
      .then((d) => setReport(d.reconciliation))
      .catch((e) => setError(e.message));
  }, [buyerId, carrierId, period.start, period.end, requestId]);
  return (
    <Section title="Reconciliation">
      <ErrorText error={error} />
      {!report && !error && <Loading what="the reconciliation" />}
      {report && (
        <div data-testid="reconciliation">
          <p class="muted">
            {report.calls} calls. Records of two sources are one call when they have the same called number and were answered within {report.answerToleranceSeconds} s of each other; the call is
            billed once. Its durations differ when they are more than {report.durationToleranceSeconds} s and {report.durationTolerancePercent} % apart.{' '}
            <a download={`reconciliation-${buyerId}-${carrierId}-${period.start.slice(0, 10)}.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(report.csv)}`} data-testid="reconciliation-csv">
              Download CSV
            </a>
          </p>
          <dl class="facts" data-testid="reconciliation-traffic">
            <div>
              <dt>Routing attempts</dt>
              <dd data-testid="reconciliation-attempts">{report.attempts}</dd>
            </div>
            <div>
              <dt>Answered calls</dt>
              <dd data-testid="reconciliation-answered">{report.answered}</dd>
            </div>
            <div>
              <dt>
                <abbr title="Answer-seizure ratio: answered calls per routing attempt">ASR</abbr>
              </dt>
              <dd data-testid="reconciliation-asr">{asrPercent(report.asr)}</dd>
            </div>
            <div>
              <dt>
                <abbr title="Average call duration of the answered calls">ACD</abbr>
              </dt>
              <dd data-testid="reconciliation-acd">{report.acd === null ? '—' : `${formatDecimal(report.acd)} s`}</dd>
            </div>
          </dl>
          <TableWrap label="Calls per source">
            <table data-testid="reconciliation-sources">
              <caption>Calls per source</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col" class="num">Calls</th>
                  <th scope="col" class="num">Minutes</th>
                  <th scope="col" class="num">Amount ({report.currency})</th>
                </tr>
              </thead>
              <tbody>
                {report.sources.map((s) => (
                  <tr key={s.source}>
                    <th scope="row">{label(s.source)}</th>
                    <td class="num">{s.calls}</td>
                    <td class="num">{formatDecimal(s.minutes)}</td>
                    <td class="num">{formatDecimal(s.amount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {report.comparisons.length > 0 && (
            <TableWrap label="Sources compared">
              <table data-testid="reconciliation-comparisons">
                <caption>Sources compared</caption>
                <thead>
                  <tr>
                    <th scope="col">Sources</th>
                    <th scope="col" class="num">Matched</th>
                    <th scope="col" class="num">Only in first</th>
                    <th scope="col" class="num">Only in second</th>
                    <th scope="col" class="num">Duration differs</th>
                    <th scope="col" class="num">Seconds (second − first)</th>
                    <th scope="col" class="num">Amount (second − first)</th>
                  </tr>
                </thead>
                <tbody>
                  {report.comparisons.map((c) => (
                    <tr key={`${c.a}|${c.b}`}>
                      <th scope="row">
                        {label(c.a)} / {label(c.b)}
                      </th>
                      <td class="num">{c.matched}</td>
                      <td class="num">{c.onlyInA}</td>
                      <td class="num">{c.onlyInB}</td>
                      <td class="num">{c.durationMismatches}</td>
                      <td class="num">{formatDecimal(c.secondsDifference)}</td>
                      <td class="num">{formatDecimal(c.amountDifference)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </div>
      )}
    </Section>
  );
}
