// Stored text never holds control characters: PostgreSQL (under FerretDB) refuses NUL outright,
// and the others have no place in names, networks or bill references.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export const hasControlCharacters = (s: string): boolean => CONTROL.test(s);
