import { readFileSync } from 'node:fs';
import { AppError, currencyCodes, isCurrency, minorUnits, NOT_SETTLEMENT_CURRENCIES, validateCurrency } from '../../../pricing/src';
import { minorUnits as billingMinorUnits, isCurrency as billingIsCurrency } from '../../../billing-subgraph/src/domain/money';
import { validateIncentive } from '../../../moderator-subgraph/src/domain/incentive';

describe('ISO 4217 currency table', () => {
  it('knows the minor units of known entries', () => {
    const known: Record<string, number> = {
      USD: 2, EUR: 2, GBP: 2, RUB: 2, KZT: 2, BGN: 2, CNY: 2, INR: 2, BRL: 2, VES: 2, SLE: 2, ZWG: 2, XCG: 2,
      JPY: 0, KRW: 0, ISK: 0, VND: 0, CLP: 0, XOF: 0, XAF: 0, XPF: 0, UGX: 0,
      BHD: 3, KWD: 3, OMR: 3, JOD: 3, IQD: 3, LYD: 3, TND: 3,
      CLF: 4, UYW: 4,
    };
    for (const [code, digits] of Object.entries(known)) expect([code, minorUnits(code)]).toEqual([code, digits]);
  });

  it('covers the whole current list (about 180 active codes), not a hand-picked subset', () => {
    const codes = currencyCodes();
    expect(codes.length).toBeGreaterThanOrEqual(150);
    for (const c of codes) expect(c).toMatch(/^[A-Z]{3}$/);
  });

  it('leaves out exactly the codes whose minor unit ISO gives as N.A. (metals, bond units, XXX, XTS)', () => {
    // The list the table is built from ships with the library: every "N.A." entry is refused.
    const xml = readFileSync(require.resolve('currency-codes/iso-4217-list-one.xml'), 'utf8');
    const notApplicable = new Set([...xml.matchAll(/<Ccy>([A-Z]{3})<\/Ccy>\s*<CcyNbr>\d+<\/CcyNbr>\s*<CcyMnrUnts>N\.A\.<\/CcyMnrUnts>/g)].map((m) => m[1]));
    expect([...notApplicable].sort()).toEqual([...NOT_SETTLEMENT_CURRENCIES].sort());
    for (const c of notApplicable) expect(isCurrency(c)).toBe(false);
  });

  it('refuses unknown or lower-case codes rather than guessing 2, naming the field', () => {
    for (const bad of ['XYZ', 'usd', 'US', '', 'XXX']) {
      expect(() => minorUnits(bad, 'input.currency')).toThrow(AppError);
      expect(() => validateCurrency('input.currency', bad)).toThrow(/input\.currency/);
    }
  });

  it('is the table of both subgraphs: whatever the Moderator prices in, billing can bill', () => {
    for (const currency of ['RUB', 'KZT', 'BGN', 'GEL', 'AMD', 'UZS']) {
      expect(validateIncentive({ currency, ratePerUnit: '0.01' }, 'VOICE').currency).toBe(currency);
      expect(billingIsCurrency(currency)).toBe(true);
      expect(billingMinorUnits(currency)).toBe(2);
    }
  });
});
