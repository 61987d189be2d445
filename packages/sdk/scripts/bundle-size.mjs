#!/usr/bin/env node
// The SDK as a browser would load it: one minified ESM bundle with its dependencies; prints sizes.
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const result = await build({
  entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  // Workspace packages (@device-status/contract) from their sources, as the tests run them.
  conditions: ['source'],
  write: false,
})
const code = result.outputFiles[0].contents
const kb = (n) => (n / 1024).toFixed(1)
console.log(`minified: ${kb(code.length)} KiB, gzip: ${kb(gzipSync(code).length)} KiB`)
