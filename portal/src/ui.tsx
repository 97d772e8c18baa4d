// Small accessible building blocks: labelled fields that show the API's message for their
// field, alerts, live regions, tables that scroll on narrow screens, dates and money.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, gql, onLiveState, type LiveState } from './api';

// ------------------------------------------------------------------------------------------
// Data loading
// ------------------------------------------------------------------------------------------

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  set: (fn: (d: T | null) => T | null) => void;
}

/** Runs `query` when `key` changes; `reload()` runs it again (keeping the old data while it loads). */
export function useQuery<T = any>(query: string | null, variables: Record<string, unknown>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const vars = useRef(variables);
  vars.current = variables;
  const reload = useCallback(async () => {
    if (!query) return;
    const mine = ++seq.current;
    setLoading(true);
    try {
      const d = await gql<T>(query, vars.current);
      if (mine === seq.current) {
        setData(d);
        setError(null);
      }
    } catch (e) {
      if (mine === seq.current) setError((e as Error).message);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, [query, key]);
  useEffect(() => {
    setData(null);
    void reload();
  }, [reload]);
  return { data, error, loading, reload, set: (fn) => setData((d) => fn(d)) };
}

// ------------------------------------------------------------------------------------------
// Forms
// ------------------------------------------------------------------------------------------

/** The API's complaint about a form: its message and, usually, the input field it names. */
export interface FormError {
  message: string;
  field?: string;
}

export function formErrorOf(e: unknown): FormError {
  if (e instanceof ApiError) return { message: e.message, field: e.field };
  return { message: (e as Error)?.message ?? String(e) };
}

/** An element id for an API field path such as `input.routes[0].destination`. */
export const fieldId = (field: string) => 'f-' + field.replace(/[^A-Za-z0-9_-]+/g, '-');

/** Focuses the input the API named, so keyboard and screen-reader users land on the problem. */
export function focusField(field?: string): void {
  setTimeout(() => {
    const el = (field && document.getElementById(fieldId(field))) || document.querySelector<HTMLElement>('[data-form-error]');
    el?.focus();
  }, 0);
}

interface FieldProps {
  /** The API field path this input feeds (e.g. `input.quantity`); errors naming it appear here. */
  name: string;
  label: string;
  hint?: string;
  error?: FormError | null;
  children: (attrs: {
    id: string;
    name: string;
    'aria-invalid': boolean;
    'aria-describedby'?: string;
  }) => JSX.Element;
  class?: string;
}

export function Field({ name, label, hint, error, children, class: cls }: FieldProps) {
  const id = fieldId(name);
  const mine = error?.field === name ? error.message : null;
  const described = [hint ? `${id}-hint` : '', mine ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${mine ? ' field-invalid' : ''}${cls ? ' ' + cls : ''}`}>
      <label for={id}>{label}</label>
      {children({ id, name, 'aria-invalid': !!mine, 'aria-describedby': described })}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {mine && (
        <small id={`${id}-error`} class="field-error" data-field-error={name}>
          {mine}
        </small>
      )}
    </div>
  );
}

/** A form-level alert: always shown for an error; links to the field when the API named one that is on the form. */
export function FormAlert({ error }: { error: FormError | null }) {
  if (!error) return null;
  const onForm = error.field && typeof document !== 'undefined' && document.getElementById(fieldId(error.field));
  return (
    <div class="alert alert-error" role="alert" data-form-error tabIndex={-1}>
      {onForm ? (
        <>
          Please correct the form:{' '}
          <a
            href={`#${fieldId(error.field!)}`}
            onClick={(e) => {
              e.preventDefault();
              document.getElementById(fieldId(error.field!))?.focus();
            }}
          >
            {error.message}
          </a>
        </>
      ) : (
        error.message
      )}
    </div>
  );
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <div class="alert alert-error" role="alert">
      {error}
    </div>
  );
}

/** A polite live region: screen readers announce its text when it changes. */
export function Announce({ text }: { text: string }) {
  return (
    <p class="sr-only" aria-live="polite" aria-atomic="true">
      {text}
    </p>
  );
}

