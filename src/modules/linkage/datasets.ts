// The reference linkage sets (../shared/datasets/linkage, outside the project) as matcher inputs with their ground
// truth, and their evaluation with the matcher's fixed defaults — shared by the unit tests and the benchmark.
import fs from 'node:fs'
import path from 'node:path'
import { readCsv, toRecords, type FieldMapping, type Table } from './csv.ts'
import { clusterPairMetrics, linkPairMetrics, type PairMetrics } from './evaluate.ts'
import { dedupe, link, links, type FieldName, type InputRecord, type LinkResult } from './matcher.ts'

/** The shared linkage directory for a project root, or null when it is absent. */
export function linkageDataDir(projectRoot: string): string | null {
  const dir = path.resolve(projectRoot, '../shared/datasets/linkage')
  return fs.existsSync(dir) ? dir : null
}

export const FEBRL_FIELDS: FieldMapping = {
  given_name: ['given_name'],
  family_name: ['surname'],
  dob: ['date_of_birth'],
  postcode: ['postcode'],
  address: ['street_number', 'address_1', 'address_2'],
  city: ['suburb'],
  nhs_number: ['soc_sec_id'],
}

export const FAKE_1000_FIELDS: FieldMapping = { given_name: ['first_name'], family_name: ['surname'], dob: ['dob'], city: ['city'], email: ['email'] }

export const FAMILY_CONTEXT_FIELDS: FieldMapping = { given_name: ['First Name'], family_name: ['Last Name'], dob: ['Date Of Birth'], sex: ['Gender'], address: ['Address'] }

const fieldsOf = (m: FieldMapping): FieldName[] => Object.keys(m) as FieldName[]

export interface Evaluation {
  dataset: string
  metrics: PairMetrics
  result: LinkResult
  seconds: number
}

function febrlPerson(recId: string): string {
  const m = /^rec-(\d+)-/.exec(recId.trim())
  if (!m) throw new Error(`unexpected FEBRL rec_id ${recId}`)
  return m[1]!
}

/** Links two files and scores the links against the records' keys: records with the same key are the same person. */
function evaluateLink(dataset: string, a: Table, b: Table, fields: FieldMapping, keyA: (row: Table['rows'][number], i: number) => string, keyB: (row: Table['rows'][number], i: number) => string): Evaluation {
  const t0 = performance.now()
  const result = link(toRecords(a, fields), toRecords(b, fields), fieldsOf(fields))
  const seconds = (performance.now() - t0) / 1000
  const ka = a.rows.map(keyA)
  const kb = b.rows.map(keyB)
  const inB = new Set(kb)
  const truth = new Set(ka.filter((k) => inB.has(k)).map((k) => `${k}|${k}`))
  const metrics = linkPairMetrics(
    links(result).map((p) => [ka[p.a]!, kb[p.b]!] as const),
    truth,
  )
  return { dataset, metrics, result, seconds }
}

export function evaluateFebrl4(dir: string): Evaluation {
  const person = (r: Table['rows'][number]) => febrlPerson(r.rec_id!)
  return evaluateLink('febrl4', readCsv(path.join(dir, 'febrl4a.csv')), readCsv(path.join(dir, 'febrl4b.csv')), FEBRL_FIELDS, person, person)
}

export function evaluateDedupe(dataset: string, records: InputRecord[], truth: string[], fields: FieldName[]): Evaluation {
  const t0 = performance.now()
  const result = dedupe(records, fields)
  const seconds = (performance.now() - t0) / 1000
  return { dataset, metrics: clusterPairMetrics(result.clusters, truth), result, seconds }
}

export function evaluateFake1000(dir: string): Evaluation {
  const t = readCsv(path.join(dir, 'fake_1000.csv'))
  return evaluateDedupe('fake_1000', toRecords(t, FAKE_1000_FIELDS), t.rows.map((r) => r.cluster!), fieldsOf(FAKE_1000_FIELDS))
}

/** Row i of the social-care file is the same child as row i of the education file. */
export function evaluateFamilyContext(dir: string): Evaluation {
  const row = (_: unknown, i: number) => String(i)
  return evaluateLink('family_context', readCsv(path.join(dir, 'family_context_csc.csv')), readCsv(path.join(dir, 'family_context_education.csv')), FAMILY_CONTEXT_FIELDS, row, row)
}
