/**
 * What scopes and purposes mean, in the words a person reads: the consent and
 * device-picker pages of the authorization server and the console use these, never raw scope
 * strings alone.
 */

const API_WORDS: Readonly<Record<string, string>> = {
  'device-roaming-status': 'roaming status',
  'device-reachability-status': 'reachability status',
  'connected-network-type': 'connected network type',
  'sim-swap': 'SIM swaps',
  'device-status': 'roaming and connectivity status (legacy API)',
  'device-roaming-status-subscriptions': 'roaming status notifications',
  'device-reachability-status-subscriptions': 'reachability status notifications',
  'connected-network-type-subscriptions': 'network type notifications',
  'sim-swap-subscriptions': 'SIM swap notifications',
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  read: 'read',
  retrieve: 'read',
  'retrieve-date': 'read the date of the latest',
  check: 'check for recent',
  create: 'subscribe to',
  delete: 'cancel subscriptions to',
}

const EVENT_WORDS: Readonly<Record<string, string>> = {
  'roaming-status': 'roaming status changes',
  'roaming-on': 'the device starting to roam',
  'roaming-off': 'the device coming home',
  'roaming-change-country': 'the device roaming into another country',
  'reachability-data': 'the device becoming reachable for data',
  'reachability-sms': 'the device becoming reachable for SMS only',
  'reachability-disconnected': 'the device becoming unreachable',
  'network-type-changed': 'network type changes',
  swapped: 'SIM swaps',
}

/** `device-roaming-status:read` → "read roaming status"; an unknown scope is shown as it is. */
export function describeScope(scope: string): string {
  if (scope === 'openid') return 'know that you signed in'
  if (scope === 'offline_access') return 'keep access while you are away'
  if (scope.startsWith('dpv:')) return `for the purpose of ${describePurpose(scope).toLowerCase()}`
  const parts = scope.split(':')
  const api = parts[0] ?? ''
  const apiWords = API_WORDS[api]
  if (apiWords === undefined) return scope
  // Subscription scopes: `<api>:org.camaraproject.<api>.v0.<event>:create`, `<api>:read`.
  if (parts.length === 3 && (parts[1] ?? '').startsWith('org.camaraproject.')) {
    const event = (parts[1] ?? '').split('.').pop() ?? ''
    return `be notified of ${EVENT_WORDS[event] ?? event}`
  }
  const action = parts[1] ?? ''
  if (api.endsWith('-subscriptions')) {
    if (action === 'read') return `see its subscriptions to ${apiWords}`
    if (action === 'delete') return `cancel its subscriptions to ${apiWords}`
  }
  if (api === 'sim-swap' && action === 'retrieve-date')
    return 'read the date of the latest SIM swap'
  // The legacy v0.5.1 API: `device-status:roaming:read`, `device-status:subscriptions:create`.
  if (api === 'device-status') {
    if (action === 'roaming') return 'read roaming status (legacy API)'
    if (action === 'connectivity') return 'read connectivity status (legacy API)'
    if (action === 'subscriptions') {
      const verb =
        parts[2] === 'create'
          ? 'subscribe to'
          : parts[2] === 'delete'
            ? 'cancel subscriptions to'
            : 'see its subscriptions to'
      return `${verb} status notifications (legacy API)`
    }
  }
  return `${ACTION_WORDS[action] ?? action} ${apiWords}`
}

/** `dpv:FraudPreventionAndDetection` → "fraud prevention and detection". */
export function describePurpose(purpose: string): string {
  const name = purpose.replace(/^dpv:/, '').replace(/#.*$/, '')
  const words = name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
