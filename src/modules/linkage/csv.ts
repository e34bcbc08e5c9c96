// Reading the CSV files the matcher links (csv-parse: quoted fields, embedded newlines, a BOM) and mapping their
// columns onto the matcher's fields.
import fs from 'node:fs'
import { parse } from 'csv-parse/sync'
import { csvCell } from '../../web/csv.ts'
import { isFieldName, type FieldName, type InputRecord } from './matcher.ts'

export interface Table {
  header: string[]
  rows: Record<string, string>[]
}

/**
 * Reads a CSV file with a header row. Throws, with a message for the user, when the file is not UTF-8 (a Latin-1 "ë"
 * would otherwise become "�" and match nothing) or names a column twice (the last would silently win).
 */
export function readCsv(file: string): Table {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file))
  } catch (err) {
    if (err instanceof TypeError) throw new Error('the file is not UTF-8 text: save it as CSV UTF-8 and try again')
    throw err
  }
  const header = firstLine(text)
  const repeated = header.find((h, i) => header.indexOf(h) !== i)
  if (repeated !== undefined) throw new Error(`the column "${repeated}" appears twice in the header`)
  const rows = parse(text, { columns: (h: string[]) => h.map((c) => c.trim()), bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as Record<string, string>[]
  return { header, rows }
}

/** Throws, naming the records, when an id is empty or given to two records: the output could not be joined back. */
export function checkIds(table: Table, idColumn: string, file: string): string[] {
  const ids = table.rows.map((r) => r[idColumn] ?? '')
  const empty = ids.findIndex((id) => id === '')
  if (empty >= 0) throw new Error(`${file}: record ${empty + 1} (after the header) has no ${idColumn}: every record needs its own id`)
  const first = new Map<string, number>()
  ids.forEach((id, i) => {
    const seen = first.get(id)
    if (seen !== undefined) throw new Error(`${file}: the ${idColumn} "${id}" is on records ${seen + 1} and ${i + 1} (after the header): every record needs its own id`)
    first.set(id, i)
  })
  return ids
}

function firstLine(text: string): string[] {
  const rows = parse(text, { bom: true, trim: true, to_line: 1, skip_empty_lines: true }) as string[][]
  return rows[0] ?? []
}

/** Field → the columns it is made of (joined with a space): "address=street_number+address_1". */
export type FieldMapping = Partial<Record<FieldName, string[]>>

/** Parses "given_name=COL,family_name=COL,address=A+B"; throws with a message for the user. */
export function parseFieldMapping(spec: string): FieldMapping {
  const out: FieldMapping = {}
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error(`--fields: "${part}" is not FIELD=COLUMN`)
    const field = part.slice(0, eq).trim()
    const cols = part.slice(eq + 1).split('+').map((c) => c.trim())
    if (!isFieldName(field)) throw new Error(`--fields: unknown field "${field}" (see --help for the fields known)`)
    if (out[field]) throw new Error(`--fields: ${field} is given twice`)
    if (cols.some((c) => c === '')) throw new Error(`--fields: ${field} has an empty column name`)
    out[field] = cols
  }
  return out
}

/** Throws when a mapped column (or the id column) is not in the table. */
export function checkColumns(table: Table, mapping: FieldMapping, idColumn: string, file: string): void {
  const have = new Set(table.header)
  const missing = [idColumn, ...Object.values(mapping).flat()].filter((c) => !have.has(c))
  if (missing.length) throw new Error(`${file}: no column ${missing.map((c) => `"${c}"`).join(', ')} (columns: ${table.header.join(', ')})`)
}

export function toRecords(table: Table, mapping: FieldMapping): InputRecord[] {
  const entries = Object.entries(mapping) as [FieldName, string[]][]
  return table.rows.map((row) => {
    const rec: InputRecord = {}
    for (const [field, cols] of entries) {
      const v = cols
        .map((c) => row[c] ?? '')
        .filter((x) => x !== '')
        .join(' ')
      rec[field] = v === '' ? null : v
    }
    return rec
  })
}

/** The link command's output file: each cell as csvCell writes it (an id such as =HYPERLINK(…) neutralised). */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n'
}
