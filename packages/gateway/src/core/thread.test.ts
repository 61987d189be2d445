import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { siblingModule, startModuleThread } from './thread.js'

const module = (code: string) => `data:text/javascript,${encodeURIComponent(code)}`

describe('startModuleThread: a module run in a thread as this process runs', () => {
  it("loads the process's --import preloads (NODE_OPTIONS) before the module, and hands it its data", async () => {
    const saved = process.env['NODE_OPTIONS']
    process.env['NODE_OPTIONS'] = [saved, `--import=${module('globalThis.preloaded = 42')}`]
      .filter(Boolean)
      .join(' ')
    try {
      const worker = startModuleThread(
        new URL(
          module(
            `import { parentPort, workerData } from 'node:worker_threads'; parentPort.postMessage([globalThis.preloaded, workerData.data])`,
          ),
        ),
        { hello: 'thread' },
      )
      const [message] = (await once(worker, 'message')) as [unknown]
      assert.deepEqual(message, [42, { hello: 'thread' }])
      await worker.terminate()
    } finally {
      if (saved === undefined) delete process.env['NODE_OPTIONS']
      else process.env['NODE_OPTIONS'] = saved
    }
  })

  it('runs a TypeScript module with the loader, and ends with exit code 1 when the module throws', async () => {
    const typescript = startModuleThread(
      new URL('../../test/fixtures/thread-module.ts', import.meta.url),
      null,
    )
    const [message] = (await once(typescript, 'message')) as [unknown]
    assert.equal(message, 'typed')
    await typescript.terminate()
    const failing = startModuleThread(new URL(module('throw new Error("boom")')), null)
    const [code] = (await once(failing, 'exit')) as [number]
    assert.equal(code, 1)
  })

  it('names the module beside a source as a source, beside a build as a build', () => {
    assert.equal(siblingModule('b', 'file:///app/src/a.ts').href, 'file:///app/src/b.ts')
    assert.equal(siblingModule('b', 'file:///app/dist/a.js').href, 'file:///app/dist/b.js')
  })
})
