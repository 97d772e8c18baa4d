import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, onConnected } from '../../api';
import { LiveBoard, useLiveBoard, type Board } from '../../board';
import type { RatePoint } from '../../charts';
import { formatDecimal, formatMoney } from '../../decimal';
import { RequestFacts } from '../../request-facts';
import type { Session } from '../../session';
import { Badge, ErrorText, Loading, PageTitle, Section, TableWrap, When } from '../../ui';
import { useBillIssued } from '../bills';
import { BidForm } from './bid-form';
import type { RequestRow } from './requests';
import REQUEST from './carrier-request.graphql';
import WITHDRAW from './withdraw-bid.graphql';

// One request: anonymised live board, own rank, bid form

export interface MyBid {
  id: string;
  status: string;
  submittedAt: string;
  validUntil: string | null;
  withdrawnAt: string | null;
  incentive: {
    currency: string;
    ratePerUnit: string;
    tierModel: string;
    tiers: { fromQuantity: string; ratePerUnit: string }[];
    minimumCharge: string | null;
    setupFee: string | null;
    billingIncrement: { initialSeconds: number; subsequentSeconds: number } | null;
    dataChargeModel: string | null;
  };
  estimatedCost: { total: string; effectiveRate: string; currency: string } | null;
}

export interface CarrierReq extends RequestRow {
  closedAt: string | null;
  bids: MyBid[];
  board: Board & RequestRow['board'];
  selection: { id: string; selectedAt: string; carrier: { id: string } | null; estimatedCost: { total: string; currency: string } } | null;
}

export function CarrierRequest({ session, id }: { session: Session; id: string }) {
  const [req, setReq] = useState<CarrierReq | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [since] = useState(() => new Date().toISOString());
  const load = () =>
    gql<{ serviceRequest: CarrierReq | null }>(REQUEST, { id })
      .then((d) => {
        if (!d.serviceRequest) setError(`Request ${id} was not found.`);
        else setReq(d.serviceRequest);
      })
      .catch((e) => setError(e.message));
  useEffect(() => void load(), [id, session.token]);
  useEffect(() => onConnected(() => void load()), [id]);
  // A bill for this request means the auction was decided in our favour: look again.
  useBillIssued((b) => {
    if (b.request?.id === id) void load();
  });
  useEffect(() => {
    if (!req || req.status !== 'OPEN') return;
    const ms = new Date(req.biddingClosesAt).getTime() - Date.now() + 1500;
    if (ms > 2 ** 31 - 1) return;
    const t = setTimeout(() => void load(), Math.max(0, ms));
    return () => clearTimeout(t);
  }, [req?.status, req?.biddingClosesAt]);

  const initialPoints: RatePoint[] = useMemo(() => (req ? [{ at: since, rate: req.board.bestRate }] : []), [req?.board]);
  const live = useLiveBoard(id, req?.board ?? null, initialPoints, false, req?.status === 'OPEN');

  if (error) return <ErrorText error={error} />;
  if (!req) return <Loading what="the request" />;
  const active = req.bids.find((b) => b.status === 'ACTIVE') ?? null;
  const won = req.selection?.carrier?.id === session.sub;
  return (
    <>
      <PageTitle>
        Request {req.id} <Badge value={req.status} />
      </PageTitle>
      {req.status !== 'OPEN' && (
        <p class={`alert ${won ? 'alert-info' : 'alert-warn'}`} role="status" data-testid="outcome">
          {req.status === 'AWARDED'
            ? won
              ? `You won this request (estimated total ${formatMoney({ amount: req.selection!.estimatedCost.total, currency: req.selection!.estimatedCost.currency })}). Its bills are under Bills.`
              : 'Bidding closed: another carrier was selected.'
            : req.status === 'CANCELLED'
              ? 'The buyer cancelled this request.'
              : 'Bidding closed without an award.'}
        </p>
      )}
      <Section title="Request">
        <RequestFacts req={req}>
          {req.qosRequirements && (
            <div>
              <dt>Quality required</dt>
              <dd>
                {Object.entries(req.qosRequirements)
                  .filter(([, v]) => v !== null && v !== undefined)
                  .map(([k, v]) => `${k.replace(/([A-Z])/g, ' $1').toLowerCase()} ${v}`)
                  .join(', ') || 'none'}
              </dd>
            </div>
          )}
        </RequestFacts>
      </Section>
      <Section title={req.status === 'OPEN' ? 'Live board' : 'Board (as of the close)'}>
        <LiveBoard live={live} full={false} unit={req.unit} closedAt={req.closedAt} />
      </Section>
      {req.status === 'OPEN' && (
        <Section title={active ? 'Improve your bid' : 'Submit a bid'}>
          <BidForm req={req} active={active} onDone={load} />
        </Section>
      )}
      <Section title="Your bids">
        {req.bids.length === 0 ? (
          <p class="muted">You have not bid on this request.</p>
        ) : (
          <TableWrap label="Your bids">
            <table data-testid="my-bids">
              <caption>Your bids on this request, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Submitted</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Rate
                  </th>
                  <th scope="col" class="num">
                    Estimated total
                  </th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {[...req.bids]
                  .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))
                  .map((b) => (
                    <tr key={b.id}>
                      <td>
                        <When at={b.submittedAt} />
                      </td>
                      <td>
                        <Badge value={b.status} />
                      </td>
                      <td class="num">
                        {formatDecimal(b.incentive.ratePerUnit)} {b.incentive.currency}
                      </td>
                      <td class="num">{b.estimatedCost ? formatMoney({ amount: b.estimatedCost.total, currency: b.estimatedCost.currency }) : '—'}</td>
                      <td>{b.status === 'ACTIVE' && req.status === 'OPEN' && <WithdrawButton bid={b} onDone={load} />}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
    </>
  );
}

function WithdrawButton({ bid, onDone }: { bid: MyBid; onDone: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  if (!confirm)
    return (
      <button type="button" class="secondary small" onClick={() => setConfirm(true)}>
        Withdraw
      </button>
    );
  return (
    <span role="group" aria-label="Confirm withdrawal">
      <button
        type="button"
        class="small"
        onClick={async () => {
          try {
            await gql(WITHDRAW, { id: bid.id });
            onDone();
          } catch (e) {
            setError((e as Error).message);
          }
        }}
      >
        Yes, withdraw
      </button>{' '}
      <button type="button" class="secondary small" onClick={() => setConfirm(false)}>
        Keep
      </button>
      <ErrorText error={error} />
    </span>
  );
}
