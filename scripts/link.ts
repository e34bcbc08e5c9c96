// `npm run link -- dedupe FILE.csv --id COL --fields given_name=COL,... --out clusters.csv`
// `npm run link -- link A.csv B.csv --id COL [--id-b COL] --fields ... [--fields-b ...] --out pairs.csv`
// Probabilistic record linkage (src/modules/linkage): bad arguments or a missing file → a message on stderr, exit 2.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { checkColumns, checkIds, parseFieldMapping, readCsv, toCsv, toRecords, type FieldMapping } from '../src/modules/linkage/csv.ts'
import { DEFAULTS, FIELDS, FIELD_NAMES, dedupe, link, links, type FieldName } from '../src/modules/linkage/matcher.ts'

const HELP = `Usage:
  npm run link -- dedupe FILE.csv --id COL --fields FIELD=COL[,FIELD=COL...] --out clusters.csv
      writes id,cluster (one row per record; records of one person share a cluster number)
  npm run link -- link A.csv B.csv --id COL [--id-b COL] --fields FIELD=COL,... [--fields-b FIELD=COL,...] --out pairs.csv
      writes id_a,id_b,probability for the pairs at or above the threshold

Options:
  --id COL           the column holding each record's id (of A, and of B unless --id-b)
  --id-b COL         B's id column, when it differs
  --fields SPEC      which column holds each field, e.g. given_name=first,family_name=surname,dob=birth_date;
                     join several columns with +, e.g. address=street_number+address_1
  --fields-b SPEC    B's columns, when they differ (the same fields)
  --out FILE         where to write the result (CSV)
  --threshold P      match probability for a link (default ${DEFAULTS.threshold})
  --quiet            no progress lines on stderr
  --help             this text

Fields (comparison levels, strongest first; a missing value counts neither way):
${FIELD_NAMES.map((f) => `  ${f.padEnd(12)} ${FIELDS[f].description}`).join('\n')}

Dates of birth: YYYY-MM-DD (a time after it is ignored), YYYYMMDD or DD/MM/YYYY; anything else counts as missing.
The m and u probabilities are estimated from the data itself (u from random pairs, m by EM); no labels needed.
Exit codes: 0 done, 2 bad arguments or unreadable input, 1 anything else.`

class UsageError extends Error {}

function main(argv: string[]): void {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        id: { type: 'string' },
        'id-b': { type: 'string' },
        fields: { type: 'string' },
        'fields-b': { type: 'string' },
        out: { type: 'string' },
        threshold: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values: o, positionals } = parsed
  if (o.help) {
    console.log(HELP)
    return
  }
  const [command, ...files] = positionals
  if (command !== 'dedupe' && command !== 'link') throw new UsageError(command ? `unknown command "${command}": use dedupe or link` : 'no command: use dedupe or link (see --help)')
  const want = command === 'dedupe' ? 1 : 2
  if (files.length !== want) throw new UsageError(`${command} takes ${want === 1 ? 'one CSV file' : 'two CSV files'}, got ${files.length}`)
  if (!o.id) throw new UsageError('--id COL is required')
  if (!o.fields) throw new UsageError('--fields is required, e.g. --fields given_name=first_name,family_name=surname,dob=dob')
  if (!o.out) throw new UsageError('--out FILE is required')
  if (command === 'dedupe' && (o['id-b'] || o['fields-b'])) throw new UsageError('--id-b and --fields-b are for link')
  let threshold: number = DEFAULTS.threshold
  if (o.threshold !== undefined) {
    threshold = Number(o.threshold)
    if (!(threshold > 0 && threshold < 1)) throw new UsageError(`--threshold must be a probability between 0 and 1, got "${o.threshold}"`)
  }
  const mapping = parseOrUsage(o.fields)
  const mappingB = o['fields-b'] ? parseOrUsage(o['fields-b']) : mapping
  const fields = Object.keys(mapping) as FieldName[]
  const fieldsB = Object.keys(mappingB) as FieldName[]
  if (fields.length !== fieldsB.length || fields.some((f) => !(f in mappingB))) throw new UsageError('--fields-b must map the same fields as --fields')
  for (const f of files) if (!fs.existsSync(f) || !fs.statSync(f).isFile()) throw new UsageError(`no such file: ${f}`)
  const real = files.map((f) => fs.realpathSync(f))
  if (command === 'link' && real[0] === real[1]) throw new UsageError('link takes two different files: to find the same person within one file, use dedupe')
  const out = checkOut(o.out, real)
  const tables = files.map((f, i) => {
    let t
    try {
      t = readCsv(f)
    } catch (err) {
      throw new UsageError(`${f}: not readable as CSV: ${(err as Error).message}`)
    }
    try {
      checkColumns(t, i === 0 ? mapping : mappingB, i === 0 ? o.id! : (o['id-b'] ?? o.id!), f)
      checkIds(t, i === 0 ? o.id! : (o['id-b'] ?? o.id!), f)
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    return t
  })
  const progress = o.quiet ? undefined : (stage: string, detail: string): void => void process.stderr.write(`${stage}: ${detail}\n`)
  const ta = tables[0]!
  const idsA = ta.rows.map((r) => r[o.id!]!)
  if (command === 'dedupe') {
    const result = dedupe(toRecords(ta, mapping), fields, { threshold, progress })
    writeOut(out, toCsv(['id', 'cluster'], idsA.map((id, i) => [id, result.clusters[i]!])))
    if (!o.quiet) process.stderr.write(`${ta.rows.length} records → ${result.clusterCount} clusters; written to ${o.out}\n`)
  } else {
    const tb = tables[1]!
    const idB = o['id-b'] ?? o.id
    const idsB = tb.rows.map((r) => r[idB]!)
    const result = link(toRecords(ta, mapping), toRecords(tb, mappingB), fields, { threshold, progress })
    const found = links(result)
    writeOut(out, toCsv(['id_a', 'id_b', 'probability'], found.map((p) => [idsA[p.a]!, idsB[p.b]!, p.probability.toFixed(6)])))
    if (!o.quiet) process.stderr.write(`${found.length} linked pairs; written to ${o.out}\n`)
  }
}

/**
 * Where --out may go, checked before any work (a large file's linkage takes minutes): a file in a folder that exists,
 * not a folder itself, and not one of the inputs (which it would replace).
 */
function checkOut(out: string, inputs: string[]): string {
  const file = path.resolve(out)
  const dir = path.dirname(file)
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--out: no folder ${dir}`)
  if (fs.existsSync(file)) {
    if (fs.statSync(file).isDirectory()) throw new UsageError(`--out: ${out} is a folder: give a file name`)
    if (inputs.includes(fs.realpathSync(file))) throw new UsageError(`--out: ${out} is an input file: the result would replace it`)
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch {
    throw new UsageError(`--out: cannot write in ${dir}`)
  }
  return file
}

/** The result written whole or not at all: to a file beside it, then renamed over it. */
function writeOut(file: string, text: string): void {
  const partial = `${file}.${process.pid}.partial`
  try {
    fs.writeFileSync(partial, text)
    fs.renameSync(partial, file)
  } catch (err) {
    fs.rmSync(partial, { force: true })
    throw new UsageError(`--out: could not write ${file}: ${(err as Error).message}`)
  }
}

function parseOrUsage(spec: string): FieldMapping {
  try {
    return parseFieldMapping(spec)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

try {
  main(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`link: ${err.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`link: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
}
