import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const config = join(root, '.dependency-cruiser.cjs')
const depcruise = join(root, 'node_modules/.bin/depcruise')

/** Runs the import-rule check over `files` (path → source) laid out as the gateway's tree. */
function check(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ds-imports-'))
  dirs.push(dir)
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }),
  )
  for (const [path, source] of Object.entries(files)) {
    const file = join(dir, 'packages/gateway/src', path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, source)
  }
  const run = spawnSync(depcruise, ['packages/gateway/src', '--config', config], {
    cwd: dir,
    encoding: 'utf8',
  })
  return { status: run.status, output: run.stdout + run.stderr }
}
const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const clean = {
  'core/device.ts': 'export type Id = string\n',
  'network/port.ts': "import type { Id } from '../core/device.js'\nexport type P = Id\n",
  'store/store.ts': "import type { Id } from '../core/device.js'\nexport type S = Id\n",
  'roaming/service.ts': "import type { P } from '../network/port.js'\nexport type R = P\n",
  'roaming/routes.ts':
    "import type { FastifyInstance } from 'fastify'\nimport type { R } from './service.js'\nexport type X = [FastifyInstance, R]\n",
}

describe(
  'import rules (dependency-cruiser, .dependency-cruiser.cjs)',
  { concurrency: true },
  () => {
    it('a tree that keeps the layers passes', () => {
      const { status, output } = check(clean)
      assert.equal(status, 0, output)
    })

    const violations: [string, Record<string, string>, string][] = [
      [
        'a service imports fastify',
        {
          'roaming/service.ts':
            "import type { FastifyInstance } from 'fastify'\nexport type R = FastifyInstance\n",
        },
        'services-do-not-speak-http',
      ],
      [
        'network/ imports store/',
        { 'network/port.ts': "import type { S } from '../store/store.js'\nexport type P = S\n" },
        'network-port-only-on-core',
      ],
      [
        'core imports a feature',
        {
          'core/device.ts': "import type { R } from '../roaming/service.js'\nexport type Id = R\n",
        },
        'core-imports-nothing-of-ours',
      ],
      [
        'a feature imports the simulator adapter',
        {
          'simulator/network.ts': 'export const n = 1\n',
          'roaming/service.ts':
            "import { n } from '../simulator/network.js'\nexport type R = typeof n\n",
        },
        'features-below-the-app',
      ],
      [
        'the simulator imports http/',
        {
          'http/admin-guard.ts': 'export const g = 1\n',
          'simulator/routes.ts': "import { g } from '../http/admin-guard.js'\nexport const r = g\n",
        },
        'simulator-is-an-adapter',
      ],
      [
        'notifications import subscriptions',
        {
          'subscriptions/apis.ts': 'export const a = 1\n',
          'notifications/outbox.ts':
            "import { a } from '../subscriptions/apis.js'\nexport const o = a\n",
        },
        'delivery-below-subscriptions',
      ],
      [
        'the NEF adapter imports a feature',
        {
          'subscriptions/outbox.ts': 'export const o = 1\n',
          'nef/routes.ts': "import { o } from '../subscriptions/outbox.js'\nexport const r = o\n",
        },
        'nef-is-an-adapter',
      ],
      [
        'a feature imports the NEF adapter',
        {
          'nef/network.ts': 'export const n = 1\n',
          'subscriptions/service.ts':
            "import { n } from '../nef/network.js'\nexport type S = typeof n\n",
        },
        'features-below-the-app',
      ],
      [
        'nef-sim imports a feature',
        {
          'roaming/service.ts': 'export const r = 1\n',
          'nef-sim/service.ts': "import { r } from '../roaming/service.js'\nexport const s = r\n",
        },
        'nef-sim-is-a-network',
      ],
      [
        'the gateway imports nef-sim',
        {
          'nef-sim/server.ts': 'export const s = 1\n',
          'gateway.ts': "import { s } from './nef-sim/server.js'\nexport const g = s\n",
        },
        'nothing-imports-nef-sim',
      ],
    ]
    for (const [name, planted, rule] of violations) {
      it(`fails when ${name} (${rule})`, () => {
        const { status, output } = check({ ...clean, ...planted })
        assert.notEqual(status, 0, output)
        assert.match(output, new RegExp(rule))
      })
    }
  },
)
