// Claim 37 (on claim 31): the usage data "includes information identifying the telecommunication
// equipment measuring the telecommunication service provided to the Buyer by the first Carrier".
import { agentToken, callOk, ingestOk, runAuction, startExchange, usageReporter, voiceUsage, type Exchange } from './support/scenario';

describe('claim 37: the billing computer keeps which equipment measured each record', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange({ gateway: true });
  });
  afterAll(() => ex?.stop());

  it('shows buyer and carrier the measuring equipment of every rated record', async () => {
    const a = await runAuction(ex);
    const agent = await agentToken(ex);
    const meter = await usageReporter(ex, 'METER', 'probe-7', ['buyer-1'], agent);
    await ingestOk(ex, [
      voiceUsage(a, { id: 'p7-1', seconds: 60, source: 'MEASURING_EQUIPMENT', equipmentId: 'probe-7/port-1' }),
      voiceUsage(a, { id: 'p7-2', seconds: 60, atMin: 2, source: 'MEASURING_EQUIPMENT', equipmentId: 'probe-7/port-2' }),
    ], meter);
    const q = `query($id: ID!) { serviceRequest(id: $id) { billingRecords(first: 10) { nodes { amount { amount } usage { recordId equipmentId source } } } } }`;
    for (const p of [a.buyer, a.winner]) {
      const nodes = (await callOk(ex.billingApi, q, { id: a.requestId }, p.token)).serviceRequest.billingRecords.nodes;
      expect(nodes).toEqual([
        { amount: { amount: '0.500000' }, usage: { recordId: 'p7-1', equipmentId: 'probe-7/port-1', source: 'MEASURING_EQUIPMENT' } },
        { amount: { amount: '0.500000' }, usage: { recordId: 'p7-2', equipmentId: 'probe-7/port-2', source: 'MEASURING_EQUIPMENT' } },
      ]);
    }
  });
});
