'use strict';
// Loads TypeScript files (bench/routing-micro.ts and the sources it imports) through @swc/core,
// the transpiler the test runner already uses; no other TypeScript runner is installed.
const fs = require('node:fs');
const swc = require('@swc/core');

let installed = false;
function registerTs() {
  if (installed) return;
  installed = true;
  require.extensions['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    module._compile(code, filename);
  };
}

module.exports = { registerTs };
