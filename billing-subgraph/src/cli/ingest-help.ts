/** The `--layout` text for the presets and the column mapping (the CSV formats' text is CDR_CSV_LAYOUT). */
import { CDR_PRESETS, MAPPED_FIELDS } from '../domain';

export const PRESETS_TEXT = `More layouts (--format <name>; detected from the first lines when unambiguous):
${CDR_PRESETS.map((p) => `  ${p.name.padEnd(20)} ${p.description}\n  ${''.padEnd(20)} layout from: ${p.source}`).join('\n')}

Any other layout: map its columns (a --mapping JSON file and/or options; options win):
  {"format": "<a layout to start from, optional>", "delimiter": ";", "relaxQuotes": true, "header": true,
   "skipRows": 1, "columns": ["names", "by", "position"], "timeFormat": "dd/MM/yyyy HH:mm:ss",
   "durationUnit": "ms", "unansweredValues": ["busy", "no-answer"],
   "fields": {"called_number": "dst", "answer_time": 10, "duration": ["billsec", "duration"]}}
  --column field=name|position (repeatable; "a|b" = the first filled), --delimiter C (tab, ';', '|'),
  --relax-quotes (quotes inside fields not doubled), --header / --no-header, --skip-rows N,
  --time-format iso|iso-local|epoch|epoch-ms|rfc2822|'yyyy-MM-dd HH:mm:ss' (zoneless: --timezone),
  --duration-unit s|ms
  fields: ${MAPPED_FIELDS.join(', ')}
  call_start + total_duration + duration: answer = call_start + total_duration - duration;
  end_time + duration without an answer time: answer = end_time - duration.
Fractional durations (Kamailio 65.432, OpenSIPS ms_duration, Yate billtime) are sent as decimal
seconds with up to 3 decimals; billing rounds them by the tariff's increments.
A file its layout cannot read stops with exit 2, the line and the problem; nothing after that line is sent.`;
