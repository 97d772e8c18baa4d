'use strict';
// Runs a service entry point (argv[2]) so that it stops if the benchmark process that started it
// dies without stopping it (a crash or a kill -9 must not leave services running).
const path = require('node:path');

const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.kill(process.pid, 'SIGTERM');
  }
}, 1000).unref();

require(path.resolve(process.argv[2]));
