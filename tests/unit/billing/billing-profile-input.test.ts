import { applyProfileChange, assertLockedUnchanged, defaultProfile, AppError } from '../../../billing-subgraph/src/domain';

const base = defaultProfile('p-1', 'BUYER');
const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return [(e as AppError).code, (e as AppError).field];
  }
  return null;
};

describe('a billing profile change', () => {
  it('keeps what it leaves out, clears what it sets to null, and normalises the tax rate', () => {
    const p = applyProfileChange(base, { timeZone: 'America/New_York', legalName: '  Acme Corp  ', tax: { name: 'Sales tax', ratePercent: '8.8750', reverseCharge: false } });
    expect(p).toMatchObject({ timeZone: 'America/New_York', cycleDay: 1, legalName: 'Acme Corp', tax: { name: 'Sales tax', ratePercent: '8.875', reverseCharge: false }, paymentTermsDays: 30 });
    expect(applyProfileChange(p, { legalName: null, tax: null })).toMatchObject({ timeZone: 'America/New_York', legalName: null, tax: null });
  });

  it('names the offending field', () => {
    expect(fieldOf(() => applyProfileChange(base, { tax: { name: 'VAT', ratePercent: '0', reverseCharge: 'yes' } }))).toEqual(['BAD_USER_INPUT', 'profile.tax.reverseCharge']);
    expect(fieldOf(() => applyProfileChange(base, { tax: { name: 'VAT', ratePercent: '-1', reverseCharge: false } }))).toEqual(['BAD_USER_INPUT', 'profile.tax.ratePercent']);
    expect(fieldOf(() => applyProfileChange(base, { address: { lines: ['a', 'b', 'c', 'd', 'e'], city: 'X', country: 'US' } }))).toEqual(['BAD_USER_INPUT', 'profile.address.lines']);
    expect(fieldOf(() => applyProfileChange(base, { address: { lines: ['1 Main St'], city: '', country: 'US' } }))).toEqual(['BAD_USER_INPUT', 'profile.address.city']);
    expect(fieldOf(() => applyProfileChange(base, { paymentTermsDays: 1.5 }))).toEqual(['BAD_USER_INPUT', 'profile.paymentTermsDays']);
    expect(fieldOf(() => applyProfileChange(base, { accountNumber: 'A'.repeat(41) }))).toEqual(['BAD_USER_INPUT', 'profile.accountNumber']);
    expect(applyProfileChange(base, { accountNumber: ' CUST-004711 ' }).accountNumber).toBe('CUST-004711');
    expect(fieldOf(() => applyProfileChange(base, { paymentInstructions: 'x'.repeat(2001) }))).toEqual(['BAD_USER_INPUT', 'profile.paymentInstructions']);
    expect(fieldOf(() => applyProfileChange(base, { timeZone: null }))).toEqual(['BAD_USER_INPUT', 'profile.timeZone']);
  });

  it('refuses to move a billed party\'s periods or currency, and allows anything before', () => {
    const ny = applyProfileChange(base, { timeZone: 'America/New_York' });
    expect(() => assertLockedUnchanged(base, ny, false)).not.toThrow();
    expect(fieldOf(() => assertLockedUnchanged(base, ny, true))).toEqual(['CONFLICT', 'profile.timeZone']);
    expect(fieldOf(() => assertLockedUnchanged(base, applyProfileChange(base, { currency: 'USD' }), true))).toEqual(['CONFLICT', 'profile.currency']);
    expect(() => assertLockedUnchanged(base, applyProfileChange(base, { legalName: 'New name', paymentTermsDays: 10 }), true)).not.toThrow();
  });
});
