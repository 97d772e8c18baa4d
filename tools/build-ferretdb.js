'use strict';
// Install step: build the embedded FerretDB launcher once (skipped when MONGODB_URI is set
// and the launcher is not needed, or when the binary is current).
const { ensureLauncher } = require('./lib/ferretdb');

if (process.env.MONGODB_URI) {
  console.error('MONGODB_URI is set: skipping the embedded FerretDB build (it is built on first use if needed).');
} else {
  try {
    ensureLauncher();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
