// The reference linkage sets (../shared/datasets/linkage, outside the project) as matcher inputs with their ground
// truth, and their evaluation with the matcher's fixed defaults — shared by the unit tests and the benchmark.
import fs from 'node:fs'
import path from 'node:path'
import { readCsv, toRecords, type FieldMapping } from './csv.ts'
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

export function evaluateFebrl4(dir: string): Evaluation {
  const a = readCsv(path.join(dir, 'febrl4a.csv'))
  const b = readCsv(path.join(dir, 'febrl4b.csv'))
  const t0 = performance.now()
  const result = link(toRecords(a, FEBRL_FIELDS), toRecords(b, FEBRL_FIELDS), fieldsOf(FEBRL_FIELDS))
  const seconds = (performance.now() - t0) / 1000
  const pa = a.rows.map((r) => febrlPerson(r.rec_id!))
  const pb = b.rows.map((r) => febrlPerson(r.rec_id!))
  const inB = new Set(pb)
  const truth = new Set(pa.filter((p) => inB.has(p)).map((p) => `${p}|${p}`))
  const metrics = linkPairMetrics(
    links(result).map((p) => [pa[p.a]!, pb[p.b]!] as const),
    truth,
  )
  return { dataset: 'febrl4', metrics, result, seconds }
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

export function evaluateFebrlDedupe(dir: string, file: 'febrl1.csv' | 'febrl2.csv'): Evaluation {
  const t = readCsv(path.join(dir, file))
  return evaluateDedupe(file.replace('.csv', ''), toRecords(t, FEBRL_FIELDS), t.rows.map((r) => febrlPerson(r.rec_id!)), fieldsOf(FEBRL_FIELDS))
}

/** Row i of the social-care file is the same child as row i of the education file. */
export function evaluateFamilyContext(dir: string): Evaluation {
  const a = readCsv(path.join(dir, 'family_context_csc.csv'))
  const b = readCsv(path.join(dir, 'family_context_education.csv'))
  const t0 = performance.now()
  const result = link(toRecords(a, FAMILY_CONTEXT_FIELDS), toRecords(b, FAMILY_CONTEXT_FIELDS), fieldsOf(FAMILY_CONTEXT_FIELDS))
  const seconds = (performance.now() - t0) / 1000
  const truth = new Set(a.rows.map((_, i) => `${i}|${i}`).filter((_, i) => i < b.rows.length))
  const metrics = linkPairMetrics(
    links(result).map((p) => [p.a, p.b] as const),
    truth,
  )
  return { dataset: 'family_context', metrics, result, seconds }
}
