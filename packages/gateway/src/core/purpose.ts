/**
 * Purposes (CAMARA ICM §Purpose): exactly one `dpv:<Purpose>` scope value per request, from the
 * W3C Data Privacy Vocabulary. The legal basis of a purpose decides whether the subscriber's
 * consent is needed.
 */
export type LegalBasis = 'consent' | 'legitimate-interest' | 'contract' | 'legal-obligation'

/** The default table; `PURPOSE_LEGAL_BASES` (JSON) adds purposes or overrides these. */
export const DEFAULT_LEGAL_BASES: Readonly<Record<string, LegalBasis>> = {
  'dpv:FraudPreventionAndDetection': 'legitimate-interest',
  'dpv:CounterTerrorism': 'legal-obligation',
  'dpv:RequestedServiceProvision': 'contract',
  'dpv:ServiceProvision': 'contract',
  'dpv:IdentityVerification': 'contract',
  'dpv:AccountManagement': 'contract',
  'dpv:ProvideEventRecommendations': 'consent',
  'dpv:PersonalisedAdvertising': 'consent',
  'dpv:DirectMarketing': 'consent',
  'dpv:Marketing': 'consent',
  'dpv:ResearchAndDevelopment': 'consent',
  'dpv:CommercialInterest': 'consent',
}

export const LEGAL_BASES: readonly LegalBasis[] = [
  'consent',
  'legitimate-interest',
  'contract',
  'legal-obligation',
]

export function needsConsent(basis: LegalBasis): boolean {
  return basis === 'consent'
}

/** The `dpv:` values among scope tokens. */
export function purposesIn(scopes: readonly string[]): string[] {
  return scopes.filter((s) => s.startsWith('dpv:'))
}
