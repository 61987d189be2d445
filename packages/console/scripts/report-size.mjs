// Reports the JavaScript the console loads on first load (the entry script and what it
// preloads), raw and gzip, and fails the build over the 250 KiB gzip budget.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET = 250 * 1024
const dist = new URL('../dist/', import.meta.url).pathname
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const files = [
  ...html.matchAll(/<script[^>]+src="\/console\/([^"]+\.js)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/console\/([^"]+\.js)"/g),
].map((m) => m[1])
let raw = 0
let gzip = 0
for (const file of files) {
  const bytes = readFileSync(join(dist, file))
  raw += bytes.length
  gzip += gzipSync(bytes, { level: 9 }).length
}
const kib = (n) => (n / 1024).toFixed(1)
writeFileSync(join(dist, 'size.json'), JSON.stringify({ files, raw, gzip, budget: BUDGET }) + '\n')
console.log(
  `console first-load JavaScript: ${files.length} file(s), ${kib(raw)} KiB, ${kib(gzip)} KiB gzip (budget ${kib(BUDGET)} KiB gzip)`,
)
if (gzip > BUDGET) {
  console.error('over budget')
  process.exit(1)
}
