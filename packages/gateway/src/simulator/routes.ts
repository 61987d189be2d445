import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CamaraError } from '../core/camara-error.js'
import type { ScenarioPlayer } from './scenarios.js'
import {
  deleteDevice,
  getDevice,
  listDevices,
  patchDevice,
  putDevice,
  type SimulatorDeps,
} from './simulator.js'
import type { DeviceStateInput, ScenarioInput } from './state-schema.js'

const E164 = /^\+[1-9][0-9]{4,14}$/

function phoneParam(params: unknown): string {
  const phoneNumber = (params as { phoneNumber?: string }).phoneNumber ?? ''
  if (!E164.test(phoneNumber)) {
    throw new CamaraError(
      'INVALID_ARGUMENT',
      `"${phoneNumber}" is not an E.164 phone number such as +34600000001`,
    )
  }
  return phoneNumber
}

/** The simulator's admin API (BRIEF §3), behind `Authorization: Bearer $ADMIN_TOKEN`. */
export function simulatorRoutes(
  app: FastifyInstance,
  deps: SimulatorDeps & {
    /** The admin API's guard (the gateway's admin token). */
    adminGuard: (request: FastifyRequest) => Promise<void>
    scenarios: ScenarioPlayer
  },
): void {
  const onRequest = deps.adminGuard
  const stateBody = { body: { $ref: 'simulator-device-state' } }

  app.get('/network/v1/devices', { onRequest }, () => listDevices(deps))
  app.get('/network/v1/devices/:phoneNumber', { onRequest }, (request) =>
    getDevice(deps, phoneParam(request.params)),
  )
  app.put(
    '/network/v1/devices/:phoneNumber',
    { onRequest, schema: stateBody },
    async (request, reply: FastifyReply) => {
      const { device, created } = await putDevice(
        deps,
        phoneParam(request.params),
        request.body as DeviceStateInput,
      )
      return reply.code(created ? 201 : 200).send(device)
    },
  )
  app.patch('/network/v1/devices/:phoneNumber', { onRequest, schema: stateBody }, (request) =>
    patchDevice(deps, phoneParam(request.params), request.body as DeviceStateInput),
  )
  app.delete('/network/v1/devices/:phoneNumber', { onRequest }, async (request, reply) => {
    await deleteDevice(deps, phoneParam(request.params))
    return reply.code(204).send()
  })

  app.get('/network/v1/events', { onRequest }, async (request) => {
    const query = request.query as { after?: string; phoneNumber?: string; limit?: string }
    const after = query.after === undefined ? undefined : Number(query.after)
    const limit = query.limit === undefined ? 100 : Number(query.limit)
    if (
      (after !== undefined && !Number.isInteger(after)) ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > 1000
    ) {
      throw new CamaraError(
        'INVALID_ARGUMENT',
        'after must be an integer and limit an integer from 1 to 1000',
      )
    }
    let deviceId: string | undefined
    if (query.phoneNumber !== undefined) {
      const device = await deps.store.devices.byPhoneNumber(query.phoneNumber)
      if (device === undefined) return []
      deviceId = device.id
    }
    return deps.store.networkEvents.list({
      limit,
      ...(after === undefined ? {} : { afterSeq: after }),
      ...(deviceId === undefined ? {} : { deviceId }),
    })
  })

  app.post(
    '/network/v1/scenarios',
    { onRequest, schema: { body: { $ref: 'simulator-scenario' } } },
    async (request, reply) => {
      const run = deps.scenarios.start(request.body as ScenarioInput)
      return reply.code(202).header('location', `/network/v1/scenarios/${run.id}`).send(run)
    },
  )
  app.get('/network/v1/scenarios', { onRequest }, () => deps.scenarios.list())
  app.get('/network/v1/scenarios/:id', { onRequest }, (request) => {
    const run = deps.scenarios.get((request.params as { id: string }).id)
    if (run === undefined) throw new CamaraError('NOT_FOUND', 'No such scenario')
    return run
  })
  app.delete('/network/v1/scenarios/:id', { onRequest }, (request) => {
    const run = deps.scenarios.cancel((request.params as { id: string }).id)
    if (run === undefined) throw new CamaraError('NOT_FOUND', 'No such scenario')
    return run
  })
}
