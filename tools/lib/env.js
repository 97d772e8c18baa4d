'use strict';
// Validation of the variables the tools themselves read (`npm start`, `npm run start:db`), in the
// services' manner: empty counts as unset, every bad variable is named, all of them at once.

/** A TCP port variable: an integer 0-65535 (0: any free port), or its default when unset. */
function portVariable(env, name, fallback, problems) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const text = String(raw).trim();
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    problems.push(`${name}: must be a port number (0-65535), got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return n;
}

/** Exits with the services' "Invalid configuration" message when there are problems. */
function exitOnProblems(problems) {
  if (problems.length === 0) return;
  console.error(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}

module.exports = { portVariable, exitOnProblems };
