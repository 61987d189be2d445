import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

export interface Operation {
  api: string
  operationId: string
  summary: string
  method: string
  path: string
  scopes: string[]
  body: unknown
}

export interface Catalog {
  mode: 'sandbox' | 'production'
  simulator: boolean
  issuer: string
  countries: { mcc: number; codes: string[] }[]
  purposes: { purpose: string; name: string; legalBasis: string; needsConsent: boolean }[]
  scopes: Record<string, string>
  operations: Operation[]
  networkTypes: string[]
  connectivityTypes: string[]
  deviceApis: string[]
}

export const CatalogContext = createContext<Catalog | undefined>(undefined)

export function useCatalog(): Catalog {
  const catalog = useContext(CatalogContext)
  if (catalog === undefined) throw new Error('catalog not loaded')
  return catalog
}

const regions = new Intl.DisplayNames(['en'], { type: 'region' })

export function countryName(code: string): string {
  try {
    return regions.of(code) ?? code
  } catch {
    return code
  }
}

/** `FR` → 🇫🇷 (regional indicator symbols). */
export function flag(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return ''
  return String.fromCodePoint(...[...code].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65))
}

/** The countries an MCC serves, as names: 208 → "France". */
export function mccName(catalog: Catalog, mcc: number): string {
  const codes = catalog.countries.find((c) => c.mcc === mcc)?.codes ?? []
  return codes.length === 0 ? `MCC ${mcc}` : codes.map(countryName).join(' / ')
}

/** The MCC table as a country picker: one entry per country, sorted by name. */
export function countryChoices(catalog: Catalog): { mcc: number; code: string; name: string }[] {
  const out: { mcc: number; code: string; name: string }[] = []
  for (const { mcc, codes } of catalog.countries)
    for (const code of codes) out.push({ mcc, code, name: countryName(code) })
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.mcc - b.mcc)
}

/** "3 hours ago", "2 days ago", "in 5 minutes". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  const abs = Math.abs(seconds)
  const [value, unit] =
    abs < 60
      ? [abs, 'second']
      : abs < 3600
        ? [Math.round(abs / 60), 'minute']
        : abs < 172_800
          ? [Math.round(abs / 3600), 'hour']
          : [Math.round(abs / 86_400), 'day']
  const text = `${value} ${unit}${value === 1 ? '' : 's'}`
  return seconds >= 0 ? `${text} ago` : `in ${text}`
}

// One formatter for every date shown: building one per call costs more than the rest of a row.
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'short', timeStyle: 'medium' })

export function time(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return ''
  return dateTime.format(new Date(iso))
}

/** The last part of a CloudEvent type: `…v0.roaming-on` → `roaming-on`. */
export const shortType = (type: string) => type.split('.').pop() ?? type

/**
 * A row id as the tables show it: its last 8 characters. The gateway's ids are UUID version 7,
 * whose first characters are the time of creation, shared by every row made in the same minute;
 * the end is random.
 */
export const shortId = (id: string) => id.slice(-8)

export function scopeWords(catalog: Catalog, scope: string): string {
  return catalog.scopes[scope] ?? scope
}

export function purposeName(catalog: Catalog, purpose: string): string {
  return catalog.purposes.find((p) => p.purpose === purpose)?.name ?? purpose
}
