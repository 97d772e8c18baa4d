// Money and quantities arrive as exact decimal strings. Arithmetic stays exact (BigInt at a
// fixed scale); only chart positions are turned into floating-point pixels.

const SCALE = 12;
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export const isDecimal = (s: string) => DECIMAL.test(s.trim());

function toUnits(s: string): bigint {
  const m = DECIMAL.exec(s.trim());
  if (!m) throw new Error(`not a decimal: ${s}`);
  const frac = (m[3] ?? '').slice(0, SCALE).padEnd(SCALE, '0');
  const v = BigInt(m[2] + frac);
  return m[1] ? -v : v;
}

function fromUnits(v: bigint): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(SCALE + 1, '0');
  const int = digits.slice(0, -SCALE);
  const frac = digits.slice(-SCALE).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? '.' + frac : ''}`;
}

export const addDecimal = (a: string, b: string) => fromUnits(toUnits(a) + toUnits(b));
export const compareDecimal = (a: string, b: string) => {
  const d = toUnits(a) - toUnits(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
export const sumDecimal = (xs: string[]) => fromUnits(xs.reduce((acc, x) => acc + toUnits(x), 0n));

/** Groups the integer part in thousands, keeps every given decimal place. */
export function formatDecimal(s: string | null | undefined, minDecimals = 0): string {
  if (s === null || s === undefined) return '—';
  const m = DECIMAL.exec(s.trim());
  if (!m) return s;
  const int = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = (m[3] ?? '').padEnd(minDecimals, '0');
  return `${m[1] ?? ''}${int}${frac ? '.' + frac : ''}`;
}

export function formatMoney(m: { amount: string; currency: string } | null | undefined): string {
  if (!m) return '—';
  return `${formatDecimal(m.amount)} ${m.currency}`;
}

/** For drawing only. */
export const toNumber = (s: string) => Number(s);

/** "1,000 minutes", "12.5 GB", "100 Mbps" for a quantity in a request or rate unit. */
export function formatQuantity(q: string, unit: string): string {
  const u = unit.toUpperCase();
  const label = u === 'MINUTE' ? (q === '1' ? 'minute' : 'minutes') : u === 'MBPS' || u === 'MBPS_P95' ? 'Mbps' : u === 'GB' ? 'GB' : unit.toLowerCase();
  return `${formatDecimal(q)} ${label}`;
}

/** "minute", "GB", "Mbps": the unit a rate is per. */
export const perUnit = (unit: string) => (unit.toUpperCase() === 'MINUTE' ? 'minute' : unit.toUpperCase().startsWith('MBPS') ? 'Mbps' : unit.toUpperCase() === 'GB' ? 'GB' : unit.toLowerCase());

/** "minutes", "GB", "Mbps": a unit as an axis or column label. */
export const unitsLabel = (unit: string) => (unit.toUpperCase() === 'MINUTE' ? 'minutes' : perUnit(unit));
