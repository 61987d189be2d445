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