// ------------------------------------------------------------------------------------------
// Display
// ------------------------------------------------------------------------------------------

const DATE_FMT: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

/**
 * An instant as the reader expects it. `zone` (IANA) dates it where the document says it is dated
 * (a bill in its buyer's zone, a statement in its carrier's), else in the browser's zone; a time
 * is then shown with its zone's name so nobody mistakes it for local.
 */
export function When({ at, dateOnly, zone }: { at: string | null | undefined; dateOnly?: boolean; zone?: string | null }) {
  if (!at) return <>—</>;
  const d = new Date(at);
  const tz = zone ? { timeZone: zone } : {};
  const text = dateOnly ? d.toLocaleDateString(undefined, { dateStyle: 'medium', ...tz }) : zone ? d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: zone }) : d.toLocaleString(undefined, DATE_FMT);
  return (
    <time dateTime={at} title={at}>
      {text}
    </time>
  );
}

/**
 * A billing period [start, end) as its days in `zone`: "Nov 1, 2026 – Nov 30, 2026" for a New
 * York buyer's November (the end is exclusive: the last day is the one before it).
 */
export function PeriodDays({ start, end, zone }: { start: string; end: string; zone?: string | null }) {
  const last = new Date(new Date(end).getTime() - 1).toISOString();
  return (
    <span data-testid="period-days" title={zone ? `${zone}: ${start} – ${end}` : `${start} – ${end}`}>
      <When at={start} dateOnly zone={zone} /> – <When at={last} dateOnly zone={zone} />
    </span>
  );
}

/** Midnight starting `month` ("2026-11") on day 1 in `zone`, as an ISO instant (month may be "2026-13" = next January). */
export function zonedMonthStart(year: number, month: number, zone: string): string {
  const wall = Date.UTC(year, month - 1, 1);
  const offsetAt = (ms: number) => {
    const p: Record<string, number> = {};
    for (const x of new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms))) if (x.type !== 'literal') p[x.type] = Number(x.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
  };
  // The offset half a day before the wall time is the one in force at midnight (no zone changes its clocks at midnight on the 1st twice).
  let t = wall - offsetAt(wall - 43_200_000);
  if (t + offsetAt(t) !== wall) t = wall - offsetAt(t);
  return new Date(t).toISOString();
}

export function Badge({ value, tone }: { value: string; tone?: 'good' | 'warn' | 'bad' | 'info' }) {
  const t = tone ?? TONES[value] ?? 'info';
  return <span class={`badge badge-${t}`}>{value.replace(/_/g, ' ').toLowerCase()}</span>;
}

const TONES: Record<string, 'good' | 'warn' | 'bad' | 'info'> = {
  OPEN: 'info',
  AWARDED: 'good',
  NO_AWARD: 'warn',
  CANCELLED: 'bad',
  ACTIVE: 'good',
  REPLACED: 'info',
  WITHDRAWN: 'warn',
  REJECTED: 'bad',
  ISSUED: 'warn',
  PARTIALLY_PAID: 'warn',
  PAID: 'good',
  DELIVERED: 'good',
  PENDING: 'warn',
  FAILED: 'bad',
  UNASSOCIATED: 'warn',
};

/** A table that scrolls sideways on narrow screens, reachable by keyboard. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function Section({ title, children, actions, id }: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  const hid = id ?? 'h-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <section class="card" aria-labelledby={hid}>
      <div class="card-head">
        <h2 id={hid}>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  return (
    <h1 id="page-title" tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function LiveIndicator() {
  const [state, setState] = useState<LiveState>('offline');
  useEffect(() => onLiveState(setState), []);
  const label = state === 'live' ? 'Live updates on' : state === 'connecting' ? 'Connecting live updates…' : 'Live updates idle';
  return (
    <span class={`live live-${state}`} role="status" title={label}>
      <span class="dot" aria-hidden="true" /> {label}
    </span>
  );
}

/** datetime-local value (local time, minutes) for an instant. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An ISO instant from a datetime-local value; the raw text when it is not a date (the API names the field). */
export function fromLocalInput(v: string): string {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/** A payment or request idempotency key (works outside secure contexts too). */
export function randomKey(prefix: string): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
