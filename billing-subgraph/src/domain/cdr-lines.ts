/**
 * CDR files that are not CSV but one record per line: SQL INSERT statements (FreeSWITCH's `sql`
 * template), accounting log lines of key=value; pairs (Kamailio/OpenSIPS acc to syslog) and JSON
 * lines (Kamailio acc_json). Each parser reads one line and answers the record's fields, `null`
 * for a line that is not a record (another log line, a comment), or why the line is unreadable.
 */
export type LineRecord = { ok: true; values: string[]; named?: Record<string, string> } | { ok: false; problem: string } | null;

const INSERT = /^\s*INSERT\s+INTO\s+[`"[]?[\w.]+[`"\]]?\s*(?:\([^)]*\)\s*)?VALUES\s*\(/i;

/**
 * `INSERT INTO cdr VALUES ("a","b", "c");` → ["a","b","c"]. Values are double- or single-quoted
 * (a doubled quote or a backslash escapes one) or bare (numbers, NULL → "").
 */
export function parseSqlInsert(line: string): LineRecord {
  const t = line.trim();
  if (t === '' || t.startsWith('--') || /^(BEGIN|COMMIT|START TRANSACTION)\b/i.test(t)) return null;
  const head = INSERT.exec(t);
  if (!head) return { ok: false, problem: 'not an INSERT INTO <table> VALUES (...); statement' };
  const s = t.slice(head[0].length);
  const values: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  for (;;) {
    ws();
    let v = '';
    const q = s[i];
    if (q === '"' || q === "'") {
      i++;
      for (;;) {
        if (i >= s.length) return { ok: false, problem: `a quoted value is not closed (value ${values.length + 1})` };
        const c = s[i];
        if (c === '\\' && i + 1 < s.length) {
          v += s[i + 1];
          i += 2;
        } else if (c === q && s[i + 1] === q) {
          v += q;
          i += 2;
        } else if (c === q) {
          // FreeSWITCH does not escape quotes in values: a quote closes only before , or ).
          let k = i + 1;
          while (k < s.length && /\s/.test(s[k])) k++;
          if (s[k] === ',' || s[k] === ')') {
            i++;
            break;
          }
          v += c;
          i++;
        } else {
          v += c;
          i++;
        }
      }
    } else {
      const m = /^[^,)]*/.exec(s.slice(i))![0];
      i += m.length;
      v = m.trim().toUpperCase() === 'NULL' ? '' : m.trim();
    }
    values.push(v);
    ws();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] === ')') {
      const tail = s.slice(i + 1).trim();
      if (tail !== '' && tail !== ';') return { ok: false, problem: `unexpected "${tail.slice(0, 20)}" after the VALUES list` };
      return { ok: true, values };
    }
    return { ok: false, problem: `expected "," or ")" after value ${values.length}` };
  }
}

const KV_START = /(?:^|[\s:])([A-Za-z_][\w.-]*)=/;

/**
 * An accounting record written to a log or as a JSON line. Log lines carry `key=value;` pairs
 * after a prefix (syslog header, `ACC: transaction answered:`, `CDR:`); JSON lines are objects.
 * Lines without pairs are other log output: `null`.
 */
export function parseAccLine(line: string): LineRecord {
  const t = line.trim();
  if (t === '') return null;
  // A JSON object, alone on its line or after a syslog prefix (acc_json writing to the log).
  const brace = t.indexOf('{');
  if (brace === 0 || (brace > 0 && t.endsWith('}') && !t.slice(0, brace).includes('='))) {
    let obj: unknown;
    try {
      obj = JSON.parse(t.slice(brace));
    } catch (err) {
      return { ok: false, problem: `not valid JSON (${(err as Error).message})` };
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, problem: 'a JSON line must be an object' };
    const named: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) named[k] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return { ok: true, values: Object.values(named), named };
  }
  const m = KV_START.exec(t);
  if (!m || !t.includes(';') && !/=.*\s\w+=/.test(t)) return null;
  const body = t.slice(m.index + (m[0].length - m[1].length - 1));
  const named: Record<string, string> = {};
  for (const part of body.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!/^[A-Za-z_][\w.-]*$/.test(key)) continue;
    if (!(key in named)) named[key] = part.slice(eq + 1).trim();
  }
  if (Object.keys(named).length < 2) return null;
  return { ok: true, values: Object.values(named), named };
}
