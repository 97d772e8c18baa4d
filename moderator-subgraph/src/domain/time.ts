import { badInput } from './errors';

/** ISO 8601 with an explicit offset: a local time without a zone is ambiguous for a future interval. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Accepts a Date (from a DateTime scalar) or an ISO 8601 string with a zone. */
export function parseInstant(field: string, v: unknown): Date {
  let d: Date;
  if (v instanceof Date) d = new Date(v.getTime());
  else if (typeof v === 'string' && ISO_INSTANT.test(v)) d = new Date(v);
  else throw badInput(field, `${field} must be an ISO 8601 date-time with a time zone`);
  if (Number.isNaN(d.getTime())) throw badInput(field, `${field} is not a valid date-time`);
  return d;
}
