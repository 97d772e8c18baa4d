// Rows that are no billable call: skipped with their reason, never billed to a made-up destination.
import { billableDestination, internalPattern } from '../../../billing-subgraph/src/domain/billable-number';
import { diallingPlan } from '../../../billing-subgraph/src/domain/dialling';

const NANP = { minDestinationDigits: 8, dialling: diallingPlan({ countryCode: '1' }) };

describe('billableDestination', () => {
  it('international and national numbers are billable, as E.164 digits', () => {
    expect(billableDestination('011442079460000', NANP)).toEqual({ billable: true, digits: '442079460000' });
    expect(billableDestination('2125550123', NANP)).toEqual({ billable: true, digits: '12125550123' });
    expect(billableDestination('+44 20 7946 0000', { minDestinationDigits: 8 })).toEqual({ billable: true, digits: '442079460000' });
  });
  it('internal extensions and 7-digit local numbers are skipped as shorter than the minimum', () => {
    expect(billableDestination('1001', NANP)).toEqual({ billable: false, skip: true, category: 'internal extension', reason: 'internal extension 1001: not a billable destination (shorter than --min-destination-digits 8)' });
    expect(billableDestination('5550123', NANP)).toEqual({ billable: false, skip: true, category: 'short number', reason: '7-digit number 5550123 (a local number without its area code?): not a billable destination (shorter than --min-destination-digits 8)' });
    expect(billableDestination('5550123', { ...NANP, minDestinationDigits: 7 })).toEqual({ billable: true, digits: '5550123' });
  });
  it('Asterisk special extensions and feature codes are skipped', () => {
    for (const x of ['s', 'h', 'i', 't', 'T']) expect(billableDestination(x, NANP)).toMatchObject({ billable: false, skip: true, category: 'dial plan extension' });
    expect(billableDestination('s', NANP)).toMatchObject({ reason: 'dial plan extension "s" (start): not a dialled number, nothing to bill' });
    expect(billableDestination('*72', NANP)).toEqual({ billable: false, skip: true, category: 'feature code', reason: 'feature code *72: handled by the PBX, not a billable destination' });
    expect(billableDestination('#21#', NANP)).toMatchObject({ skip: true, category: 'feature code' });
  });
  it('--internal-pattern adds the PBX\'s own longer numbers; a bad pattern is refused', () => {
    const p = { ...NANP, internalPattern: internalPattern('9\\d{7}') };
    expect(billableDestination('90001234', p)).toMatchObject({ billable: false, skip: true, category: 'internal extension' });
    expect(billableDestination('990001234', p)).toEqual({ billable: true, digits: '990001234' });
    expect(() => internalPattern('(')).toThrow(/--internal-pattern "\(" is not a regular expression/);
  });
  it('what is no telephone number at all stays a rejection', () => {
    expect(billableDestination('voicemail', NANP)).toEqual({ billable: false, skip: false, reason: 'called_number "voicemail" is not a telephone number' });
  });
});
