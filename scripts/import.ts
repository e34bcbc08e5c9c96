// `npm run import -- records|entries FILE.csv --agency AGENCY_ID_OR_NAME [--partnership CODE] [--report FILE]`
// Loads an agency's records of children (or its entries) into the configured database. The columns are documented
// in src/modules/records/validate.ts. Every row is checked first: any bad row → nothing imported, the rejected rows
// and why on stdout (or --report FILE), exit 2. A file that stopped part-way resumes after its last committed batch;
// a finished file is refused (exit 2). The file is UTF-8 (or UTF-16 with its byte-order mark): another encoding, or a
// control character in it, is refused before anything is imported (exit 2), and so is a file whose name is longer
// than an import keeps (FILE_NAME_MAX in src/modules/records/repository.ts, the page's rule too): rename it. Progress
// on stderr. Acts as the system (job "records-import"), audited as such with the agency named: no practitioner is
// signed in at a terminal.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/platform/config.ts'
import { openDatabase, DatabaseLockedError } from '../src/data/db.ts'
import { systemRepository } from '../src/data/system.ts'
import { systemClock } from '../src/platform/clock.ts'
import { FieldRefusedError, RefusedError } from '../src/data/unit-of-work.ts'
import { ENTRY_COLUMNS, RECORD_COLUMNS } from '../src/modules/records/validate.ts'

const HELP = `Usage: npm run import -- records|entries FILE.csv --agency AGENCY_ID_OR_NAME [--partnership CODE] [--report FILE]
  records   columns ${RECORD_COLUMNS.join(',')}
  entries   columns ${ENTRY_COLUMNS.join(',')}
Exit codes: 0 imported, 2 bad arguments, a bad file (nothing imported) or a file already imported, 1 anything else.`

class UsageError extends Error {}
/** A file that cannot be imported as it is (not UTF-8 text, or a control character in it): exit 2, nothing imported. */
class BadFileError extends Error {}

/** A C0 control character other than tab (9), line feed (10) and carriage return (13): PostgreSQL cannot store NUL, and
 *  no column has a use for the others. */
const isControl = (code: number): boolean => code < 0x20 && code !== 9 && code !== 10 && code !== 13

/**
 * The file's text. A UTF-16 file (with its byte-order mark, as Excel's "Unicode text" saves it) is decoded as UTF-16;
 * anything else must be UTF-8 (a UTF-8 byte-order mark is dropped). A file in another encoding (Latin-1, Windows-1252,
 * where "Zoë" would come out as "Zo" and a replacement character) is refused rather than imported with its names
 * spoiled, and so is a file holding a control character, naming the lines — all before anything is imported.
 */
function decodeCsv(file: string, bytes: Uint8Array): string {
  const name = path.basename(file)
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8'
  let text: string
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes)
  } catch {
    if (encoding !== 'utf-8') throw new BadFileError(`${name} is not readable ${encoding.toUpperCase()} text (it starts with a UTF-16 byte-order mark but is cut short or damaged): save it as CSV UTF-8 and try again. Nothing was imported.`)
    const likely = bytes.includes(0) ? 'UTF-16 without a byte-order mark' : 'Latin-1 or Windows-1252'
    throw new BadFileError(`${name} is not UTF-8 text${firstBadUtf8Line(bytes)} (perhaps it was saved as ${likely}): save it as CSV UTF-8 and try again. Nothing was imported.`)
  }
  const bad: { line: number; code: number }[] = []
  let line = 1
  for (let i = 0; i < text.length && bad.length < 10; i++) {
    const code = text.charCodeAt(i)
    if (code === 10) line++
    else if (isControl(code) && bad.at(-1)?.line !== line) bad.push({ line, code })
  }
  if (bad.length) {
    const nul = bad.some((b) => b.code === 0) && encoding === 'utf-8' ? ' (NUL characters often mean the file was saved as UTF-16 without a byte-order mark)' : ''
    const where = bad.map((b) => `line ${b.line} (U+${b.code.toString(16).toUpperCase().padStart(4, '0')})`).join(', ')
    throw new BadFileError(`${name} contains control characters that cannot be imported, on ${where}${bad.length === 10 ? ' and perhaps more' : ''}${nul}: remove them, save the file as CSV UTF-8 and try again. Nothing was imported.`)
  }
  return text
}

/** " (line N is not)": the first line that does not decode as UTF-8. */
function firstBadUtf8Line(bytes: Uint8Array): string {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let start = 0
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start)
    if (end < 0) end = bytes.length
    try {
      decoder.decode(bytes.subarray(start, end))
    } catch {
      return ` (line ${line} is not)`
    }
    start = end + 1
  }
  return ''
}

/**
 * Where --report may go, checked before anything is read or written (a finished import is not imported again, so a
 * report that cannot be written afterwards would be lost): a file in a folder that exists, not a folder, not the input.
 */
