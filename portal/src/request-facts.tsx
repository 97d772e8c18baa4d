import type { ComponentChildren } from 'preact';
import { formatQuantity } from './decimal';
import { When } from './ui';

/** The request fields buyer and carrier pages both show. */
export interface RequestFactsData {
  serviceType: string;
  quantity: string;
  unit: string;
  biddingClosesAt: string;
  closedAt: string | null;
  routes: { origin: string; destination: string; network: string | null }[];
  interval: { start: string; end: string };
}

/** The facts list of a service request; `children` adds role-specific rows after the common ones. */
export function RequestFacts({ req, children }: { req: RequestFactsData; children?: ComponentChildren }) {
  return (
    <dl class="facts">
      <div>
        <dt>Routes</dt>
        <dd>{req.routes.map((r) => `${r.origin} → ${r.destination}${r.network ? ` (${r.network})` : ''}`).join('; ')}</dd>
      </div>
      <div>
        <dt>Quantity</dt>
        <dd>
          {formatQuantity(req.quantity, req.unit)} ({req.serviceType.toLowerCase()})
        </dd>
      </div>
      <div>
        <dt>Service</dt>
        <dd>
          <When at={req.interval.start} /> – <When at={req.interval.end} />
        </dd>
      </div>
      <div>
        <dt>{req.closedAt ? 'Bidding closed' : 'Bidding closes'}</dt>
        <dd>
          <When at={req.closedAt ?? req.biddingClosesAt} />
        </dd>
      </div>
      {children}
    </dl>
  );
}
