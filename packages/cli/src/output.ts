/** What commands print: JSON for `--json`, aligned tables and `label  value` lists otherwise. */

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** A plain text table, columns padded to their widest cell. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}

/**
 * One `label  value` line per field, labels padded to the widest; a list value takes one line per
 * item (`-` when empty).
 */
export function formatFields(
  fields: readonly (readonly [string, string | readonly string[]])[],
): string {
  const width = Math.max(...fields.map(([label]) => label.length))
  const lines: string[] = []
  for (const [label, value] of fields) {
    const items = typeof value === 'string' ? [value] : value.length === 0 ? ['-'] : value
    items.forEach((item, i) => lines.push(`${(i === 0 ? label : '').padEnd(width)}  ${item}`))
  }
  return lines.join('\n') + '\n'
}

/** `1 request`, `2 requests`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
