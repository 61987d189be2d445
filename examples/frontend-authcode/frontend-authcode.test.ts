import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { startTestGateway, type TestGateway } from '../../packages/gateway/test/helpers/gateway.js'

const CHROMIUM = '/usr/bin/chromium'
const script = fileURLToPath(new URL('./index.js', import.meta.url))
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

describe('examples/frontend-authcode in headless Chromium', { skip }, () => {
  let gw: TestGateway
  let browser: Browser
  const children: ChildProcess[] = []
  before(async () => {
    gw = await startTestGateway()
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  })
  after(async () => {
    for (const child of children) child.kill()
    await browser?.close()
    await gw?.close()
  })

  /** Starts the example with an app of its own whose redirect URI is the example's port. */
  async function startExample(purpose: string): Promise<string> {
    const port = await freePort()
    const redirectUri = `http://localhost:${port}/callback`
    const app = await gw.admin('POST', '/admin/v1/apps', {
      name: `frontend example ${port}`,
      redirectUris: [redirectUri],
      apis: ['sim-swap', 'device-roaming-status', 'device-status'],
      purposes: ['dpv:FraudPreventionAndDetection', 'dpv:Marketing'],
      grantTypes: ['authorization_code'],
      mode: 'compatible',
    })
    assert.equal(app.status, 201, JSON.stringify(app.body))
    const child = spawn(process.execPath, [script], {
      env: {
        ...process.env,
        GATEWAY_URL: gw.url,
        PORT: String(port),
        CLIENT_ID: app.body.clientId,
        CLIENT_SECRET: app.body.clientSecret,
        PURPOSE: purpose,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('is running')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`example exited with ${code}`)))
    })
    return `http://localhost:${port}/`
  }

  it('form → network authentication (device picker) → callback shows roaming and SIM swap', async () => {
    const home = await startExample('dpv:FraudPreventionAndDetection')
    const page = await browser.newPage()
    await page.goto(home)
    // The number typed into the form (the sample's default) is not the device the network
    // authenticates: the page must not present the answers as that number's.
    assert.equal(await page.getByLabel('Your phone number').inputValue(), '+34555555555')
    await page.getByRole('button', { name: 'Check' }).click()
    await page.waitForURL(/\/interaction\//)
    await page.click('button[value="+34600000002"]')
    await page.waitForURL(/\/callback\?/)
    assert.equal(await page.textContent('h1'), 'Result for the device the network authenticated')
    assert.match((await page.textContent('#device')) ?? '', /The form said: \+34555555555\.$/)
    // +34600000002 roams in Germany and its SIM was only activated (the seed): the answers are its.
    assert.equal(await page.textContent('#roaming'), 'Roaming: true in DE (262)')
    assert.match(
      (await page.textContent('#simswap')) ?? '',
      /^Latest SIM change \(a swap, or the activation of the SIM\): \d{2}\/\d{2}\/\d{4}/,
    )
    await page.close()
  })

  it('a consent purpose goes through the consent page', async () => {
    const home = await startExample('dpv:Marketing')
    const page = await browser.newPage()
    await page.goto(home)
    await page.getByLabel('Your phone number').fill('+34600000003')
    await page.getByRole('button', { name: 'Check' }).click()
    await page.click('button[value="+34600000003"]')
    await page.waitForSelector('text=asks for your consent')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(/\/callback\?/)
    assert.equal(await page.textContent('#roaming'), 'Roaming: true in BL, GF, GP, MF, MQ (340)')
    await page.close()
  })
})
