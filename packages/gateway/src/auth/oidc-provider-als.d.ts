// oidc-provider keeps each request's koa context in an AsyncLocalStorage of its own (not part of
// its typed API; the package declares no exports map, so the module can be imported).
declare module 'oidc-provider/lib/helpers/als.js' {
  import type { AsyncLocalStorage } from 'node:async_hooks'
  const als: AsyncLocalStorage<unknown>
  export default als
}
