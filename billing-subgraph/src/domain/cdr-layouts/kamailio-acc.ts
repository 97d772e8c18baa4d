import { hasAll, headerNames, type CdrPreset, type Screen } from './preset';
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
    const first = lines[0] ?? '';
    if (/\bACC:\s|\bCDR:\s/.test(first) && first.includes('=')) return true;
    if (first.trim().startsWith('{')) {
      const r = parseAccLine(first);
      return !!r && r.ok && !!r.named && ('start_time' in r.named || 'method' in r.named) && ('duration' in r.named || 'callid' in r.named || 'call_id' in r.named);
    }
    if (/(^|[;\s])start_time=[^;]*;/.test(first) && /(^|;)\s*duration=/.test(first)) return true;
    return hasAll(headerNames(first), 'start_time', 'end_time', 'duration') && !headerNames(first).has('msduration');
  },
  screen: accScreen,
};

/** Transaction records (ACC: transaction answered/failed) are not CDRs: only CDRs carry a duration. */
export function accScreen(named: Record<string, string>): Screen {
  const code = named.code ?? named.sip_code;
  if (code && /^\d{3}$/.test(code) && Number(code) >= 300) return { skip: true, reason: `SIP ${code}: not answered, nothing to bill` };
  if ((named.duration ?? named.ms_duration ?? '') === '' && (named.start_time ?? '') === '') {
    const method = (named.method ?? '').toUpperCase();
    if (method && method !== 'INVITE') return { skip: true, reason: `a ${method} transaction record, not a call` };
    return { skip: false, reason: 'an acc transaction record (timestamp only, no duration) is not a CDR: enable acc cdr_enable and import its CDRs' };
  }
  return null;
}
