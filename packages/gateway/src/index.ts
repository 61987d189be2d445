export { buildApp, type AppDeps } from './app.js'
export {
  startGateway,
  sandboxAdminToken,
  type RunningGateway,
  type StartOptions,
} from './gateway.js'
export { loadConfig, ConfigError, ENVIRONMENT, type Config, type Mode } from './config.js'
export { mintAccessToken, tokenVerifier, type MintOptions } from './auth/access-token.js'
export type { AuthContext } from './core/auth-context.js'
export { systemClock, type Clock } from './core/clock.js'
export { openKeyring, type Keyring } from './auth/keys.js'
export { openStore, type Store } from './store/store.js'
export { CamaraError, CAMARA_STATUS, type CamaraCode } from './core/camara-error.js'
export { demoDevices } from './simulator/seed.js'
export { startNefSim, type RunningNefSim, type NefSimOptions } from './nef-sim/server.js'
export { loadNefSimConfig, NEF_SIM_ENVIRONMENT, type NefSimConfig } from './nef-sim/config.js'
