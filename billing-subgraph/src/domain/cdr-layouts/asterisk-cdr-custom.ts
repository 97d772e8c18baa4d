import { DATE_TIME, type CdrPreset } from './preset';
import { splitRelaxed } from '../cdr-mapping';

/** cdr_custom.conf.sample's `Master.csv => ${CSV_QUOTE(${CDR(clid)})},...,${CDR(sequence)}` mapping, in order. */
export const ASTERISK_CDR_CUSTOM_COLUMNS = [
  'clid', 'src', 'dst', 'dcontext', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'start', 'answer', 'end',
  'duration', 'billsec', 'disposition', 'amaflags', 'accountcode', 'uniqueid', 'userfield', 'sequence',
] as const;

export const asteriskCdrCustom: CdrPreset = {
  name: 'asterisk-cdr-custom',
  description: "Asterisk cdr_custom with cdr_custom.conf.sample's mapping (no header, clid first, 19 columns)",
  source: 'Asterisk configs/samples/cdr_custom.conf.sample ([mappings] Master.csv => ...)',
  reading: { kind: 'csv', delimiter: ',', relaxQuotes: false, header: false, skipRows: 0, columns: ASTERISK_CDR_CUSTOM_COLUMNS },
  // Aliases do the rest: start/answer/end, billsec (answered seconds), disposition, uniqueid.
  spec: {},
  detect: ({ lines }) => {
    const f = splitRelaxed(lines[0] ?? '', ',').map((x) => x.trim());
    return f.length === 19 && DATE_TIME.test(f[8]) && (f[9] === '' || DATE_TIME.test(f[9])) && DATE_TIME.test(f[10]) && /^\d+$/.test(f[11]) && /^\d+$/.test(f[12]);
  },
};
