#!/usr/bin/env node
/**
 * The `autotelemetry` executable. Checks the Node version before loading anything else, so that on an old
 * Node the user reads why instead of a syntax or module error.
 */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const tooOld = major < 22 || (major === 22 && minor < 15);
if (tooOld) {
  process.stderr.write(
    `autotelemetry: Node.js ${process.versions.node} is too old; AutoTelemetry needs Node.js 22.15.0 or newer.\n`,
  );
  process.exit(1);
}

const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
