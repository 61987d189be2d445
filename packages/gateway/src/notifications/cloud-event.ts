import { newId } from '../store/store.js'
import type { CloudEvent } from '../core/cloud-event.js'

export type { CloudEvent } from '../core/cloud-event.js'

/**
 * A new CloudEvent with a fresh `id` (the notification's row id too: {@link newId}, time-ordered);
 * `time` is when it happened (the caller's clock).
 */
export function cloudEvent(input: {
  source: string
  type: string
  time: string
  data: Record<string, unknown>
}): CloudEvent {
  return {
    id: newId(),
    source: input.source,
    type: input.type,
    specversion: '1.0',
    datacontenttype: 'application/json',
    time: input.time,
    data: input.data,
  }
}
