// Issue 14, item 3: billing profiles. A New York buyer's periods run midnight to midnight Eastern:
// its calls land in the period of their local date, its tiers reset and its minimum charges apply
// per New York month, and a billing cycle run bills that month. Profiles are validated, read only
// by the party itself and the billing staff; once the party is billed its currency is fixed and
// its zone moves only from its next period start (issue 21 item 6).
import { periodContaining } from '../../../billing-subgraph/src/domain';
import { errorCodes, gql, gqlOk, startBilling, token } from '../../support/harness';
import { agentToken, BILL_FIELDS, ingestOk, moderatorToken, recordSelection, selectionInput, voice, type Billing } from './fixtures';

const SET = `mutation($partyId: ID!, $role: BillingPartyRole!, $profile: BillingProfileInput!) {
  setBillingProfile(partyId: $partyId, role: $role, profile: $profile) {
    partyId role isDefault timeZone cycleDay currency legalName taxRegistration paymentTermsDays paymentInstructions updatedBy
    address { lines city region postalCode country } tax { name ratePercent reverseCharge }
  }
}`;
const READ = `query($partyId: ID!) { billingProfile(partyId: $partyId) { partyId role isDefault timeZone cycleDay legalName paymentTermsDays } }`;
const CYCLE = `mutation($period: String!) { runBillingCycle(period: $period) { issued bills { ${BILL_FIELDS} timeZone periodLabel } } }`;
const RECORDS = `query($id: ID!) { billingRecords(requestId: $id, first: 100) { nodes { id period cumulativeBefore } } }`;

const NY = { timeZone: 'America/New_York', cycleDay: 1 };
// Selections covering New York's October to December.
const INTERVAL = { start: '2026-10-01T04:00:00Z', end: '2027-01-01T05:00:00Z' };

async function setProfile(b: Billing, partyId: string, profile: Record<string, unknown>, role = 'BUYER', bearer?: string) {
  return gql(b.url, SET, { partyId, role, profile }, bearer ?? (await agentToken()));
}

const usageLines = (bill: any) => bill.lines.filter((l: any) => l.kind === 'USAGE');

