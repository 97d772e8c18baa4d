import { parseInstant } from '../../domain';
import { badInput } from '../access';

export function parsePeriod(period: { start?: unknown; end?: unknown } | null | undefined, field = 'period'): { start: Date; end: Date } {
  const start = parseInstant(period?.start);
  if (!start) throw badInput(`${field}.start`, `${field}.start must be an ISO 8601 date-time with a time zone`);
  const end = parseInstant(period?.end);
  if (!end) throw badInput(`${field}.end`, `${field}.end must be an ISO 8601 date-time with a time zone`);
  if (end.getTime() <= start.getTime()) throw badInput(`${field}.end`, `${field}.end must be after ${field}.start`);
  return { start, end };
}
