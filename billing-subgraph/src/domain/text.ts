// Stored text never holds control characters: PostgreSQL (under FerretDB) refuses NUL outright,
// and the others have no place in ids, names or references.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;

export const hasControlCharacters = (s: string): boolean => CONTROL.test(s);

/** A caller's string as it can be stored and echoed: control characters written as \uXXXX. */
export const escapeControlCharacters = (s: string): string => s.replace(CONTROL_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
