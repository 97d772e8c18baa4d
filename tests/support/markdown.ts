// Reads the project's Markdown as the tests that run or check its examples need it: sections by
// heading, fenced code blocks, and the GraphQL operations written inside shell commands.

export interface FencedBlock {
  /** The fence's info string ("sh", "graphql", ""). */
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

export interface Section {
  heading: string;
  /** GitHub's anchor for the heading ("1. Billing profiles, first" → "1-billing-profiles-first"). */
  anchor: string;
  level: number;
  /** The section's text up to the next heading of the same or a higher level. */
  text: string;
  blocks: FencedBlock[];
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

export function fencedBlocks(markdown: string, firstLine = 1): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  let open: { lang: string; line: number; body: string[] } | undefined;
  lines.forEach((l, i) => {
    const fence = /^```\s*([\w-]*)\s*$/.exec(l);
    if (open) {
      if (/^```\s*$/.test(l)) {
        blocks.push({ lang: open.lang, code: open.body.join('\n'), line: open.line });
        open = undefined;
      } else open.body.push(l);
    } else if (fence) open = { lang: fence[1], line: firstLine + i, body: [] };
  });
  if (open) throw new Error(`unclosed code fence at line ${open.line}`);
  return blocks;
}

/** Sections of `level` (2 for `##`), each with its fenced blocks. Fenced lines never count as headings. */
export function sections(markdown: string, level = 2): Section[] {
  const lines = markdown.split('\n');
  const out: { heading: string; start: number; end: number }[] = [];
  let inFence = false;
  lines.forEach((l, i) => {
    if (/^```/.test(l)) inFence = !inFence;
    if (inFence) return;
    const h = /^(#+)\s+(.*)$/.exec(l);
    if (!h) return;
    if (h[1].length <= level && out.length && out[out.length - 1].end < 0) out[out.length - 1].end = i;
    if (h[1].length === level) out.push({ heading: h[2].trim(), start: i, end: -1 });
  });
  return out.map(({ heading, start, end }) => {
    const text = lines.slice(start, end < 0 ? lines.length : end).join('\n');
    return { heading, anchor: anchorOf(heading), level, text, blocks: fencedBlocks(text, start + 1) };
  });
}

/** One GraphQL operation written in a shell command, with the JSON variables sent with it. */
export interface ShellOperation {
  document: string;
  /** The variables, `$ENV.NAME` read as the string "<NAME>"; undefined when none are written. */
  variables?: Record<string, unknown>;
}

/** The single-quoted words of a shell command, in order, grouped per command line (a line ending in `\` continues). */
function singleQuotedWords(code: string): string[][] {
  const commands: string[][] = [[]];
  let i = 0;
  let atWordStart = true;
  while (i < code.length) {
    const c = code[i];
    if (c === "'") {
      const end = code.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed single quote in: ${code.slice(i, i + 80)}`);
      commands[commands.length - 1].push(code.slice(i + 1, end));
      i = end + 1;
      atWordStart = false;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < code.length && code[i] !== '"') i += code[i] === '\\' ? 2 : 1;
      i++;
      atWordStart = false;
      continue;
    }
    if (c === '#' && atWordStart) {
      while (i < code.length && code[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && code[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '\n' || c === ';' || c === '|' || c === '&') commands.push([]);
    atWordStart = /\s|[;|&(]/.test(c);
    i++;
  }
  return commands.filter((w) => w.length);
}

const GRAPHQL = /^\s*(query|mutation|subscription)\b|^\s*\{\s*[A-Za-z_]/;
const JSON_OBJECT = /^\s*\{\s*"/;

/** `$ENV.NAME` (a shell variable inside the variables) as the JSON string "<NAME>". */
const withPlaceholders = (text: string) => text.replace(/\$ENV\.([A-Za-z_][A-Za-z0-9_]*)/g, '"<$1>"');

/**
 * The operations inside a shell block: a single-quoted GraphQL document (followed, in the same
 * command, by its single-quoted JSON variables), or a single-quoted JSON body `{"query": …}`.
 */
export function operationsInShell(code: string): ShellOperation[] {
  const ops: ShellOperation[] = [];
  for (const words of singleQuotedWords(code)) {
    words.forEach((w, i) => {
      if (GRAPHQL.test(w)) {
        const next = words[i + 1];
        ops.push({ document: w, variables: next !== undefined && JSON_OBJECT.test(next) ? JSON.parse(withPlaceholders(next)) : undefined });
      } else if (/^\s*\{\s*"query"\s*:/.test(w)) {
        const body = JSON.parse(w) as { query: string; variables?: Record<string, unknown> };
        ops.push({ document: body.query, variables: body.variables });
      }
    });
  }
  return ops;
}
