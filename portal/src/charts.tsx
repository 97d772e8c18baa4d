// Hand-drawn SVG charts (no library): the best rate over time on a bid board (a step line) and
// usage per day on a bill (bars). Each has a text description and its data as a table.
import { formatDecimal, perUnit, toNumber, unitsLabel } from './decimal';

const W = 640;
const H = 220;
const PAD = { l: 64, r: 16, t: 14, b: 34 };

function niceTicks(min: number, max: number, count = 4): number[] {
  if (!(max > min)) return [min];
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const short = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString(undefined, { maximumFractionDigits: 0 }) : String(Number(v.toPrecision(4))));

export interface RatePoint {
  at: string;
  /** All-in best rate, null while the board is empty. */
  rate: string | null;
}

/** Best rate over time: a step line, since the best rate holds until the next bid event. */
export function BestRateChart({ points, currency, unit, now }: { points: RatePoint[]; currency: string | null; unit: string; now?: string }) {
  const valued = points.filter((p) => p.rate !== null) as { at: string; rate: string }[];
  const title = `Best rate over time${currency ? ` (${currency} per ${perUnit(unit)})` : ''}`;
  if (valued.length === 0) {
    return (
      <figure class="chart">
        <figcaption>{title}</figcaption>
        <p class="muted">No bids yet: the line starts with the first bid.</p>
      </figure>
    );
  }
  const t0 = new Date(valued[0].at).getTime();
  const tEnd = Math.max(new Date(now ?? valued[valued.length - 1].at).getTime(), new Date(points[points.length - 1].at).getTime(), t0 + 1000);
  const rates = valued.map((p) => toNumber(p.rate));
  let lo = Math.min(...rates);
  let hi = Math.max(...rates);
  if (lo === hi) {
    lo = lo * 0.9;
    hi = hi * 1.1 || 1;
  }
  const margin = (hi - lo) * 0.1;
  lo = Math.max(0, lo - margin);
  hi += margin;
  const x = (t: number) => PAD.l + ((t - t0) / (tEnd - t0)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);

  // Step path through every event; a null rate (board emptied) breaks the line.
  let d = '';
  let prev: number | null = null;
  for (const p of points) {
    const t = x(new Date(p.at).getTime());
    if (p.rate === null) {
      if (prev !== null) d += ` H${t.toFixed(1)}`;
      prev = null;
      continue;
    }
    const v = y(toNumber(p.rate));
    d += prev === null ? ` M${t.toFixed(1)},${v.toFixed(1)}` : ` H${t.toFixed(1)} V${v.toFixed(1)}`;
    prev = v;
  }
  if (prev !== null) d += ` H${x(tEnd).toFixed(1)}`;
  const first = valued[0].rate;
  const last = valued[valued.length - 1].rate;
  const best = valued.reduce((m, p) => (toNumber(p.rate) < toNumber(m) ? p.rate : m), first);
  const desc = `${valued.length} changes; first best rate ${first}, now ${points[points.length - 1].rate ?? 'none'}, lowest ${best}${currency ? ' ' + currency : ''}.`;
  const timeFmt: Intl.DateTimeFormatOptions = tEnd - t0 > 36 * 3600e3 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit', second: '2-digit' };
  return (
    <figure class="chart" data-chart="best-rate">
      <figcaption id="best-rate-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="best-rate-title best-rate-desc" preserveAspectRatio="xMidYMid meet">
        <desc id="best-rate-desc">{desc}</desc>
        {niceTicks(lo, hi).map((v) => (
          <g key={v} class="grid">
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} />
            <text x={PAD.l - 6} y={y(v) + 4} text-anchor="end">
              {short(v)}
            </text>
          </g>
        ))}
        <line class="axis" x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} />
        <text class="tick" x={PAD.l} y={H - 10} text-anchor="start">
          {new Date(t0).toLocaleTimeString(undefined, timeFmt)}
        </text>
        <text class="tick" x={W - PAD.r} y={H - 10} text-anchor="end">
          {new Date(tEnd).toLocaleTimeString(undefined, timeFmt)}
        </text>
        <path class="line" d={d.trim()} />
        {valued.map((p, i) => (
          <circle key={i} class="point" cx={x(new Date(p.at).getTime())} cy={y(toNumber(p.rate))} r={3.5}>
            <title>{`${new Date(p.at).toLocaleString()}: ${p.rate}`}</title>
          </circle>
        ))}
      </svg>
      <details>
        <summary>Best rate data</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Best rate</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={i}>
                <td>{new Date(p.at).toLocaleString()}</td>
                <td class="num">{p.rate ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <p class="sr-only">Last value {last}.</p>
    </figure>
  );
}

export interface DayBar {
  /** YYYY-MM-DD (UTC). */
  day: string;
  quantity: string;
  amount: string;
}

/** Usage per day: one bar per UTC day, quantity in the bill's unit. */
export function UsagePerDayChart({ bars, unit, currency }: { bars: DayBar[]; unit: string; currency: string }) {
  const title = `Usage per day (${unitsLabel(unit)}, UTC days)`;
  if (bars.length === 0) {
    return (
      <figure class="chart">
        <figcaption>{title}</figcaption>
        <p class="muted">No rated usage on this bill.</p>
      </figure>
    );
  }
  const values = bars.map((b) => toNumber(b.quantity));
  const hi = Math.max(...values) * 1.1 || 1;
  const plotW = W - PAD.l - PAD.r;
  const slot = plotW / bars.length;
  const bw = Math.max(2, Math.min(48, slot * 0.7));
  const y = (v: number) => PAD.t + (1 - v / hi) * (H - PAD.t - PAD.b);
  const labelEvery = Math.ceil(bars.length / 8);
  const total = values.reduce((a, b) => a + b, 0);
  const desc = `${bars.length} days from ${bars[0].day} to ${bars[bars.length - 1].day}; highest ${formatDecimal(bars[values.indexOf(Math.max(...values))].quantity)} on ${bars[values.indexOf(Math.max(...values))].day}.`;
  return (
    <figure class="chart" data-chart="usage-per-day">
      <figcaption id="usage-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="usage-title usage-desc" preserveAspectRatio="xMidYMid meet">
        <desc id="usage-desc">{desc}</desc>
        {niceTicks(0, hi).map((v) => (
          <g key={v} class="grid">
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} />
            <text x={PAD.l - 6} y={y(v) + 4} text-anchor="end">
              {short(v)}
            </text>
          </g>
        ))}
        <line class="axis" x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} />
        {bars.map((b, i) => {
          const cx = PAD.l + slot * i + slot / 2;
          const v = toNumber(b.quantity);
          return (
            <g key={b.day}>
              <rect class="bar" x={cx - bw / 2} y={y(v)} width={bw} height={Math.max(0, H - PAD.b - y(v))}>
                <title>{`${b.day}: ${formatDecimal(b.quantity)} ${unitsLabel(unit)}, ${b.amount} ${currency}`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text class="tick" x={cx} y={H - 12} text-anchor="middle">
                  {b.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Usage per day data ({short(total)} in total)</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Quantity ({unitsLabel(unit)})</th>
              <th scope="col">Amount ({currency})</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((b) => (
              <tr key={b.day}>
                <td>{b.day}</td>
                <td class="num">{formatDecimal(b.quantity)}</td>
                <td class="num">{formatDecimal(b.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
