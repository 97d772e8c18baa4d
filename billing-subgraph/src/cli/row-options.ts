/**
 * The importer's options about which rows bill whom: --trunk-map (carrier per outgoing trunk),
 * --min-destination-digits and --internal-pattern (rows that are no billable call). Kept apart
 * from ingest.ts's option parsing; errors are usage errors (exit 2).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MIN_DESTINATION_DIGITS, internalPattern, parseTrunkMap, type TrunkMap } from '../domain';

export interface RowOptions {
  trunkMap?: TrunkMap;
  minDestinationDigits: number;
  internalPattern?: RegExp;
}

const usage = (msg: string) => Object.assign(new Error(msg), { usage: true });

export function rowOptions(values: { 'trunk-map'?: string; 'min-destination-digits'?: string; 'internal-pattern'?: string }): RowOptions {
  const out: RowOptions = { minDestinationDigits: DEFAULT_MIN_DESTINATION_DIGITS };
  const min = values['min-destination-digits'];
  if (min !== undefined) {
    const n = Number(min);
    if (!/^\d+$/.test(min) || n < 1 || n > 15) throw usage('--min-destination-digits must be a whole number from 1 to 15 (E.164 numbers have at most 15 digits)');
    out.minDestinationDigits = n;
  }
  if (values['internal-pattern'] !== undefined) {
    try {
      out.internalPattern = internalPattern(values['internal-pattern']);
    } catch (err) {
      throw usage((err as Error).message);
    }
  }
  const mapFile = values['trunk-map'];
  if (mapFile !== undefined) {
    // npm run changes the directory to the workspace; INIT_CWD is where the operator typed the command.
    const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), mapFile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw usage(`--trunk-map ${mapFile}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      out.trunkMap = parseTrunkMap(text, `--trunk-map ${mapFile}`);
    } catch (err) {
      throw usage((err as Error).message);
    }
  }
  return out;
}
