import { headerNames, type CdrPreset } from './preset';

/**
 * FreePBX's CDR report "CSV file" download: a header, then rows where a field is quoted only when
 * it holds a comma and quotes inside are not doubled (`""Ops, London" <442071230001>"`).
 */
export const freepbxReport: CdrPreset = {
  name: 'freepbx-report',
  description: 'FreePBX CDR report CSV export (header with calldate; quotes inside fields not doubled)',
  source: 'FreePBX cdr module, functions.inc.php cdr_export_csv() (quotes a value only when it contains a comma)',
  reading: { kind: 'csv', delimiter: ',', relaxQuotes: true, header: true, skipRows: 0 },
  // calldate is when dialling began: answer = calldate + duration - billsec.
  spec: { fields: { call_start: 'calldate', total_duration: 'duration', duration: 'billsec' } },
  detect: ({ lines }) => headerNames(lines[0]).has('calldate') && lines.slice(1).some((l) => /(^|,)""[^",]/.test(l) || /(^|,)"[^",]+"[^,"]/.test(l)),
};
