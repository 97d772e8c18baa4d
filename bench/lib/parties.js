'use strict';
// Buyers, carriers and requests created through the API, as an operator and buyers would.
const { gqlOk, token } = require('./util');

const REGISTER_BUYER = `mutation($input: RegisterBuyerInput!) { registerBuyer(input: $input) { id } }`;
const REGISTER_CARRIER = `mutation($input: RegisterCarrierInput!) { registerCarrier(input: $input) { id } }`;
const CREATE_REQUEST = `mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id distributionCount } }`;
const DAY = 86_400_000;

async function registerParties(url, { buyers = [], carriers = [] }) {
  const admin = await token('ADMIN', 'bench-admin');
  for (const id of buyers) await gqlOk(url, REGISTER_BUYER, { input: { id, name: `Buyer ${id}` } }, admin);
  for (const { id, coverage } of carriers) await gqlOk(url, REGISTER_CARRIER, { input: { id, name: `Carrier ${id}`, coverage } }, admin);
  return admin;
}

async function createRequest(url, buyerId, overrides = {}) {
  const now = Date.now();
  const input = {
    routes: [{ origin: '1', destination: '4420' }],
    serviceType: 'VOICE',
    quantity: '10000',
    unit: 'MINUTE',
    interval: { start: new Date(now + 2 * DAY).toISOString(), end: new Date(now + 32 * DAY).toISOString() },
    biddingClosesAt: new Date(now + DAY).toISOString(),
    ...overrides,
  };
  return (await gqlOk(url, CREATE_REQUEST, { input }, await token('BUYER', buyerId))).createServiceRequest;
}

module.exports = { registerParties, createRequest, DAY };