describe('billing profiles: periods, tiers and minimum charges in the buyer\'s zone', () => {
  let b: Billing;
  beforeAll(async () => {
    b = await startBilling({ WORKERS: 'false' });
  });
  afterAll(async () => {
    await b.conn.dropDatabase();
    await b.stop();
  });

  it('validates every field of a profile, naming it, and writes nothing on a refusal', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ timeZone: 'Mars/Olympus_Mons' }, 'profile.timeZone'],
      [{ cycleDay: 29 }, 'profile.cycleDay'],
      [{ currency: 'XYZ' }, 'profile.currency'],
      [{ tax: { name: 'VAT', ratePercent: '20', reverseCharge: true } }, 'profile.tax.ratePercent'],
      [{ tax: { name: 'VAT', ratePercent: '100.5', reverseCharge: false } }, 'profile.tax.ratePercent'],
      [{ tax: { name: 'VAT', ratePercent: '1e1', reverseCharge: false } }, 'profile.tax.ratePercent'],
      [{ address: { lines: ['1 Main St'], city: 'Albany', country: 'usa' } }, 'profile.address.country'],
      [{ address: { lines: [], city: 'Albany', country: 'US' } }, 'profile.address.lines'],
      [{ paymentTermsDays: 400 }, 'profile.paymentTermsDays'],
      [{ legalName: 'x'.repeat(201) }, 'profile.legalName'],
      [{ timeZone: 'America/New_York', legalName: 'Acme\u0000Corp' }, 'profile.legalName'],
    ];
    for (const [profile, field] of cases) {
      const r = await setProfile(b, 'val-buyer', profile);
      expect([errorCodes(r), r.errors?.[0].extensions?.field]).toEqual([['BAD_USER_INPUT'], field]);
    }
    // The valid timeZone of the last case was not written either.
    const read = (await gqlOk(b.url, READ, { partyId: 'val-buyer' }, await agentToken())).billingProfile;
    expect(read).toMatchObject({ isDefault: true, timeZone: 'UTC', cycleDay: 1, paymentTermsDays: 30 });

    const ok = await gqlOk(b.url, SET, {
      partyId: 'val-buyer',
      role: 'BUYER',
      profile: {
        timeZone: 'Europe/Berlin',
        cycleDay: 15,
        currency: 'EUR',
        legalName: 'Val GmbH',
        address: { lines: ['Hauptstr. 1'], city: 'Berlin', postalCode: '10115', country: 'DE' },
        taxRegistration: 'DE123456789',
        tax: { name: 'VAT', ratePercent: '0', reverseCharge: true },
        paymentTermsDays: 14,
        paymentInstructions: 'IBAN DE00 0000\nBIC XXXXDEFF',
      },
    }, await agentToken());
    expect(ok.setBillingProfile).toMatchObject({
      partyId: 'val-buyer',
      role: 'BUYER',
      isDefault: false,
      timeZone: 'Europe/Berlin',
      cycleDay: 15,
      currency: 'EUR',
      address: { lines: ['Hauptstr. 1'], city: 'Berlin', region: null, postalCode: '10115', country: 'DE' },
      tax: { name: 'VAT', ratePercent: '0', reverseCharge: true },
      paymentTermsDays: 14,
      paymentInstructions: 'IBAN DE00 0000\nBIC XXXXDEFF',
      updatedBy: 'BILLING_AGENT:agent-1',
    });
    // A field left out keeps its value; null clears an optional one.
    const changed = (await gqlOk(b.url, SET, { partyId: 'val-buyer', role: 'BUYER', profile: { paymentTermsDays: 45, taxRegistration: null } }, await agentToken())).setBillingProfile;
    expect(changed).toMatchObject({ timeZone: 'Europe/Berlin', legalName: 'Val GmbH', paymentTermsDays: 45, taxRegistration: null });
    // The role of a stored profile does not change.
    const role = await setProfile(b, 'val-buyer', { legalName: 'Val' }, 'CARRIER');
    expect([errorCodes(role), role.errors?.[0].extensions?.field]).toEqual([['CONFLICT'], 'role']);
  });

  it('lets only billing staff set a profile, and only the party itself and billing staff read it', async () => {
    await gqlOk(b.url, SET, { partyId: 'auth-buyer', role: 'BUYER', profile: { timeZone: 'Asia/Tokyo' } }, await token('ADMIN', 'admin-1'));
    for (const [role, sub] of [['BUYER', 'auth-buyer'], ['CARRIER', 'auth-carrier'], ['MODERATOR', 'moderator']] as const) {
      expect(errorCodes(await setProfile(b, 'auth-buyer', { legalName: 'Mine' }, 'BUYER', await token(role, sub)))).toEqual(['FORBIDDEN']);
    }
    const own = (await gqlOk(b.url, READ, { partyId: 'auth-buyer' }, await token('BUYER', 'auth-buyer'))).billingProfile;
    expect(own).toMatchObject({ partyId: 'auth-buyer', isDefault: false, timeZone: 'Asia/Tokyo' });
    // Another buyer, a carrier and the Moderator cannot read it.
    for (const [role, sub] of [['BUYER', 'other-buyer'], ['CARRIER', 'auth-carrier'], ['MODERATOR', 'moderator']] as const) {
      const r = await gql(b.url, READ, { partyId: 'auth-buyer' }, await token(role, sub));
      expect(errorCodes(r)).toEqual(['FORBIDDEN']);
      expect(r.data?.billingProfile ?? null).toBeNull();
    }
    // A carrier reads its own default profile, as a carrier.
    const carrier = (await gqlOk(b.url, READ, { partyId: 'auth-carrier' }, await token('CARRIER', 'auth-carrier'))).billingProfile;
    expect(carrier).toMatchObject({ partyId: 'auth-carrier', role: 'CARRIER', isDefault: true, timeZone: 'UTC' });
    expect(errorCodes(await gql(b.url, READ, { partyId: 'auth-buyer' }))).toEqual(['UNAUTHENTICATED']);
  });

  it('puts a New York buyer\'s calls in the period of their local date, resets tiers at its midnight and bills its November from 04:00Z to 05:00Z', async () => {
    const agent = await agentToken();
    await gqlOk(b.url, SET, { partyId: 'ny-buyer', role: 'BUYER', profile: { ...NY, legalName: 'NY Buyer Inc.' } }, agent);
    const volume = { currency: 'USD', ratePerUnit: '0.02', tierModel: 'VOLUME', tiers: [{ fromQuantity: '100', ratePerUnit: '0.01' }] };
    const graduated = { currency: 'USD', ratePerUnit: '0.02', tierModel: 'GRADUATED', tiers: [{ fromQuantity: '100', ratePerUnit: '0.01' }] };
    await recordSelection(b, { selectionId: 'ny-vol', requestId: 'ny-vol-req', buyerId: 'ny-buyer', carrierId: 'ny-carrier', quantity: '1', ...INTERVAL, incentive: volume });
    await recordSelection(b, { selectionId: 'ny-grad', requestId: 'ny-grad-req', buyerId: 'ny-buyer', carrierId: 'ny-carrier', quantity: '1', ...INTERVAL, incentive: graduated });
    // The same three calls on each request: 100 minutes on Oct 31 evening in New York (Nov 1 UTC),
    // one minute on Nov 1 local, one minute on Nov 30 evening local (Dec 1 UTC).
    const calls = (req: string) => [
      voice({ recordId: `${req}-oct31`, seconds: 6000, buyerId: 'ny-buyer', carrierId: 'ny-carrier', requestId: req, start: '2026-11-01T03:30:00Z' }),
      voice({ recordId: `${req}-nov1`, seconds: 60, buyerId: 'ny-buyer', carrierId: 'ny-carrier', requestId: req, start: '2026-11-01T05:00:00Z' }),
      voice({ recordId: `${req}-nov30`, seconds: 60, buyerId: 'ny-buyer', carrierId: 'ny-carrier', requestId: req, start: '2026-12-01T02:00:00Z' }),
    ];
    expect(await ingestOk(b, [...calls('ny-vol-req'), ...calls('ny-grad-req')])).toMatchObject({ accepted: 6 });
    // A buyer without a profile, same call instant: UTC November.
    await recordSelection(b, { selectionId: 'utc-sel', requestId: 'utc-req', buyerId: 'utc-buyer', carrierId: 'ny-carrier', quantity: '1', ...INTERVAL, incentive: volume });
    expect(await ingestOk(b, [voice({ recordId: 'utc-call', seconds: 60, buyerId: 'utc-buyer', carrierId: 'ny-carrier', requestId: 'utc-req', start: '2026-11-01T03:30:00Z' })])).toMatchObject({ accepted: 1 });

    const records = (await gqlOk(b.url, RECORDS, { id: 'ny-grad-req' }, agent)).billingRecords.nodes;
    const byId = Object.fromEntries(records.map((r: any) => [r.id.replace(/^.*-(oct31|nov1|nov30)$/, '$1'), r]));
    expect(byId.oct31.period).toBe('2026-10');
    // The tier total starts again at New York's midnight: the Nov 1 call does not follow the 100 minutes.
    expect(byId.nov1).toMatchObject({ period: '2026-11', cumulativeBefore: '0' });
    expect(byId.nov30.period).toBe('2026-11');
    expect((await gqlOk(b.url, RECORDS, { id: 'utc-req' }, agent)).billingRecords.nodes[0].period).toBe('2026-11');

    const nov = (await gqlOk(b.url, CYCLE, { period: '2026-11' }, agent)).runBillingCycle;
    const nyNov = nov.bills.filter((x: any) => x.buyer.id === 'ny-buyer' && x.kind === 'PERIODIC');
    expect(nyNov).toHaveLength(2);
    for (const bill of nyNov) {
      expect(bill).toMatchObject({ period: { start: '2026-11-01T04:00:00.000Z', end: '2026-12-01T05:00:00.000Z' }, timeZone: 'America/New_York', periodLabel: '2026-11', recordCount: 2 });
    }
    // November's two minutes stay below the 100-minute tier in both models (in UTC months they would follow the 100 minutes).
    const novVol = nyNov.find((x: any) => x.request.id === 'ny-vol-req');
    const novGrad = nyNov.find((x: any) => x.request.id === 'ny-grad-req');
    expect(usageLines(novVol).map((l: any) => [l.quantity, l.tierIndex, l.ratePerUnit, l.amount])).toEqual([['2', 0, '0.02', '0.040000']]);
    expect(usageLines(novGrad).map((l: any) => [l.quantity, l.tierIndex, l.ratePerUnit, l.amount])).toEqual([['2', 0, '0.02', '0.040000']]);
    // The buyer without a profile is billed on the UTC month in the same run.
    const utc = nov.bills.filter((x: any) => x.buyer.id === 'utc-buyer' && x.kind === 'PERIODIC');
    expect(utc.map((x: any) => [x.period.start, x.period.end, x.timeZone, x.recordCount])).toEqual([['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', 'UTC', 1]]);
    // Re-running the cycle issues nothing new.
    const again = (await gqlOk(b.url, CYCLE, { period: '2026-11' }, agent)).runBillingCycle;
    expect(again.issued).toBe(0);
    expect(again.bills.map((x: any) => x.id).sort()).toEqual(nov.bills.map((x: any) => x.id).sort());

    // October in New York holds the Oct 31 evening call, and its 100 minutes reach the tier.
    const oct = (await gqlOk(b.url, CYCLE, { period: '2026-10' }, agent)).runBillingCycle;
    const nyOct = oct.bills.filter((x: any) => x.buyer.id === 'ny-buyer' && x.kind === 'PERIODIC');
    expect(nyOct.map((x: any) => [x.period.start, x.period.end, x.recordCount])).toEqual([
      ['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z', 1],
      ['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z', 1],
    ]);
    const octVol = nyOct.find((x: any) => x.request.id === 'ny-vol-req');
    const octGrad = nyOct.find((x: any) => x.request.id === 'ny-grad-req');
    expect(usageLines(octVol).map((l: any) => [l.quantity, l.tierIndex, l.amount])).toEqual([['100', 1, '1.000000']]);
    expect(usageLines(octGrad).reduce((a: number, l: any) => a + Number(l.quantity), 0)).toBe(100);
    expect(usageLines(octGrad).map((l: any) => l.tierIndex)).toEqual([0]);

    // A billed buyer's zone changes from its next period start on (issue 21 item 6): recorded with
    // that date; the periods before keep New York (November billed again issues nothing new).
    const nextStart = periodContaining({ timeZone: 'America/New_York', cycleDay: 1 }, new Date()).end.toISOString();
    const zone = (await gqlOk(b.url, `mutation { setBillingProfile(partyId: "ny-buyer", role: BUYER, profile: { timeZone: "Europe/Paris" }) { timeZone rulesEffectiveFrom previousRules { timeZone cycleDay until } } }`, {}, agent)).setBillingProfile;
    expect(zone).toEqual({ timeZone: 'Europe/Paris', rulesEffectiveFrom: nextStart, previousRules: [{ timeZone: 'America/New_York', cycleDay: 1, until: nextStart }] });
    const novAgain = (await gqlOk(b.url, CYCLE, { period: '2026-11' }, agent)).runBillingCycle;
    expect(novAgain.issued).toBe(0);
    expect(novAgain.bills.filter((x: any) => x.buyer.id === 'ny-buyer' && x.kind === 'PERIODIC').map((x: any) => [x.period.start, x.timeZone])).toEqual([
      ['2026-11-01T04:00:00.000Z', 'America/New_York'],
      ['2026-11-01T04:00:00.000Z', 'America/New_York'],
    ]);
    // one change at a time: another before it takes over is refused
    const day = await setProfile(b, 'ny-buyer', { cycleDay: 5 });
    expect([errorCodes(day), day.errors?.[0].extensions?.field, day.errors?.[0].message]).toEqual([['CONFLICT'], 'profile.timeZone', expect.stringContaining(`already scheduled from ${nextStart}`)]);
    const cur = await setProfile(b, 'ny-buyer', { currency: 'EUR' });
    expect([errorCodes(cur), cur.errors?.[0].extensions?.field]).toEqual([['CONFLICT'], 'profile.currency']);
    const renamed = (await gqlOk(b.url, SET, { partyId: 'ny-buyer', role: 'BUYER', profile: { legalName: 'NY Buyer LLC', paymentTermsDays: 15 } }, agent)).setBillingProfile;
    expect(renamed).toMatchObject({ timeZone: 'Europe/Paris', legalName: 'NY Buyer LLC', paymentTermsDays: 15 });
    // A buyer without a profile that has been billed moves to its real zone from its next UTC month.
    const late = (await gqlOk(b.url, `mutation { setBillingProfile(partyId: "utc-buyer", role: BUYER, profile: { timeZone: "America/New_York" }) { timeZone rulesEffectiveFrom } }`, {}, agent)).setBillingProfile;
    expect(late).toEqual({ timeZone: 'America/New_York', rulesEffectiveFrom: periodContaining({ timeZone: 'UTC', cycleDay: 1 }, new Date()).end.toISOString() });
  });

  it('issues the adjustment of an accepted dispute on a New York bill for that buyer and period only', async () => {
    const agent = await agentToken();
    const nyBuyer = await token('BUYER', 'ny-buyer');
    const bill = (await gqlOk(b.url, `{ bills(first: 50, filter: { kind: PERIODIC }) { nodes { id period { start } request { id } } } }`, {}, nyBuyer)).bills.nodes.find(
      (x: any) => x.period.start === '2026-11-01T04:00:00.000Z' && x.request.id === 'ny-vol-req',
    );
    // A call of the other buyer arrives late, inside New York's November: it waits for its own (UTC) month's adjustment.
    expect(await ingestOk(b, [voice({ recordId: 'utc-late', seconds: 60, buyerId: 'utc-buyer', carrierId: 'ny-carrier', requestId: 'utc-req', start: '2026-11-20T12:00:00Z' })])).toMatchObject({ accepted: 1 });
    const d = (await gqlOk(b.url, `mutation($i: OpenDisputeInput!) { openDispute(input: $i) { id } }`, { i: { billId: bill.id, reason: 'rate', amount: '-0.01' } }, nyBuyer)).openDispute;
    const resolved = (await gqlOk(b.url, `mutation($i: ResolveDisputeInput!) { resolveDispute(input: $i) { status adjustmentBillId } }`, { i: { disputeId: d.id, accept: true, reason: 'ok' } }, agent)).resolveDispute;
    expect(resolved.status).toBe('ACCEPTED');
    const adj = (await gqlOk(b.url, `query($id: ID!) { bill(id: $id) { kind timeZone periodLabel period { start end } buyer { id } } }`, { id: resolved.adjustmentBillId }, agent)).bill;
    expect(adj).toEqual({ kind: 'ADJUSTMENT', timeZone: 'America/New_York', periodLabel: '2026-11', period: { start: '2026-11-01T04:00:00.000Z', end: '2026-12-01T05:00:00.000Z' }, buyer: { id: 'ny-buyer' } });
    const late = (await gqlOk(b.url, `{ billingRecords(requestId: "utc-req", first: 10) { nodes { id billId } } }`, {}, agent)).billingRecords.nodes.find((r: any) => r.id.endsWith('utc-late'));
    expect(late.billId).toBeNull();
  });

  it('charges the minimum of a selection in the New York month it was active in', async () => {
    const agent = await agentToken();
    await gqlOk(b.url, SET, { partyId: 'ny-min-buyer', role: 'BUYER', profile: NY }, agent);
    // Active until Oct 31, 10 PM in New York (Nov 1, 02:00 UTC): New York's October only.
    await recordSelection(b, {
      selectionId: 'ny-min',
      requestId: 'ny-min-req',
      buyerId: 'ny-min-buyer',
      carrierId: 'ny-carrier',
      quantity: '1',
      start: '2026-10-15T00:00:00Z',
      end: '2026-11-01T02:00:00Z',
      incentive: { currency: 'USD', ratePerUnit: '1', minimumCharge: '5' },
    });
    const nov = (await gqlOk(b.url, CYCLE, { period: '2026-11' }, agent)).runBillingCycle;
    expect(nov.bills.filter((x: any) => x.buyer.id === 'ny-min-buyer')).toEqual([]);
    const oct = (await gqlOk(b.url, CYCLE, { period: '2026-10' }, agent)).runBillingCycle;
    const mine = oct.bills.filter((x: any) => x.buyer.id === 'ny-min-buyer');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: 'PERIODIC', recordCount: 0, timeZone: 'America/New_York', period: { start: '2026-10-01T04:00:00.000Z', end: '2026-11-01T04:00:00.000Z' } });
    // The advance paid 1 minute + 4 of top-up: the period's minimum of 5 is topped up and credited.
    expect(mine[0].lines.map((l: any) => [l.kind, l.amount])).toEqual([['MINIMUM_TOP_UP', '5.000000'], ['ADVANCE_CREDIT', '-5.000000']]);
  });

  it('refuses a selection priced in another currency than the buyer or carrier is billed in, writing nothing', async () => {
    expect((await setProfile(b, 'eur-buyer', { timeZone: 'Europe/Paris', cycleDay: 1, currency: 'EUR' })).errors).toBeUndefined();
    const sel = (selectionId: string, currency: string, carrierId = 'any-carrier') => ({ selectionId, requestId: `${selectionId}-req`, buyerId: 'eur-buyer', carrierId, quantity: '1', incentive: { currency, ratePerUnit: '0.10' } });
    const refused = await gql(b.url, `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`, { input: selectionInput(sel('usd-sel', 'USD')) }, await moderatorToken());
    expect([errorCodes(refused), refused.errors?.[0].extensions?.field]).toEqual([['BAD_USER_INPUT'], 'input.incentive.currency']);
    expect(refused.errors?.[0].message).toContain('billed in EUR');
    expect(await b.models.Selection.countDocuments({ _id: 'usd-sel' })).toBe(0);
    expect(await b.models.Bill.countDocuments({ buyerId: 'eur-buyer' })).toBe(0);
    // the carrier's billing currency counts as well
    expect((await setProfile(b, 'gbp-carrier', { timeZone: 'Europe/London', cycleDay: 1, currency: 'GBP' }, 'CARRIER')).errors).toBeUndefined();
    const carrierRefused = await gql(b.url, `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id } }`, { input: selectionInput(sel('eur-gbp-sel', 'EUR', 'gbp-carrier')) }, await moderatorToken());
    expect(carrierRefused.errors?.[0].message).toContain('carrier gbp-carrier is billed in GBP');
    // in its own currency it is recorded and billed
    expect((await recordSelection(b, sel('eur-sel', 'EUR'))).id).toBe('eur-sel');
  });

  it('refuses a cycle label that is not a month, and a cycle run by anyone but billing staff', async () => {
    const bad = await gql(b.url, CYCLE, { period: '2026-13' }, await agentToken());
    expect([errorCodes(bad), bad.errors?.[0].extensions?.field]).toEqual([['BAD_USER_INPUT'], 'period']);
    expect(errorCodes(await gql(b.url, CYCLE, { period: '2026-11' }, await token('BUYER', 'ny-buyer')))).toEqual(['FORBIDDEN']);
  });

  it('dates a carrier\'s settlement statement in the carrier\'s zone', async () => {
    // A carrier already billed keeps its currency; its zone moves from its next period start, like a buyer's.
    const billed = (await gqlOk(b.url, `mutation { setBillingProfile(partyId: "ny-carrier", role: CARRIER, profile: { timeZone: "America/Chicago" }) { timeZone rulesEffectiveFrom previousRules { timeZone } } }`, {}, await agentToken())).setBillingProfile;
    expect(billed).toEqual({ timeZone: 'America/Chicago', rulesEffectiveFrom: expect.any(String), previousRules: [{ timeZone: expect.any(String) }] });
    await gqlOk(b.url, SET, { partyId: 'chi-carrier', role: 'CARRIER', profile: { timeZone: 'America/Chicago', paymentInstructions: 'ACH 123' } }, await agentToken());
    const st = await gqlOk(
      b.url,
      `query($c: ID!, $p: IntervalInput!) { settlementStatement(carrierId: $c, period: $p) { carrierId timeZone } }`,
      { c: 'chi-carrier', p: { start: '2026-11-01T05:00:00Z', end: '2026-12-01T06:00:00Z' } },
      await token('CARRIER', 'chi-carrier'),
    );
    expect(st.settlementStatement).toEqual({ carrierId: 'chi-carrier', timeZone: 'America/Chicago' });
  });
});
