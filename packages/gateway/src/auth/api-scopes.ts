import { API_FILES, loadSpec, type ApiName } from '../specs/catalog.js'

/** Every scope each served API declares in its spec's `security` sections. */
export function apiScopes(): Record<ApiName, string[]> {
  const result = {} as Record<ApiName, string[]>
  for (const [api, file] of Object.entries(API_FILES) as [ApiName, string][]) {
    const scopes = new Set<string>()
    for (const item of Object.values(loadSpec(file).paths)) {
      for (const op of Object.values(item)) {
        for (const alternative of op.security ?? [])
          for (const list of Object.values(alternative)) list.forEach((s) => scopes.add(s))
      }
    }
    result[api] = [...scopes].sort()
  }
  return result
}

/** All API scopes, flat; only those of the APIs `offered` when given (the others are not served). */
export function allApiScopes(offered?: readonly ApiName[]): string[] {
  const byApi = apiScopes()
  const apis = offered ?? (Object.keys(byApi) as ApiName[])
  return [...new Set(apis.flatMap((api) => byApi[api]))].sort()
}
