import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type {
  MonitoringEventReport,
  MonitoringEventSubscription,
} from '../../src/network/monitoring-event.js'

/** A UE as the fake NEF knows it: its serving PLMN's MCC (`null` at home) and reachability. */
export interface FakeUe {
  roamingMcc: string | null
  reachable: ('DATA' | 'SMS')[]
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: any
}

/** How the fake NEF answers the next requests: normally, slowly, or with a fault. */
export type FakeFault =
  | { kind: 'none' }
  | { kind: 'slow'; ms: number }
  | { kind: 'status'; status: number; problem?: Record<string, unknown> }

/**
 * A small local NEF for the tests that need what Prism cannot play (a NEF that is slow, refuses,
 * fails, loses its subscriptions, notifies): the Monitoring Event API of TS 29.122 over a table
 * of UEs keyed by MSISDN. One-time requests are answered 200 with the report; continuous ones 201
 * with `self` and, with `immediateRep`, the current report. Reports are built as the adapter's
 * mapping reads them (docs/nef.md): a UE_REACHABILITY report names the type only when reachable
 * for it; a LOSS_OF_CONNECTIVITY report carries a reason only when the UE is not reachable.
 */
export class FakeNef {
  readonly ues = new Map<string, FakeUe>()
  readonly requests: RecordedRequest[] = []
  readonly subscriptions = new Map<string, MonitoringEventSubscription>()
  fault: FakeFault = { kind: 'none' }
  /** `/token` answers client credentials with this token and lifetime. */
  tokenIssued = 0
  url = ''
  private server: Server | undefined
  private next = 1

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }

  /** Forgets every subscription, as a NEF restarted without persistence. */
  restartLosingSubscriptions(): void {
    this.subscriptions.clear()
  }

  /** Requests of a method to the Monitoring Event API. */
  calls(method: string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && r.path.includes('/3gpp-monitoring-event/'),
    )
  }

  report(
    msisdn: string,
    sub: Pick<MonitoringEventSubscription, 'monitoringType' | 'reachabilityType'>,
  ): MonitoringEventReport {
    const ue = this.ues.get(msisdn) ?? { roamingMcc: null, reachable: [] }
    switch (sub.monitoringType) {
      case 'ROAMING_STATUS':
        return {
          monitoringType: 'ROAMING_STATUS',
          msisdn,
          roamingStatus: ue.roamingMcc !== null,
          ...(ue.roamingMcc === null ? {} : { plmnId: { mcc: ue.roamingMcc, mnc: '01' } }),
        }
      case 'UE_REACHABILITY': {
        const type = sub.reachabilityType as 'DATA' | 'SMS'
        return {
          monitoringType: 'UE_REACHABILITY',
          msisdn,
          ...(ue.reachable.includes(type) ? { reachabilityType: type } : {}),
        }
      }
      default:
        return {
          monitoringType: String(sub.monitoringType),
          msisdn,
          ...(ue.reachable.length === 0 ? { lossOfConnectReason: 7 } : {}),
        }
    }
  }

  /** POSTs a MonitoringNotification to a subscription's destination; the gateway's status. */
  async notify(
    self: string,
    body: { monitoringEventReports?: MonitoringEventReport[]; cancelInd?: boolean },
    destination?: string,
  ): Promise<number> {
    const sub = this.subscriptions.get(self)
    const to = destination ?? sub?.notificationDestination
    if (to === undefined) throw new Error(`no subscription ${self}`)
    const response = await fetch(to, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subscription: self, ...body }),
    })
    await response.arrayBuffer()
    return response.status
  }

  /** The subscriptions of an MSISDN and monitoring type (`self` → subscription). */
  subscriptionsOf(
    msisdn: string,
    monitoringType?: string,
  ): [string, MonitoringEventSubscription][] {
    return [...this.subscriptions].filter(
      ([, s]) =>
        s.msisdn === msisdn &&
        (monitoringType === undefined || s.monitoringType === monitoringType),
    )
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString()
    let body: any
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      body = text
    }
    const path = req.url ?? '/'
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body })
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        ...(payload === undefined
          ? {}
          : { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' }),
        ...headers,
      })
      res.end(payload === undefined ? undefined : JSON.stringify(payload))
    }
    if (path === '/token') {
      this.tokenIssued++
      return send(200, {
        access_token: `nef-token-${this.tokenIssued}`,
        token_type: 'Bearer',
        expires_in: 3600,
      })
    }
    if (this.fault.kind === 'slow')
      await new Promise((r) => setTimeout(r, (this.fault as { ms: number }).ms))
    if (this.fault.kind === 'status') {
      return send(this.fault.status, {
        status: this.fault.status,
        title: 'fault',
        detail: 'secret NEF internals',
        ...this.fault.problem,
      })
    }
    const match = /^\/3gpp-monitoring-event\/v1\/([^/]+)\/subscriptions(?:\/([^/]+))?$/.exec(path)
    if (match === null) return send(404, { status: 404, title: 'Not Found' })
    const self = `${this.url}${path}`
    if (req.method === 'POST' && match[2] === undefined) {
      const sub = body as MonitoringEventSubscription
      const msisdn = sub.msisdn ?? ''
      if (!this.ues.has(msisdn))
        return send(404, { status: 404, title: 'Not Found', cause: 'UE_NOT_FOUND' })
      if (sub.maximumNumberOfReports === 1) return send(200, this.report(msisdn, sub))
      const id = `sub-${this.next++}`
      const created = `${this.url}${path}/${id}`
      const stored = { ...sub, self: created }
      this.subscriptions.set(created, stored)
      return send(
        201,
        {
          ...stored,
          ...(sub.immediateRep === true ? { monitoringEventReport: this.report(msisdn, sub) } : {}),
        },
        { location: created },
      )
    }
    if (req.method === 'GET' && match[2] !== undefined) {
      const sub = this.subscriptions.get(self)
      return sub === undefined ? send(404, { status: 404, title: 'Not Found' }) : send(200, sub)
    }
    if (req.method === 'DELETE' && match[2] !== undefined) {
      return this.subscriptions.delete(self)
        ? send(204)
        : send(404, { status: 404, title: 'Not Found' })
    }
    return send(405, { status: 405, title: 'Method Not Allowed' })
  }
}

/** The environment of a gateway in front of `nef`. */
export function nefEnv(nef: FakeNef, more: Record<string, string> = {}): Record<string, string> {
  return { NETWORK: 'nef', NEF_BASE_URL: nef.url, NEF_SCS_AS_ID: 'gw-test', ...more }
}
