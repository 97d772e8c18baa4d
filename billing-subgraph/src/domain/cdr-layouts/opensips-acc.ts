import { hasAll, headerNames, type CdrPreset } from './preset';
import { accScreen } from './kamailio-acc';

/**
 * OpenSIPS acc in CDR mode (do_accounting(..., "cdr")): the acc table with time (answer),
 * duration (s), ms_duration, setuptime and created, plus the operator's extra fields
 * (src_user/dst_user or caller/callee), exported as CSV with its header.
 */
export const opensipsAcc: CdrPreset = {
  name: 'opensips-acc',
  description: 'OpenSIPS acc table in CDR mode (time, duration, ms_duration, setuptime, created + extra fields), CSV with a header',
  source: 'OpenSIPS acc module documentation, "CDRs accounting" and the acc table (scripts/mysql/acc-create.sql)',
  reading: { kind: 'csv', delimiter: ',', relaxQuotes: false, header: true, skipRows: 0 },
  spec: {
    fields: {
      record_id: 'callid',
      calling_number: ['src_user', 'caller', 'from_user'],
      called_number: ['dst_user', 'callee', 'to_user', 'ruri_user'],
      answer_time: 'time',
      // ms_duration is exact; duration is whole seconds.
      duration: 'ms_duration',
    },
    durationUnit: 'ms',
  },
  detect: ({ lines }) => {
    const h = headerNames(lines[0]);
    return hasAll(h, 'callid', 'time', 'ms_duration') || hasAll(h, 'callid', 'time', 'setuptime', 'created');
  },
  screen: accScreen,
};
