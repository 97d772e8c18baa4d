import Decimal from 'decimal.js';
import { Dec, minorUnits } from './money';

// How documents (HTML, PDF, CSV) print money (issue 21 item 1). Stored amounts keep their exact
// precision (records 6 dp); a document shows an amount at the currency's minor unit and a rate
// with the precision its tariff needs, labelled as a rate.

/** Most decimal places a printed rate keeps (the precision rates are stored with, trailing zeros dropped). */
export const RATE_MAX_DP = 6;

const unsignedZero = (d: Dec) => (d.isZero() ? new Dec(0) : d);

/** An amount at the currency's minor unit, half-up: "20.85" USD, "-13.50" USD, "1235" JPY. Plain digits (a CSV cell reads it as a number). */
export function formatMoney(amount: Decimal.Value, currency: string): string {
  const dp = minorUnits(currency);
  return unsignedZero(new Dec(amount).toDecimalPlaces(dp, Decimal.ROUND_HALF_UP)).toFixed(dp);
}

/**
 * A rate per unit: at least the currency's minor unit, more places only where the tariff has them
 * (at most RATE_MAX_DP): "0.25", "0.0125", "0.008333".
 */
export function formatRate(rate: Decimal.Value, currency: string): string {
  const dp = minorUnits(currency);
  const r = unsignedZero(new Dec(rate).toDecimalPlaces(RATE_MAX_DP, Decimal.ROUND_HALF_UP));
  return r.toFixed(Math.max(dp, r.decimalPlaces()));
}

const UNIT_WORDS: Readonly<Record<string, string>> = { MINUTE: 'min', GB: 'GB', MBPS: 'Mbps', SESSION: 'session', MESSAGE: 'message' };

/** "min", "GB": a unit as a rate label names it. */
export const unitLabel = (unit: string | null | undefined) => (unit ? (UNIT_WORDS[unit] ?? unit.toLowerCase()) : '');

/** "0.25 USD/min": a rate labelled as one. Several rates (a record across a tier boundary) are joined by " / ". */
export function rateLabel(rates: string | string[] | null | undefined, currency: string, unit: string | null | undefined): string {
  const list = (Array.isArray(rates) ? rates : (rates ?? '').split('/')).filter((r) => r !== '');
  if (!list.length) return '';
  return `${list.map((r) => formatRate(r, currency)).join(' / ')} ${currency}/${unitLabel(unit)}`;
}

/** Amount ÷ quantity as a rate (a destination row's average rate); null without quantity. */
export function averageRate(amount: Decimal.Value, quantity: Decimal.Value): Dec | null {
  const q = new Dec(quantity);
  return q.isZero() ? null : new Dec(amount).div(q);
}
