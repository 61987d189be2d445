import type { Command } from '../command.js'
import {
  environmentOfFlags,
  loadGateway,
  runUntilSignal,
  startFailure,
  type StartedGateway,
} from './start.js'

export const nefSim: Command = {
  name: 'nef-sim',
  args: [],
  summary:
    'Run the network simulator as a stand-alone NEF (3GPP TS 29.122 Monitoring Event) until SIGTERM or Ctrl-C',
  description:
    'Serves {apiRoot}/3gpp-monitoring-event/v1/{scsAsId}/subscriptions (ROAMING_STATUS, UE_REACHABILITY, LOSS_OF_CONNECTIVITY) from its own simulated devices, and the simulator admin API (/network/v1/devices, scenarios) behind ADMIN_TOKEN; a device change is POSTed as a MonitoringNotification to each matching subscription. Point a gateway at it with NETWORK=nef NEF_BASE_URL=<its URL>. Configured from the environment: PORT (default 9090), HOST, DATA_DIR (default ./.data-nef-sim), DATABASE_URL (a database of its own), ADMIN_TOKEN, NEF_SIM_TOKEN (a bearer token the Monitoring Event API then requires), NEF_SIM_API_ROOT, NEF_SIM_HOME_PLMN (default 214-07), NEF_SIM_NOTIFY_TIMEOUT_MS, LOG_LEVEL; the flags override their variables.',
  options: {
    port: {
      type: 'string',
      value: 'PORT',
      description: 'port to listen on, 0 picks a free one (env PORT, default 9090)',
    },
    host: {
      type: 'string',
      value: 'HOST',
      description: 'address to listen on (env HOST, default 127.0.0.1)',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description:
        'folder of its embedded store and admin token (env DATA_DIR, default ./.data-nef-sim)',
    },
  },
  admin: false,
  examples: [
    'device-status nef-sim',
    'device-status nef-sim --port 9090 --data-dir /tmp/nef-sim',
    'NEF_SIM_TOKEN=… NEF_SIM_HOME_PLMN=310-260 device-status nef-sim',
  ],
  async run(context) {
    const env = environmentOfFlags(
      context.io.env,
      {
        port: context.flags.string('port'),
        host: context.flags.string('host'),
        dataDir: context.flags.string('data-dir'),
      },
      'nef-sim',
    )
    const { startNefSim } = await loadGateway()
    let sim: StartedGateway
    try {
      sim = await startNefSim({ env, banner: (text) => context.io.stdout(text + '\n') })
    } catch (error) {
      throw startFailure(error, env, { port: '9090', what: 'nef-sim' })
    }
    return runUntilSignal(sim, context.io)
  },
}
