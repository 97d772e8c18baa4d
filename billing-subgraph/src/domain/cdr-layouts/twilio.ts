import { hasAll, headerNames, type CdrPreset } from './preset';

/**
 * Twilio call log export (the Call resource's properties as CSV columns): RFC 2822 times,
 * Duration = seconds from answer to end, Status completed/busy/no-answer/failed/canceled.
 * StartTime is when the call was placed, so the answer instant is EndTime - Duration.
 */
export const twilio: CdrPreset = {
  name: 'twilio',
  description: 'Twilio call log export CSV (Sid, From, To, Status, StartTime, EndTime, Duration; RFC 2822 times)',
  source: 'Twilio Voice API, Call resource properties (sid, to, from, status, start_time, end_time, duration: RFC 2822 dates)',
  reading: { kind: 'csv', delimiter: ',', relaxQuotes: false, header: true, skipRows: 0 },
  spec: {
    fields: { record_id: ['Sid', 'Call Sid'], calling_number: 'From', called_number: 'To', end_time: 'EndTime', duration: 'Duration', disposition: 'Status' },
    timeFormat: 'rfc2822',
    unansweredValues: ['busy', 'no-answer', 'failed', 'canceled', 'queued', 'ringing', 'in-progress'],
  },
  detect: ({ lines }) => {
    const h = headerNames(lines[0]);
    return (h.has('sid') || h.has('callsid')) && hasAll(h, 'from', 'to', 'status', 'endtime', 'duration');
  },
};
