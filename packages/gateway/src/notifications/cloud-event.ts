import { randomUUID } from 'node:crypto'

/** A CloudEvents 1.0 event in structured JSON mode, as CAMARA notifications carry them. */
export interface CloudEvent {
  id: string
  source: string
  type: string
  specversion: '1.0'
  datacontenttype: 'application/json'
  time: string
  data: Record<string, unknown>
}

export function cloudEvent(input: {
  source: string
  type: string
  time?: string
  data: Record<string, unknown>
}): CloudEvent {
  return {
    id: randomUUID(),
    source: input.source,
    type: input.type,
    specversion: '1.0',
    datacontenttype: 'application/json',
    time: input.time ?? new Date().toISOString(),
    data: input.data,
  }
}
