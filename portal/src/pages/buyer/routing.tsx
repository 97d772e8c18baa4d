import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql } from '../../api';
import { formatDecimal } from '../../decimal';
import { href } from '../../router';
import { ErrorText, Field, formErrorOf, fromLocalInput, PageTitle, Section, TableWrap, toLocalInput, When, type FormError } from '../../ui';
import ROUTING from './routing.graphql';
import ROUTE_CALL from './route-call.graphql';

// Routing table

export function RoutingTablePage({ at }: { at?: string }) {
  const [when, setWhen] = useState(() => toLocalInput(at ? new Date(at) : new Date()));
  const [table, setTable] = useState<any>(null);
  const [error, setError] = useState<string | null>(null);
  const [dest, setDest] = useState('');
  const [decision, setDecision] = useState<any>(null);
  const [routeError, setRouteError] = useState<FormError | null>(null);
  const load = (v: string) =>
    gql(ROUTING, { at: fromLocalInput(v) })
      .then((d) => (setTable(d.routingTable), setError(null)))
      .catch((e) => setError(e.message));
  useEffect(() => void load(when), []);
  const csvHref = useMemo(() => (table ? URL.createObjectURL(new Blob([table.csv], { type: 'text/csv' })) : null), [table]);
  useEffect(() => () => void (csvHref && URL.revokeObjectURL(csvHref)), [csvHref]);
  return (
    <>
      <PageTitle>Active routing table</PageTitle>
      <form
        class="card form row"
        onSubmit={(e) => {
          e.preventDefault();
          void load(when);
        }}
      >
        <Field name="at" label="As of">
          {(a) => <input {...a} type="datetime-local" value={when} onInput={(e) => setWhen((e.target as HTMLInputElement).value)} />}
        </Field>
        <button type="submit">Show</button>
      </form>
      <ErrorText error={error} />
      {table && (
        <Section
          title="Routes"
          actions={
            csvHref && (
              <a class="button secondary" href={csvHref} download={`routing-${table.at}.csv`}>
                Download CSV
              </a>
            )
          }
        >
          {table.entries.length === 0 ? (
            <p class="muted">
              No selection is active at <When at={table.at} />. Awarded requests route calls during their service interval.
            </p>
          ) : (
            <TableWrap label="Routing table">
              <table data-testid="routing-table">
                <caption>
                  Routes at <When at={table.at} />
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Prefix</th>
                    <th scope="col">Carrier</th>
                    <th scope="col" class="num">
                      Rate
                    </th>
                    <th scope="col">From</th>
                    <th scope="col">Until</th>
                    <th scope="col">Request</th>
                  </tr>
                </thead>
                <tbody>
                  {table.entries.map((r: any, i: number) => (
                    <tr key={i}>
                      <td>{r.prefix}</td>
                      <td>{r.carrier?.name ?? r.carrierId}</td>
                      <td class="num">
                        {formatDecimal(r.ratePerUnit)} {r.currency}
                      </td>
                      <td>
                        <When at={r.intervalStart} />
                      </td>
                      <td>
                        <When at={r.intervalEnd} />
                      </td>
                      <td>
                        <a href={href('requests', r.requestId)}>{r.requestId}</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </Section>
      )}
      <Section title="Route a call">
        <form
          class="form row"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setRouteError(null);
            try {
              setDecision((await gql(ROUTE_CALL, { destination: dest.trim(), at: fromLocalInput(when) })).routeCall);
            } catch (err) {
              setDecision(null);
              setRouteError({ ...formErrorOf(err), field: 'destination' });
            }
          }}
        >
          <Field name="destination" label="Dialled number" hint="E.164 digits" error={routeError}>
            {(a) => <input {...a} inputMode="tel" value={dest} onInput={(e) => setDest((e.target as HTMLInputElement).value)} />}
          </Field>
          <button type="submit">Route</button>
        </form>
        {decision && (
          <p role="status">
            {decision.carrier
              ? `${decision.destination} goes to ${decision.carrier.name} (prefix ${decision.matchedPrefix}) at ${decision.ratePerUnit} ${decision.currency}.`
              : `No route for ${decision.destination}: ${String(decision.reason).replace(/_/g, ' ').toLowerCase()}.`}
          </p>
        )}
      </Section>
    </>
  );
}
