import type { CdrPreset } from './preset';

/** cdrfile's default line: tab-separated, in this order (cdrfile.conf `format` unset). */
export const YATE_CDRFILE_COLUMNS = ['time', 'billid', 'chan', 'address', 'caller', 'called', 'billtime', 'ringtime', 'duration', 'direction', 'status', 'reason'] as const;

/**
 * Yate cdrfile: `time` is when the channel started (epoch, milliseconds as decimals), `duration`
 * its whole length, `billtime` the answered part: answer = time + duration - billtime. Each
 * channel writes a line; the call to the carrier is the outgoing one, so incoming legs are skipped.
 */
export const yate: CdrPreset = {
  name: 'yate',
  description: 'Yate cdrfile, default tab-separated format (time, billid, chan, address, caller, called, billtime, ringtime, duration, direction, status, reason)',
  source: 'Yate modules/cdrfile.cpp (default format) and conf.d/cdrfile.conf.sample (tabs=true)',
  reading: { kind: 'csv', delimiter: '\t', relaxQuotes: true, header: false, skipRows: 0, columns: YATE_CDRFILE_COLUMNS },
  spec: {
    fields: { record_id: 'billid', calling_number: 'caller', called_number: 'called', call_start: 'time', total_duration: 'duration', duration: 'billtime', disposition: 'status' },
    timeFormat: 'epoch',
    unansweredValues: ['rejected', 'busy', 'noanswer', 'no answer', 'failure', 'cancelled'],
  },
  detect: ({ lines }) => {
    const f = (lines[0] ?? '').split('\t');
    return f.length >= 12 && /^\d{9,10}\.\d{1,3}$/.test(f[0]) && /^\d+(\.\d+)?$/.test(f[6]) && /^\d+(\.\d+)?$/.test(f[8]);
  },
  screen: (named) => ((named.direction ?? '').toLowerCase() === 'incoming' ? { skip: true, reason: 'incoming leg: the outgoing leg of the same call is the one billed' } : null),
};
