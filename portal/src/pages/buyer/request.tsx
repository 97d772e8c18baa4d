import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, onConnected } from '../../api';
import { LiveBoard, rateHistory, useLiveBoard, type Board, type HistoricBid } from '../../board';
import { formatDecimal, formatMoney, perUnit } from '../../decimal';
import { href } from '../../router';
import { RequestFacts } from '../../request-facts';
import type { Session } from '../../session';
import { Badge, ErrorText, Loading, PageTitle, Section, When } from '../../ui';
import { BillsTable, useBillIssued, type BillRow } from '../bills';
import REQUEST from './buyer-request.graphql';
import CLOSE from './close-bidding.graphql';
import CANCEL from './cancel-request.graphql';

// One request: live board, close, selection, bills

interface Selection {
  id: string;
  selectedAt: string;
  carrier: { id: string; name: string } | null;
  interval: { start: string; end: string };
  incentive: { currency: string; ratePerUnit: string; tierModel: string; tiers: { fromQuantity: string; ratePerUnit: string }[]; minimumCharge: string | null; setupFee: string | null };
  estimatedCost: { total: string; effectiveRate: string; currency: string };
}

interface FullRequest {
  id: string;
  status: string;
  serviceType: string;
  quantity: string;
  unit: string;
  biddingClosesAt: string;
  createdAt: string;
  closedAt: string | null;
  currency: string | null;
  distributionCount: number;
  routes: { origin: string; destination: string; network: string | null }[];
  interval: { start: string; end: string };
  endUserId: string | null;
  qosRequirements: Record<string, number | null> | null;
  distributions: { distributedAt: string; carrier: { id: string; name: string } | null }[] | null;
  bids: (HistoricBid & { id: string; carrier: { id: string; name: string } | null; incentive: { currency: string; ratePerUnit: string } })[];
  board: Board;
  selection: Selection | null;
  bills: BillRow[];
}

