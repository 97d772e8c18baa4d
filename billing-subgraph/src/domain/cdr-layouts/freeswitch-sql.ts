import type { CdrPreset } from './preset';

/** mod_cdr_csv's `sql` template (cdr_csv.conf.xml): INSERT INTO cdr VALUES (...13 values...); */
export const FREESWITCH_SQL_COLUMNS = [
  'caller_id_name', 'caller_id_number', 'destination_number', 'context', 'start_stamp', 'answer_stamp', 'end_stamp',
  'duration', 'billsec', 'hangup_cause', 'uuid', 'bleg_uuid', 'accountcode',
] as const;

export const freeswitchSql: CdrPreset = {
  name: 'freeswitch-sql',
  description: "FreeSWITCH mod_cdr_csv `sql` template (INSERT INTO cdr VALUES (...); lines)",
  source: 'FreeSWITCH conf/vanilla/autoload_configs/cdr_csv.conf.xml, <template name="sql">',
  reading: { kind: 'lines', parser: 'sql-insert', columns: FREESWITCH_SQL_COLUMNS },
  spec: { fields: { answer_time: 'answer_stamp', end_time: 'end_stamp', duration: 'billsec', record_id: 'uuid', called_number: 'destination_number', calling_number: 'caller_id_number' } },
  detect: ({ lines }) => /^\s*INSERT\s+INTO\s/i.test(lines[0] ?? ''),
};
