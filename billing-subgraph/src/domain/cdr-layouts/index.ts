/**
 * Layout presets beyond the four built-in CSV formats (cdr-formats.ts), each with its source.
 * Detection tries them in order on the file's first lines and answers only a preset that
 * recognises the file; anything else falls back to the CSV formats' own detection.
 */
import { asteriskCdrCustom } from './asterisk-cdr-custom';
import { ciscoCucm } from './cisco-cucm';
import { freepbxReport } from './freepbx-report';
import { freeswitchSql } from './freeswitch-sql';
import { kamailioAcc } from './kamailio-acc';
import { opensipsAcc } from './opensips-acc';
import { twilio } from './twilio';
import { yate } from './yate';
import type { CdrPreset, FileSample } from './preset';

export type { CdrPreset, CsvReading, LineReading, FileSample, Screen } from './preset';
export { ASTERISK_CDR_CUSTOM_COLUMNS } from './asterisk-cdr-custom';
export { FREESWITCH_SQL_COLUMNS } from './freeswitch-sql';
export { YATE_CDRFILE_COLUMNS } from './yate';

/** In detection order: the most specific signatures first. */
export const CDR_PRESETS: readonly CdrPreset[] = [freeswitchSql, opensipsAcc, ciscoCucm, twilio, kamailioAcc, yate, freepbxReport, asteriskCdrCustom];
export const PRESET_NAMES = CDR_PRESETS.map((p) => p.name);

export const presetNamed = (name: string): CdrPreset | undefined => CDR_PRESETS.find((p) => p.name === name);

export function detectPreset(sample: FileSample): CdrPreset | undefined {
  return CDR_PRESETS.find((p) => p.detect(sample));
}

/** A sample from a file's first bytes: non-empty lines, BOM removed, the last (maybe cut) line dropped when more follow. */
export function sampleOf(head: string, complete: boolean): FileSample {
  const lines = head.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!complete && lines.length > 1) lines.pop();
  return { lines: lines.filter((l) => l.trim() !== '').slice(0, 20) };
}