export function BuyerRequest({ session, id }: { session: Session; id: string }) {
  const [req, setReq] = useState<FullRequest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<'close' | 'cancel' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    gql<{ serviceRequest: FullRequest | null }>(REQUEST, { id })
      .then((d) => {
        if (!d.serviceRequest) setError(`Request ${id} was not found.`);
        else setReq(d.serviceRequest);
      })
      .catch((e) => setError(e.message));
  useEffect(() => void load(), [id, session.token]);
  // After a lost connection, read the request again (events missed meanwhile).
  useEffect(() => onConnected(() => void load()), [id]);
  // Bills for this request (the advance bill right after the award) arrive live.
  useBillIssued((b) => {
    if (b.request?.id === id) void load();
  });
  // When bidding closes on schedule, look again.
  useEffect(() => {
    if (!req || req.status !== 'OPEN') return;
    const ms = new Date(req.biddingClosesAt).getTime() - Date.now() + 1500;
    if (ms > 2 ** 31 - 1) return;
    const t = setTimeout(() => void load(), Math.max(0, ms));
    return () => clearTimeout(t);
  }, [req?.status, req?.biddingClosesAt]);

  const history = useMemo(() => (req ? rateHistory(req.bids, req.closedAt) : []), [req?.bids, req?.closedAt]);
  const live = useLiveBoard(id, req?.board ?? null, history, true, req?.status === 'OPEN');

  const act = async (what: 'close' | 'cancel') => {
    setBusy(true);
    setActionError(null);
    try {
      if (what === 'close') {
        const d = await gql<{ closeBidding: Partial<FullRequest> }>(CLOSE, { id });
        setReq((r) => (r ? { ...r, ...d.closeBidding } : r));
      } else {
        await gql(CANCEL, { id });
      }
      setConfirming(null);
      await load();
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (error) return <ErrorText error={error} />;
  if (!req) return <Loading what="the request" />;
  const sel = req.selection;
  return (
    <>
      <PageTitle>
        Request {req.id} <Badge value={req.status} />
      </PageTitle>
      <p data-testid="request-status" class="sr-only">
        Status: {req.status}
      </p>
      <Section title="Request">
        <RequestFacts req={req}>
          <div>
            <dt>Distributed to</dt>
            <dd>
              {req.distributionCount} carrier{req.distributionCount === 1 ? '' : 's'}
              {req.distributions?.length ? `: ${req.distributions.map((d) => d.carrier?.name ?? '?').join(', ')}` : ''}
            </dd>
          </div>
          {req.endUserId && (
            <div>
              <dt>End user</dt>
              <dd>{req.endUserId}</dd>
            </div>
          )}
        </RequestFacts>
        {req.status === 'OPEN' && (
          <div class="actions">
            {confirming ? (
              <div class="confirm" role="group" aria-labelledby="confirm-q">
                <p id="confirm-q">
                  {confirming === 'close'
                    ? `Close bidding now and select the top-ranked bid${live.board?.entries[0]?.carrier ? ` (${live.board.entries[0].carrier.name})` : ''}?`
                    : 'Cancel this request? Carriers can no longer bid.'}
                </p>
                <button type="button" disabled={busy} onClick={() => void act(confirming)}>
                  {confirming === 'close' ? 'Yes, close bidding' : 'Yes, cancel the request'}
                </button>{' '}
                <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(null)}>
                  No
                </button>
              </div>
            ) : (
              <>
                <button type="button" onClick={() => setConfirming('close')}>
                  Close bidding now
                </button>{' '}
                <button type="button" class="secondary" onClick={() => setConfirming('cancel')}>
                  Cancel request
                </button>
              </>
            )}
            <ErrorText error={actionError} />
          </div>
        )}
      </Section>

      {sel && (
        <Section title="Selected carrier" id="selection-h">
          <dl class="facts" data-testid="selection">
            <div>
              <dt>Carrier</dt>
              <dd data-testid="selected-carrier">{sel.carrier?.name ?? sel.carrier?.id ?? '—'}</dd>
            </div>
            <div>
              <dt>Rate</dt>
              <dd>
                {formatDecimal(sel.incentive.ratePerUnit)} {sel.incentive.currency} per {perUnit(req.unit)}
                {sel.incentive.tiers.length > 0 && ` (${sel.incentive.tierModel.toLowerCase()} tiers: ${sel.incentive.tiers.map((t) => `from ${t.fromQuantity} at ${t.ratePerUnit}`).join(', ')})`}
              </dd>
            </div>
            <div>
              <dt>Estimated total</dt>
              <dd>{formatMoney({ amount: sel.estimatedCost.total, currency: sel.estimatedCost.currency })}</dd>
            </div>
            {sel.incentive.minimumCharge && (
              <div>
                <dt>Minimum charge per period</dt>
                <dd>{formatMoney({ amount: sel.incentive.minimumCharge, currency: sel.incentive.currency })}</dd>
              </div>
            )}
            {sel.incentive.setupFee && (
              <div>
                <dt>Setup fee</dt>
                <dd>{formatMoney({ amount: sel.incentive.setupFee, currency: sel.incentive.currency })}</dd>
              </div>
            )}
            <div>
              <dt>Selected</dt>
              <dd>
                <When at={sel.selectedAt} />
              </dd>
            </div>
          </dl>
          <p>
            <a href={href('routing', sel.interval.start)}>Routing table at the start of service</a>
          </p>
        </Section>
      )}

      <Section title={req.status === 'OPEN' ? 'Live bid board' : 'Bid board (as of the close)'}>
        <LiveBoard live={live} full unit={req.unit} closedAt={req.closedAt} />
      </Section>

      <Section title="Bills for this request">
        {req.bills.length === 0 ? (
          <p class="muted">{sel ? 'The advance bill is on its way from the billing computer…' : 'No bills yet.'}</p>
        ) : (
          <BillsTable bills={req.bills} role={session.role} caption="Bills for this request" />
        )}
      </Section>
    </>
  );
}
