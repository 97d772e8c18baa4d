import { useEffect, useState } from 'preact/hooks';
import { gql } from '../../api';
import { formatDecimal, formatMoney } from '../../decimal';
import { href } from '../../router';
import type { Session } from '../../session';
import { ErrorText, Field, PageTitle, PeriodDays, Section, TableWrap, zonedMonthStart } from '../../ui';
import { useBillIssued } from '../bills';
import SETTLEMENT from './settlement.graphql';
import ZONE from './carrier-zone.graphql';

// Receivables and settlement statement

const monthNow = () => new Date().toISOString().slice(0, 7);

export function Settlement({ session, month: initialMonth }: { session: Session; month?: string }) {
  const [month, setMonth] = useState(initialMonth && /^\d{4}-\d{2}$/.test(initialMonth) ? initialMonth : monthNow());
  const [data, setData] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  const [zone, setZone] = useState<string | null>(null);
  const load = async (m: string) => {
    const [y, mo] = m.split('-').map(Number);
    if (!y || !mo) return setError('Choose a month.');
    let tz = zone;
    if (!tz) {
      tz = await gql<{ billingProfile: { timeZone: string } }>(ZONE, { id: session.sub }).then((d) => d.billingProfile.timeZone, () => 'UTC');
      setZone(tz);
    }
    const start = zonedMonthStart(y, mo, tz);
    const end = zonedMonthStart(y, mo + 1, tz);
    gql(SETTLEMENT, { id: session.sub, period: { start, end } })
      .then((d) => (setData(d.carrier), setError(null)))
      .catch((e) => setError(e.message));
  };
  useEffect(() => void load(month), [session.token]);
  useBillIssued(() => load(month));
  const st = data?.settlementStatement;
  return (
    <>
      <PageTitle>Receivables and settlement</PageTitle>
      <ErrorText error={error} />
      {data && (
        <Section title="Receivables">
          {data.receivables.length === 0 ? (
            <p class="muted">Buyers owe you nothing.</p>
          ) : (
            <ul class="plain big" data-testid="receivables">
              {data.receivables.map((m: any) => (
                <li key={m.currency}>{formatMoney(m)}</li>
              ))}
            </ul>
          )}
        </Section>
      )}
      <Section title="Settlement statement">
        <form
          class="form row"
          onSubmit={(e) => {
            e.preventDefault();
            load(month);
          }}
        >
          <Field name="period" label={`Month (${(zone ?? 'UTC').replace(/_/g, ' ')})`}>
            {(a) => <input {...a} type="month" value={month} onInput={(e) => setMonth((e.target as HTMLInputElement).value)} />}
          </Field>
          <button type="submit">Show statement</button>
        </form>
        {st &&
          (st.lines.length === 0 ? (
            <p class="muted">
              No bills were issued to your buyers in <PeriodDays start={st.period.start} end={st.period.end} zone={st.timeZone} />.
            </p>
          ) : (
            <TableWrap label="Settlement statement">
              <table data-testid="statement">
                <caption>
                  Bills issued <PeriodDays start={st.period.start} end={st.period.end} zone={st.timeZone} />, payments received by the end
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Bill</th>
                    <th scope="col">Buyer</th>
                    <th scope="col" class="num">
                      Billed
                    </th>
                    <th scope="col" class="num">
                      Received directly
                    </th>
                    <th scope="col" class="num">
                      Via the Moderator
                    </th>
                    <th scope="col" class="num">
                      Outstanding
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {st.lines.map((l: any) => (
                    <tr key={l.billId}>
                      <td>
                        <a href={href('bills', l.billId)}>{l.billNumber ?? l.billId}</a>
                      </td>
                      <td>{l.buyerId}</td>
                      <td class="num">{formatMoney({ amount: l.billed, currency: l.currency })}</td>
                      <td class="num">{formatDecimal(l.receivedDirect)}</td>
                      <td class="num">{formatDecimal(l.receivedViaModerator)}</td>
                      <td class="num">{formatDecimal(l.outstanding)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  {st.totals.map((t: any) => (
                    <tr key={t.currency}>
                      <th scope="row" colSpan={2}>
                        Total {t.currency}
                      </th>
                      <td class="num">{formatDecimal(t.billed)}</td>
                      <td class="num">{formatDecimal(t.receivedDirect)}</td>
                      <td class="num">{formatDecimal(t.receivedViaModerator)}</td>
                      <td class="num">{formatDecimal(t.outstanding)}</td>
                    </tr>
                  ))}
                </tfoot>
              </table>
            </TableWrap>
          ))}
      </Section>
    </>
  );
}
