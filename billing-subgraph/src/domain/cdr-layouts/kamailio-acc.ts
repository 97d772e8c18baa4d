import type { CdrPreset, Screen } from './preset';
import { parseAccLine } from '../cdr-lines';

/**
 * Kamailio acc: CDRs of `cdr_enable` (start_time, end_time, fractional duration + cdr_extra),
 * written to the log (key=value; pairs), by acc_json (one JSON object a line), or to the
 * acc_cdrs table (exported as CSV with its header). The called number comes from the extras
 * the operator configured: dst_user, callee or ruri_user.
 */
export const kamailioAcc: CdrPreset = {
  name: 'kamailio-acc',
  description: 'Kamailio acc CDRs (cdr_enable): log lines of key=value; pairs, acc_json lines, or an acc_cdrs CSV export',
  source: 'Kamailio acc module documentation (CDR generation, cdr_extra, acc_cdrs table) and src/modules/acc/acc_cdr.c; acc_json module documentation',
  reading: { kind: 'lines', parser: 'acc' },
  spec: {
    fields: {
      record_id: ['callid', 'call_id', 'sip_callid'],
      calling_number: ['src_user', 'caller', 'from_user'],
      called_number: ['dst_user', 'callee', 'ruri_user', 'dst_ouser', 'to_user'],
      answer_time: ['start_time'],
      end_time: ['end_time'],
      duration: ['duration'],
      request_id: ['request_id'],
    },
  },
  detect: ({ lines }) => {
    // A log holds other lines too: any accounting line among the first ones decides.
    const accLine = (l: string) => {
      if (/\bACC:\s/.test(l) && l.includes('=')) return true;
      if (/(^|[;\s])start_time=[^;]*;/.test(l) && /(^|[;\s])duration=/.test(l)) return true;
      if (l.includes('{"')) {
        const r = parseAccLine(l);
        return !!r && r.ok && !!r.named && ('start_time' in r.named || 'method' in r.named) && ('duration' in r.named || 'callid' in r.named || 'call_id' in r.named);
      }
      return false;
    };
    if (lines.some(accLine)) return true;
    const first = lines[0] ?? '';
    return isAccCdrsHeader(first);
  },
  readingFor: ({ lines }) => (isAccCdrsHeader(lines[0]) ? { kind: 'csv', delimiter: ',', relaxQuotes: false, header: true, skipRows: 0 } : { kind: 'lines', parser: 'acc' }),
  screen: accScreen,
};

/** The acc_cdrs table's columns as exported with a header: start_time, end_time, duration (+ cdr_extra columns). */
function isAccCdrsHeader(line: string | undefined): boolean {
  const raw = (line ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  return ['start_time', 'end_time', 'duration'].every((c) => raw.includes(c)) && !raw.includes('ms_duration');
}

/** Transaction records (ACC: transaction answered/failed) are not CDRs: only CDRs carry a duration. */
export function accScreen(named: Record<string, string>): Screen {
  const code = named.code ?? named.sip_code;
  if (code && /^\d{3}$/.test(code) && Number(code) >= 300) return { skip: true, reason: `SIP ${code}: not answered, nothing to bill` };
  if ((named.duration ?? named.ms_duration ?? '') === '' && (named.start_time ?? '') === '') {
    const method = (named.method ?? '').toUpperCase();
    // The call itself is billed from its CDR (cdr_enable), which the same log carries.
    if (method && method !== 'INVITE') return { skip: true, reason: `a ${method} transaction record, not a call` };
    return { skip: true, reason: 'an INVITE transaction record, not a call: the call is billed from its CDR (cdr_enable)' };
  }
  return null;
}
