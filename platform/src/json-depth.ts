/**
 * Deepest nesting of objects and arrays accepted in an operation's variables (and a request body).
 * The deepest input of the schemas (a usage record's segments in a batch) is 5 levels; 32 leaves
 * room for any input object. 200,000 levels of nested lists reached recursive code (coercion, the
 * list-size check) and overflowed the stack: a 500 instead of a clear refusal.
 */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests objects/arrays deeper than `max` (the value itself is depth 1). Iterative: no recursion on hostile input. */
export function exceedsJsonDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, depth + 1]);
  }
  return false;
}

export const jsonTooDeepMessage = (max = MAX_JSON_DEPTH) => `The request's JSON nests deeper than ${max} levels`;
