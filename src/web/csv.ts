// One cell of a CSV file the app writes (a chronology export, the link command's output): a file a practitioner may
// open in a spreadsheet.

/**
 * A value as a CSV cell. Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
 * return) is neutralised with a leading apostrophe, as OWASP advises; then a cell holding a quote, comma or line end
 * is quoted. Numbers are written as they are (a negative number is not a formula); dates as ISO 8601.
 */
export function csvCell(v: unknown): string {
  if (typeof v === 'number') return String(v)
  const s = v instanceof Date ? v.toISOString() : v === null || v === undefined ? '' : String(v)
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
