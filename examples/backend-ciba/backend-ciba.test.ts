import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { startTestGateway, type TestGateway } from '../../packages/gateway/test/helpers/gateway.js'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./index.js', import.meta.url))

describe('examples/backend-ciba', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ CIBA_INTERVAL: '1' })
  })
  after(() => gw.close())

  async function example(env: Record<string, string>) {
    return run(process.execPath, [script], {
      env: { ...process.env, GATEWAY_URL: gw.url, ...env },
    })
  }

  it('prints the roaming status and the SIM swap date of a sandbox device', async () => {
    const { stdout } = await example({})
    const lines = stdout.trim().split('\n')
    assert.equal(lines[0], 'Is the device in roaming status? true')
    assert.equal(lines[1], 'Roaming? true ')
    assert.equal(lines[2], 'Country: DE (262)')
    // Its SIM was only ever activated: the line says a change, not a swap.
    assert.match(
      lines[3] ?? '',
      /^Latest SIM change \(a swap, or the activation of the SIM\): \d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}:\d{2}$/,
    )
    assert.doesNotMatch(stdout, /SIM was swapped/)
  })

  it('a number without a SIM says so', async () => {
    const { stdout } = await example({ PHONE_NUMBER: '+34600000008' })
    assert.match(
      stdout,
      /^Latest SIM change: none \(no SIM, or older than the operator reveals\)$/m,
    )
  })

  it('a SIM swapped two hours ago prints that date', async () => {
    const { stdout } = await example({ PHONE_NUMBER: '+34600000006' })
    assert.match(stdout, /Is the device in roaming status\? false/)
    const swapped =
      /Latest SIM change \(a swap, or the activation of the SIM\): (\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2})/.exec(
        stdout,
      )
    assert.ok(swapped)
    const [, d, m, y, h, min] = swapped.map(Number)
    const at = Date.UTC(y ?? 0, (m ?? 1) - 1, d, h, min)
    assert.ok(Math.abs(Date.now() - 2 * 3_600_000 - at) < 5 * 60_000, stdout)
  })
})
