#!/usr/bin/env node
// Runs the built CLI (../dist/main.js) when there is one; otherwise the TypeScript sources through
// tsx, resolving workspace packages to their sources (the `source` export condition), as
// `node --conditions=source --import tsx packages/cli/src/main.ts` does.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

const built = new URL('../dist/main.js', import.meta.url)

if (existsSync(built)) {
  const { runProcess } = await import(built.href)
  await runProcess()
} else {
  const sourceCondition = `export async function resolve(specifier, context, next) {
    const conditions = [...new Set([...(context.conditions ?? []), 'source'])]
    return next(specifier, { ...context, conditions })
  }`
  register(`data:text/javascript,${encodeURIComponent(sourceCondition)}`)
  const { register: registerTsx } = await import('tsx/esm/api')
  registerTsx()
  const { runProcess } = await import(new URL('../src/main.ts', import.meta.url).href)
  await runProcess()
}