function checkReport(report: string, input: string): void {
  const file = path.resolve(report)
  const dir = path.dirname(file)
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--report: no folder ${dir}`)
  if (fs.existsSync(file)) {
    if (fs.statSync(file).isDirectory()) throw new UsageError(`--report: ${report} is a folder: give a file name`)
    if (fs.realpathSync(file) === fs.realpathSync(input)) throw new UsageError(`--report: ${report} is the file being imported: the report would replace it`)
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch {
    throw new UsageError(`--report: cannot write in ${dir}`)
  }
}

async function main(): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { agency: { type: 'string' }, partnership: { type: 'string' }, report: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values: o, positionals } = parsed
  if (o.help) {
    console.log(HELP)
    return 0
  }
  const [kind, file, ...rest] = positionals
  if (kind !== 'records' && kind !== 'entries') throw new UsageError(kind ? `unknown kind "${kind}": use records or entries` : 'say what the file holds: records or entries')
  if (!file || rest.length) throw new UsageError('give exactly one CSV file')
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`no such file: ${file}`)
  if (!o.agency) throw new UsageError('--agency is required (the agency’s id or name)')
  if (o.report) checkReport(o.report, file)
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(file)
  } catch (err) {
    throw new BadFileError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Nothing was imported.`)
  }
  const text = decodeCsv(file, bytes)
  const database = await openDatabase(loadConfig().database, { restrictedRole: false })
  try {
    const partnerships = await database.db.selectFrom('partnership').select(['id', 'code']).$if(!!o.partnership, (q) => q.where('code', '=', o.partnership!)).execute()
    if (partnerships.length !== 1) throw new UsageError(o.partnership ? `no partnership with code ${o.partnership}` : `${partnerships.length} partnerships: choose one with --partnership CODE`)
    const partnershipId = partnerships[0]!.id
    const agencies = await database.db.selectFrom('agency').select(['id', 'name']).where('partnership_id', '=', partnershipId).execute()
    const agency = agencies.find((a) => a.id === o.agency) ?? agencies.find((a) => a.name.toLowerCase() === o.agency!.toLowerCase())
    if (!agency) throw new UsageError(`no agency "${o.agency}" in this partnership (the agencies: ${agencies.map((a) => a.name).join('; ')})`)
    const importer = systemRepository({ db: database.db, clock: systemClock }, 'records-import').recordsImporter(partnershipId, agency.id)
    const tty = process.stderr.isTTY
    let last = 0
    const result = await importer.importCsv(kind, text, {
      fileName: path.basename(file),
      onProgress: (done, total) => {
        if (done < total && tty && Date.now() - last < 200) return
        last = Date.now()
        const width = 30
        const filled = Math.round((done / Math.max(1, total)) * width)
        process.stderr.write(`${tty ? '\r' : ''}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done} / ${total} rows${tty ? '' : '\n'}`)
      },
    })
    if (tty) process.stderr.write('\n')
    if (result.status === 'rejected') {
      const report = ['line,reason', ...result.rejections.map((r) => `${r.row},"${r.reason.replace(/"/g, '""')}"`)].join('\n') + '\n'
      if (o.report) fs.writeFileSync(o.report, report)
      else process.stdout.write(report)
      console.error(`Nothing was imported: ${result.rejections.length} of ${result.rowsTotal} rows have a problem${o.report ? ` (listed in ${o.report})` : ''}. Correct them and import the whole file again.`)
      return 2
    }
    const LABELS: Record<string, string> = { matched: 'linked to a known child', review: 'to review (possible match)', new_child: 'with a new child', updated: 'updated', entries: 'entries', entries_already_held: 'entries already held (not added again)' }
    const summary = Object.entries(result.counts).map(([k, n]) => `${n} ${LABELS[k] ?? k}`).join(', ')
    console.log(`Imported ${result.rowsDone} rows for ${agency.name}${result.resumedFrom ? ` (resumed after row ${result.resumedFrom})` : ''}: ${summary || 'nothing new'}.`)
    if (o.report) fs.writeFileSync(o.report, 'line,reason\n')
    return 0
  } finally {
    await database.close()
  }
}

try {
  process.exitCode = await main()
} catch (err) {
  if (err instanceof BadFileError) {
    console.error(err.message)
    process.exitCode = 2
  } else if (err instanceof FieldRefusedError && err.field === 'fileName') {
    // the file's own name is kept with the import, and the data layer refuses one too long to keep whole
    console.error(`${err.message}: rename the file to a shorter name and import it again. Nothing was imported.`)
    process.exitCode = 2
  } else if (err instanceof UsageError || err instanceof RefusedError) {
    console.error(`${err.message}${err instanceof UsageError ? '\n\n' + HELP : ''}`)
    process.exitCode = 2
  } else if (err instanceof DatabaseLockedError) {
    console.error(`${err.message}\n(Stop the server first: the embedded database takes one process at a time.)`)
    process.exitCode = 1
  } else throw err
}
