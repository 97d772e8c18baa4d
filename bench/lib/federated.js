'use strict';
// A small federated world: buyers and carriers registered at the moderator, one service request
// per bill created by its buyer, and the selection recorded at billing (which issues the request's
// ADVANCE bill). Bills then reference Buyer, Carrier and ServiceRequest entities of the moderator.
const { gqlOk, token } = require('./util');
const { registerParties, createRequest } = require('./parties');

const RECORD_SELECTION = `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`;

/** `bills` bills spread round-robin over `buyers` buyers; `concurrency` bills are created at once. */
async function seedFederated(stack, { bills, buyers = 10, carriers = 5, concurrency = 1 }) {
  const buyerIds = Array.from({ length: buyers }, (_, i) => `fed-buyer-${i}`);
  const carrierList = Array.from({ length: carriers }, (_, i) => ({ id: `fed-carrier-${i}`, coverage: ['44'] }));
  await registerParties(stack.moderator.url, { buyers: buyerIds, carriers: carrierList });
  const moderatorToken = await token('MODERATOR', 'moderator');
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, async () => {
    for (let i = next++; i < bills; i = next++) await seedBill(i);
  }));
  return buyerIds;
  async function seedBill(i) {
    const buyerId = buyerIds[i % buyers];
    const req = await createRequest(stack.moderator.url, buyerId);
    await gqlOk(
      stack.billing.url,
      RECORD_SELECTION,
      {
        input: {
          selectionId: `fed-sel-${i}`,
          requestId: req.id,
          buyerId,
          buyerIsReseller: false,
          carrierId: carrierList[i % carriers].id,
          routes: [{ origin: '1', destination: '4420' }],
          serviceType: 'VOICE',
          interval: { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' },
          quantity: String(100 + i),
          unit: 'MINUTE',
          incentive: { currency: 'USD', ratePerUnit: '0.010000' },
          selectedAt: '2026-09-20T12:00:00Z',
        },
      },
      moderatorToken,
    );
  }
}

/** The federated list (gateway) and the same fields from each owning subgraph (direct). */
const FEDERATED_BILLS = `query($n: Int!) { bills(first: $n) { nodes { id number status total { amount currency } buyer { id name } carrier { id name } request { id status quantity } } } }`;
const BILLING_PART = `query($n: Int!) { bills(first: $n) { nodes { id number status total { amount currency } buyer { id } carrier { id } request { id } } } }`;
const MODERATOR_PART = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Buyer { name } ... on Carrier { name } ... on ServiceRequest { status quantity } } }`;

/** What a client calling the subgraphs itself would do: the billing page, then one entity fetch for its references. */
async function directFederatedBills(stack, n, bearer) {
  const page = (await gqlOk(stack.billing.url, BILLING_PART, { n }, bearer)).bills.nodes;
  const reps = new Map();
  for (const b of page) {
    reps.set(`B${b.buyer.id}`, { __typename: 'Buyer', id: b.buyer.id });
    reps.set(`C${b.carrier.id}`, { __typename: 'Carrier', id: b.carrier.id });
    if (b.request) reps.set(`R${b.request.id}`, { __typename: 'ServiceRequest', id: b.request.id });
  }
  const list = [...reps.values()];
  const entities = (await gqlOk(stack.moderator.url, MODERATOR_PART, { r: list }, bearer))._entities;
  const byKey = new Map(list.map((r, i) => [`${r.__typename}:${r.id}`, entities[i]]));
  return page.map((b) => ({
    ...b,
    buyer: { id: b.buyer.id, ...byKey.get(`Buyer:${b.buyer.id}`) },
    carrier: { id: b.carrier.id, ...byKey.get(`Carrier:${b.carrier.id}`) },
    request: b.request ? { id: b.request.id, ...byKey.get(`ServiceRequest:${b.request.id}`) } : null,
  }));
}

module.exports = { seedFederated, directFederatedBills, FEDERATED_BILLS };
