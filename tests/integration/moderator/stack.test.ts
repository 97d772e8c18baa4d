import { gqlOk, startStack } from '../../support/harness';
import { bid, CLOSE, createRequest, until, registerParties } from './helpers';

describe('moderator → billing: the selection record through the real billing subgraph', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack({ moderator: { OUTBOX_INTERVAL_MS: '50', SCHEDULER_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers an award to billing recordSelection, authenticated as the MODERATOR, exactly once', async () => {
    const m = stack.moderator;
    const parties = await registerParties(m.url, { buyers: [{ id: 'buyer-stack' }], carriers: [{ id: 'carrier-stack', coverage: ['44'] }] });
    const req = await createRequest(m.url, parties.buyers['buyer-stack'].token, { quantity: '100' });
    await bid(m.url, parties.carriers['carrier-stack'].token, req.id, '0.01');
    const sel = (await gqlOk(m.url, CLOSE, { id: req.id }, parties.buyers['buyer-stack'].token)).closeBidding.selection;
    const q = `query($id: ID!) { selection(id: $id) { billingDelivery { state attempts lastError } } }`;
    const delivered = await until(async () => {
      const d = (await gqlOk(m.url, q, { id: sel.id }, parties.admin)).selection.billingDelivery;
      return d.state === 'DELIVERED' || d.attempts >= 3 ? d : null;
    });
    expect(delivered).toEqual({ state: 'DELIVERED', attempts: 1, lastError: null });
  });
});
