import { hasAll, headerNames, type CdrPreset } from './preset';

/**
 * Cisco Unified CM CDR flat files: a header row of field names, a row of their types
 * (INTEGER, VARCHAR(50), UNIQUEIDENTIFIER, ...), then one row per call leg; times are epoch
 * seconds (dateTimeConnect is 0 for a call never answered), duration in seconds.
 */
export const ciscoCucm: CdrPreset = {
  name: 'cisco-cucm',
  description: 'Cisco Unified CM CDR flat file (header row, type row, epoch times)',
  source: 'Cisco Unified Communications Manager Call Detail Records Administration Guide, "CDR field descriptions"',
  reading: { kind: 'csv', delimiter: ',', relaxQuotes: false, header: true, skipRows: 1 },
  spec: {
    fields: {
      record_id: 'pkid',
      calling_number: 'callingPartyNumber',
      called_number: ['finalCalledPartyNumber', 'originalCalledPartyNumber'],
      answer_time: 'dateTimeConnect',
      end_time: 'dateTimeDisconnect',
      duration: 'duration',
    },
    timeFormat: 'epoch',
  },
  detect: ({ lines }) => hasAll(headerNames(lines[0]), 'dateTimeConnect', 'dateTimeDisconnect', 'finalCalledPartyNumber') && /INTEGER/i.test(lines[1] ?? ''),
  screen: (named) => (named.cdrRecordType !== undefined && named.cdrRecordType !== '1' ? { skip: true, reason: `cdrRecordType ${named.cdrRecordType} is not a call record` } : null),
};
