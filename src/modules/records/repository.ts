// Agency records (issue 4, "one child, one picture"): each agency's own record of a child, loaded by CSV import
// and by the API, linked to the partnership's child by the matcher (src/modules/linkage), with a human review
// queue between the thresholds, and audited, reversible merge and unmerge. Entries from other agencies arrive the
// same two ways and point at the agency record they came from, so they follow it on a merge and an unmerge.
//
// Matching: candidates are blocked in SQL (blockCandidates: the partnership's children sharing a date of birth near
// the record's — exact, a day either side, day and month swapped —, an NHS number or UPN equal to the record's or one
// edit away, or a family name that sounds the same and the same year of birth, or the same day a year either side); the matcher also gets a fixed
// sample of the partnership's other children, only so that it can estimate how often fields agree by chance (its u
// probabilities) — a pair is only ever proposed with a blocked candidate.
// At or above DEFAULTS.threshold → linked; at or above reviewThreshold → a child of its own plus a place in the
// review queue; below → a child of its own. A pair a reviewer called "not the same child" is never proposed again,
// and neither is the child a record was unmerged from — until a reviewer withdraws that decision (withdraw), which
// puts the pair back in the review queue.
import { createHash, randomUUID } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { AuditActor } from '../../data/audit.ts'
import { auditedTransaction, FieldRefusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import type { DB, MatchState } from '../../data/schema.ts'
import { DEFAULTS, FIELDS, compareRecords, dedupe, explain, link, score, startingM, type FieldName, type InputRecord, type Model } from '../linkage/matcher.ts'
import { signalsFollowEntries, type MovedSignal } from '../signals/routing.ts'
import { lockChildren, lockFollowingMerges } from '../../data/repositories/children.ts'
import { checkEntry, checkRecord, CsvFileError, ENTRY_COLUMNS, ENTRY_REQUIRED, parseCsv, RECORD_COLUMNS, RECORD_REQUIRED, type EntryInput, type RecordInput } from './validate.ts'

type Trx = Transaction<DB>

/** Who an import acts for: the agency whose records these are, and the membership (none from the command line). */
export interface ImportScope {
  partnershipId: string
  agencyId: string
  membershipId: string | null
  teamId: string | null
}

export const MATCH_FIELDS: FieldName[] = ['given_name', 'family_name', 'dob', 'sex', 'postcode', 'address', 'nhs_number', 'upn']
/** Children sampled (beyond the blocked candidates) so the matcher can estimate chance agreement. */
const REFERENCE_SAMPLE = 1000
/** Of those, how many are paired with the whole population to estimate u (all pairs up to ~300k). */
const REFERENCE_SAMPLE_A = 300
/** Rows per committed batch: a failure part-way leaves whole batches, and the run resumes after the last. */
export const DEFAULT_CHUNK = 500
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface StoredExplanation {
  candidateChildId: string
  /** the version of the estimated matcher model whose m was used (partnership_setting MATCHER_MODEL_KEY), or null for the fixed starting m */
  modelVersion?: number | null
  prior: number
  total: number
  probability: number
  fields: { field: string; level: string; m: number | null; u: number | null; log2BayesFactor: number }[]
}

export interface RecordOutcome {
  recordId: string
  sourceRef: string
  created: boolean
  childId: string
  state: MatchState
  probability: number | null
  candidateChildId: string | null
  explanation: StoredExplanation | null
  /** the child the record left, when an update linked it to another (its entries moved with it) */
  fromChildId?: string | null
}

export interface Rejection {
  row: number
  reason: string
}

export interface ImportResult {
  runId: string
  kind: 'records' | 'entries'
  status: 'rejected' | 'finished'
  rowsTotal: number
  rowsDone: number
  resumedFrom: number
  rejections: Rejection[]
  counts: Record<string, number>
}

export interface ImportOptions {
  /** Kept with the run (`import_run.file_name`) so the import can be found again by it: up to FILE_NAME_MAX. */
  fileName?: string | null
  chunkSize?: number
  onProgress?: (done: number, total: number) => void
}

/**
 * The longest file name kept with an import, in characters (UTF-16 code units, as `String.length` counts them). One
 * longer is refused, never cut: a user finds the import again by the name they gave, and a name silently shortened is
 * one they never typed. The one rule for every way in: the page (a name typed beside the pasted file) and the command
 * line (the file's own name, which Linux allows up to 255 bytes).
 */
export const FILE_NAME_MAX = 200

/**
 * Why this file name cannot be kept with an import (null when it can): a FieldRefusedError on 'fileName' whose message
 * states the rule; each interface adds its own remedy (the page: shorten it or leave it blank; the command line:
 * rename the file). `importCsv` throws it before anything is written; the page also asks it first, so that the
 * name's problem is listed with the form's others.
 */
export function fileNameRefusal(fileName: string | null | undefined): FieldRefusedError | null {
  if (!fileName || fileName.length <= FILE_NAME_MAX) return null
  return new FieldRefusedError(`The file name must be ${FILE_NAME_MAX} characters or fewer (it has ${fileName.length})`, 'fileName')
}

/** Rejections written per statement (four parameters each, well inside PostgreSQL's 65,535). */
const REJECTIONS_PER_STATEMENT = 5000

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

// ---------- matching and moving ----------

async function childRecords(trx: Kysely<DB>, partnershipId: string, ids: string[]): Promise<Map<string, InputRecord>> {
  if (!ids.length) return new Map()
  const rows = await trx
    .selectFrom('child as c')
    .leftJoin('child_address as a', (j) => j.onRef('a.child_id', '=', 'c.id').on('a.partnership_id', '=', partnershipId).on('a.to_date', 'is', null).on('a.confidential', '=', false))
    .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.sex', 'c.nhs_number', 'c.upn', 'a.postcode', 'a.line1', 'a.line2', 'a.town'])
    .where('c.partnership_id', '=', partnershipId)
    .where('c.id', 'in', ids)
    // a child a merge left empty is no candidate (nor part of the sample): its record is on the child it went to
    .where('c.merged_into_child_id', 'is', null)
    .execute()
  const out = new Map<string, InputRecord>()
  for (const r of rows) {
    if (out.has(r.id)) continue
    out.set(r.id, {
      given_name: r.given_name,
      family_name: r.family_name,
      dob: r.date_of_birth,
      sex: r.sex === 'female' || r.sex === 'male' ? r.sex : null,
      postcode: r.postcode,
      address: r.line1 ? [r.line1, r.line2, r.town].filter(Boolean).join(' ') : null,
      nhs_number: r.nhs_number,
      upn: r.upn,
    })
  }
  return out
}

function asInput(r: RecordInput): InputRecord {
  return { given_name: r.givenName, family_name: r.familyName, dob: r.dateOfBirth, sex: r.sex === 'female' || r.sex === 'male' ? r.sex : null, postcode: r.postcode, address: r.address, nhs_number: r.nhsNumber, upn: r.upn }
}

interface MatchRequest {
  input: RecordInput
  /** an existing record being matched again: its id and the child it is on now */
  recordId: string | null
  currentChildId: string | null
}

/**
 * Twins share a surname, a date of birth, often a sex and an address: a pair whose first names disagree outright
 * is never linked automatically, however strong the rest — a person decides (the review queue). Fixed here, before
 * any evaluation, like the thresholds.
 */
function needsAPerson(match: MatchFound): boolean {
  return match.explanation.fields.some((f) => f.field === 'given_name' && f.level === 'else')
}

interface MatchFound {
  childId: string
  probability: number
  explanation: StoredExplanation
}

/**
 * The model the batch is scored with. The matcher learns u (how often a field agrees by chance) from random pairs
 * and m by EM over candidate pairs; a batch of a few records (or one, from the API) is far too small for either,
 * so u comes from a reference linkage of a fixed sample of the partnership's children against the population,
 * m is the matcher's own documented starting m (most weight on exact, a little on else), and the prior is one
 * match among the population (each record is one child, or none).
 */
function referenceModel(population: InputRecord[], estimated: EstimatedModel | null): Model {
  const sample = population.slice(0, Math.min(population.length, REFERENCE_SAMPLE_A))
  const reference = link(sample, population, MATCH_FIELDS, { reviewThreshold: 1 })
  const lambda = 1 / Math.max(2, population.length)
  return { ...reference.model, m: estimated && usable(estimated) ? estimated.mUsed : startingM(MATCH_FIELDS.map((f) => FIELDS[f].levels.length)), lambda, priorWeight: Math.log2(lambda / (1 - lambda)) }
}

// ---------- the estimated matcher model ----------

/** The partnership_setting key of the current estimate; each version is also kept under `${key}@v<n>`. */
export const MATCHER_MODEL_KEY = 'records.matcher_model'
/** Fixed before any evaluation, never tuned per dataset: the estimate's m is used only when it rests on at least this many agency records… */
export const MATCHER_MIN_RECORDS = 200
/** …and at least this many expected matches (pairs of records of one child) found by EM. */
export const MATCHER_MIN_MATCHES = 50
/**
 * Pseudo-matches drawn from the starting m when the estimate is used (a Dirichlet prior): a comparison level the
 * partnership's records never showed among matches (a transposed date, say) keeps some weight instead of none.
 */
export const MATCHER_PRIOR_MATCHES = 20

export interface EstimatedModel {
  version: number
  fields: FieldName[]
  /** EM's m, as estimated */
  m: number[][]
  /** the m the matcher uses: EM's, with MATCHER_PRIOR_MATCHES pseudo-matches from the starting m */
  mUsed: number[][]
  u: number[][]
  lambda: number
  records: number
  candidatePairs: number
  expectedMatches: number
  emIterations: number
  estimatedAt: string
  estimatedBy: string | null
}

const usable = (e: EstimatedModel) => e.records >= MATCHER_MIN_RECORDS && e.expectedMatches >= MATCHER_MIN_MATCHES && e.fields.join() === MATCH_FIELDS.join()

export async function currentMatcherModel(trx: Kysely<DB>, partnershipId: string): Promise<EstimatedModel | null> {
  const row = await trx.selectFrom('partnership_setting').select('value').where('partnership_id', '=', partnershipId).where('key', '=', MATCHER_MODEL_KEY).executeTakeFirst()
  const v = row?.value as EstimatedModel | undefined
  return v && Array.isArray(v.mUsed) && typeof v.version === 'number' ? v : null
}

/**
 * EM (the linkage module's dedupe, no labels) over the partnership's agency records — not the children, which are
 * copies of records — stored as a new version. The thresholds stay fixed; only m, u and lambda are estimated.
 */
async function estimateMatcherModel(trx: Trx, partnershipId: string, by: string | null, now: Date): Promise<EstimatedModel> {
  const rows = await trx.selectFrom('agency_record').select(['given_name', 'family_name', 'date_of_birth', 'sex', 'postcode', 'address', 'nhs_number', 'upn']).where('partnership_id', '=', partnershipId).orderBy('id').execute()
  const records: InputRecord[] = rows.map((r) => ({ given_name: r.given_name, family_name: r.family_name, dob: r.date_of_birth, sex: r.sex === 'female' || r.sex === 'male' ? r.sex : null, postcode: r.postcode, address: r.address, nhs_number: r.nhs_number, upn: r.upn }))
  const previous = await trx.selectFrom('partnership_setting').select(['row_version']).where('partnership_id', '=', partnershipId).where('key', '=', MATCHER_MODEL_KEY).forUpdate().executeTakeFirst()
  const version = (previous?.row_version ?? 0) + 1
  const start = startingM(MATCH_FIELDS.map((f) => FIELDS[f].levels.length))
  const base = { version, fields: MATCH_FIELDS, records: records.length, estimatedAt: now.toISOString(), estimatedBy: by }
  let model: EstimatedModel
  if (records.length < 2) {
    model = { ...base, m: start, mUsed: start, u: [], lambda: 0, candidatePairs: 0, expectedMatches: 0, emIterations: 0 }
  } else {
    const result = dedupe(records, MATCH_FIELDS, { reviewThreshold: 1 })
    const expectedMatches = result.stats.lambdaCandidates * result.stats.candidatePairs
    const k = MATCHER_PRIOR_MATCHES
    const mUsed = result.model.m.map((row, f) => row.map((x, l) => (expectedMatches * x + k * start[f]![l]!) / (expectedMatches + k)))
    model = { ...base, m: result.model.m, mUsed, u: result.model.u, lambda: result.model.lambda, candidatePairs: result.stats.candidatePairs, expectedMatches, emIterations: result.stats.emIterations }
  }
  const value = JSON.stringify(model)
  if (previous) await trx.updateTable('partnership_setting').set({ value, updated_at: now, updated_by: by, row_version: version }).where('partnership_id', '=', partnershipId).where('key', '=', MATCHER_MODEL_KEY).execute()
  else await trx.insertInto('partnership_setting').values({ partnership_id: partnershipId, key: MATCHER_MODEL_KEY, value, updated_at: now, updated_by: by, row_version: 1 }).execute()
  await trx.insertInto('partnership_setting').values({ partnership_id: partnershipId, key: `${MATCHER_MODEL_KEY}@v${version}`, value, updated_at: now, updated_by: by, row_version: 1 }).execute()
  return model
}

// ---------- blocking ----------

const ISO_DAY = 86_400_000

/** YYYY-MM-DD of a UTC date, or null when it is not a real date (31 April, 29 February in another year). */
function isoDate(y: number, m: number, d: number): string | null {
  const t = new Date(Date.UTC(y, m - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t.toISOString().slice(0, 10) : null
}

const shiftDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * ISO_DAY).toISOString().slice(0, 10)

/** The dates of birth a record's date may be a slip of: itself, a day either side, day and month swapped. */
export function nearbyBirthDates(iso: string): string[] {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
  const swapped = d <= 12 && d !== m ? isoDate(y, d, m) : null
  return [...new Set([iso, shiftDays(iso, -1), shiftDays(iso, 1), ...(swapped ? [swapped] : [])])]
}

/** The same date in the year before and after (a one-digit slip in the year), where it exists. */
function neighbouringYears(iso: string): string[] {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
  return [isoDate(y - 1, m, d), isoDate(y + 1, m, d)].filter((x): x is string => x !== null)
}

const DIGITS = '0123456789'
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/**
 * Every identifier one substitution (within the character's class: digit for digit, letter for letter) or one
 * adjacent transposition away — NHS numbers and UPNs have a fixed length, so an insertion or a deletion is refused
 * at validation and not looked for.
 */
export function oneEditVariants(id: string): string[] {
  const out = new Set<string>()
  for (let i = 0; i < id.length; i++) {
    const c = id[i]!
    const alphabet = DIGITS.includes(c) ? DIGITS : LETTERS.includes(c) ? LETTERS : ''
    for (const x of alphabet) if (x !== c) out.add(id.slice(0, i) + x + id.slice(i + 1))
    if (i + 1 < id.length && id[i + 1] !== c) out.add(id.slice(0, i) + id[i + 1] + c + id.slice(i + 2))
  }
  return [...out]
}

/** Words of a name (hyphens, spaces and other marks break words; apostrophes do not). */
const nameWords = (s: string) => s.toLowerCase().replace(/['’]/g, '').split(/[^\p{L}]+/u).filter(Boolean)

/** Appends one row to columns (arrays that go to SQL as unnest's arguments). */
function push<T extends Record<string, unknown[]>>(columns: T, row: { [K in keyof T]: T[K][number] }): void {
  for (const [k, column] of Object.entries(columns)) column.push(row[k as keyof T])
}

/**
 * Candidate children per request, by OR-ed blocking rules, all scoped to the partnership and each served by an index:
 *  1. date of birth: the record's, a day either side, or day and month swapped (child_dob);
 *  2. NHS number: the record's (child_nhs);
 *  3. UPN: the record's (child_upn);
 *  4. a family name that sounds the same (Soundex of its first word, ta_block_sx) as any word of the record's family
 *     name (hyphenated or double-barrelled) or the first word of its given name (names the wrong way round), and a
 *     date of birth in the same year or on the same day a year either side (child_block_family);
 *  5. NHS number or UPN one edit away (child_nhs, child_upn) — looked up unless the child that shares the record's
 *     own identifier is also found by rule 1 or 4 (its strong candidate is there already; ~100–170 lookups per
 *     identifier are the bulk of the blocking's cost). A typo can land on another child's number (UPNs run in
 *     sequence), so an uncorroborated exact hit does not stop the search.
 * Each returns (request, child); a child found by several rules is one candidate.
 */
export async function blockCandidates(trx: Trx, partnershipId: string, batch: MatchRequest[]): Promise<Set<string>[]> {
  const dob = { r: [] as number[], d: [] as string[] }
  const ids = { r: [] as number[], nhs: [] as (string | null)[], upn: [] as (string | null)[] }
  const named = { r: [] as number[], w: [] as string[], from: [] as string[], to: [] as string[] }
  batch.forEach(({ input }, r) => {
    for (const d of nearbyBirthDates(input.dateOfBirth)) push(dob, { r, d })
    if (input.nhsNumber || input.upn) push(ids, { r, nhs: input.nhsNumber, upn: input.upn })
    const words = [...new Set([...nameWords(input.familyName), ...nameWords(input.givenName).slice(0, 1)])]
    const year = Number(input.dateOfBirth.slice(0, 4))
    const ranges: [string, string][] = [[`${String(year).padStart(4, '0')}-01-01`, `${String(year + 1).padStart(4, '0')}-01-01`], ...neighbouringYears(input.dateOfBirth).map((d): [string, string] => [d, shiftDays(d, 1)])]
    for (const w of words) for (const [from, to] of ranges) push(named, { r, w, from, to })
  })
  const first = await sql<{ r: number; child_id: string; rule: 'near' | 'nhs' | 'upn' }>`
    select k.r, c.id as child_id, 'near' as rule
      from unnest(${dob.r}::int[], ${dob.d}::date[]) as k(r, d)
      join child c on c.partnership_id = ${partnershipId} and c.date_of_birth = k.d
    union
    select k.r, c.id, 'nhs'
      from unnest(${ids.r}::int[], ${ids.nhs}::text[]) as k(r, v)
      join child c on c.partnership_id = ${partnershipId} and c.nhs_number = k.v
    union
    select k.r, c.id, 'upn'
      from unnest(${ids.r}::int[], ${ids.upn}::text[]) as k(r, v)
      join child c on c.partnership_id = ${partnershipId} and c.upn = k.v
    union
    select k.r, c.id, 'near'
      from (select r, ta_block_sx(w) as sx, f, t from unnest(${named.r}::int[], ${named.w}::text[], ${named.from}::date[], ${named.to}::date[]) as u(r, w, f, t)) as k
      join child c on c.partnership_id = ${partnershipId} and ta_block_sx(c.family_name) = k.sx and c.date_of_birth >= k.f and c.date_of_birth < k.t
     where k.sx <> ''`.execute(trx)
  const out = batch.map(() => new Set<string>())
  const near = batch.map(() => new Set<string>())
  const exact = { nhs: batch.map(() => [] as string[]), upn: batch.map(() => [] as string[]) }
  for (const row of first.rows) {
    out[row.r]!.add(row.child_id)
    if (row.rule === 'near') near[row.r]!.add(row.child_id)
    else exact[row.rule][row.r]!.push(row.child_id)
  }
  const corroborated = (kind: 'nhs' | 'upn', r: number) => exact[kind][r]!.some((id) => near[r]!.has(id))
  const nhs = { r: [] as number[], v: [] as string[] }
  const upn = { r: [] as number[], v: [] as string[] }
  batch.forEach(({ input }, r) => {
    if (input.nhsNumber && !corroborated('nhs', r)) for (const v of oneEditVariants(input.nhsNumber)) push(nhs, { r, v })
    if (input.upn && !corroborated('upn', r)) for (const v of oneEditVariants(input.upn)) push(upn, { r, v })
  })
  if (nhs.r.length || upn.r.length) {
    const variants = await sql<{ r: number; child_id: string }>`
      select k.r, c.id as child_id
        from unnest(${nhs.r}::int[], ${nhs.v}::text[]) as k(r, v)
        join child c on c.partnership_id = ${partnershipId} and c.nhs_number = k.v
      union
      select k.r, c.id
        from unnest(${upn.r}::int[], ${upn.v}::text[]) as k(r, v)
        join child c on c.partnership_id = ${partnershipId} and c.upn = k.v`.execute(trx)
    for (const row of variants.rows) out[row.r]!.add(row.child_id)
  }
  return out
}

/**
 * The child that stands for each child now (unlocked): itself, or — when merges have emptied it — the child at the end
 * of its merged_into_child_id chain. A "not the same child" decision names the child as it was when decided; a child
 * later emptied into another is that other child now, and the decision holds against it too (and stops holding
 * against it if an unmerge brings the child back).
 */
async function standingFor(trx: Kysely<DB>, partnershipId: string, childIds: readonly string[]): Promise<Map<string, string>> {
  const into = new Map<string, string | null>()
  for (let want = [...new Set(childIds)]; want.length; ) {
    const rows = await trx.selectFrom('child').select(['id', 'merged_into_child_id']).where('partnership_id', '=', partnershipId).where('id', 'in', want).execute()
    for (const r of rows) into.set(r.id, r.merged_into_child_id)
    want = [...new Set(rows.flatMap((r) => (r.merged_into_child_id && !into.has(r.merged_into_child_id) ? [r.merged_into_child_id] : [])))]
  }
  const out = new Map<string, string>()
  for (const id of childIds) {
    let at = id
    for (const seen = new Set<string>(); into.get(at) && !seen.has(at); ) {
      seen.add(at)
      at = into.get(at)!
    }
    out.set(id, at)
  }
  return out
}

/** The children a record was decided not to be (an unmerge, or a reviewer's "not the same child"), as they stand now. */
async function notSameChildren(trx: Kysely<DB>, partnershipId: string, recordIds: readonly string[]): Promise<Set<string>> {
  if (!recordIds.length) return new Set()
  const rows = await trx.selectFrom('not_same_child').select(['agency_record_id', 'child_id']).where('partnership_id', '=', partnershipId).where('agency_record_id', 'in', [...recordIds]).execute()
  const now = await standingFor(trx, partnershipId, rows.map((r) => r.child_id))
  return new Set(rows.flatMap((r) => [`${r.agency_record_id}|${r.child_id}`, `${r.agency_record_id}|${now.get(r.child_id)}`]))
}

/** The best candidate child per request (or null), never a remembered "not the same child" pair. */
async function matchBatch(trx: Trx, partnershipId: string, batch: MatchRequest[]): Promise<(MatchFound | null)[]> {
  if (!batch.length) return []
  const blocked = await blockCandidates(trx, partnershipId, batch)
  const candidateIds = [...new Set(blocked.flatMap((s) => [...s]))]
  if (!candidateIds.length) return batch.map(() => null)
  const sample = await trx.selectFrom('child').select('id').where('partnership_id', '=', partnershipId).orderBy('id').limit(REFERENCE_SAMPLE).execute()
  const recs = await childRecords(trx, partnershipId, [...new Set([...candidateIds, ...sample.map((s) => s.id)])])
  const estimated = await currentMatcherModel(trx, partnershipId)
  const model = referenceModel([...recs.values()], estimated)
  const modelVersion = estimated && usable(estimated) ? estimated.version : null
  const recordIds = batch.flatMap((b) => (b.recordId ? [b.recordId] : []))
  const refused = await notSameChildren(trx, partnershipId, recordIds)
  return batch.map((req, r) => {
    const a = asInput(req.input)
    let best: MatchFound | null = null
    let bestWeight = -Infinity
    for (const childId of blocked[r]!) {
      const child = recs.get(childId)
      if (!child || childId === req.currentChildId || (req.recordId && refused.has(`${req.recordId}|${childId}`))) continue
      const levels = compareRecords(a, child, MATCH_FIELDS)
      const { weight, probability } = score(model, levels)
      if (probability < DEFAULTS.reviewThreshold || weight <= bestWeight || (weight === bestWeight && best && childId > best.childId)) continue
      bestWeight = weight
      best = { childId, probability, explanation: explanationOf(model, levels, childId, modelVersion) }
    }
    return best
  })
}

function explanationOf(model: Model, levels: ReturnType<typeof compareRecords>, childId: string, modelVersion: number | null): StoredExplanation {
  const e = explain({ levels, model })
  return { candidateChildId: childId, modelVersion, prior: e.prior, total: e.total, probability: e.probability, fields: e.fields.map((f) => ({ field: f.field, level: f.level, m: f.m, u: f.u, log2BayesFactor: f.log2BayesFactor })) }
}

/** One pair scored as matchBatch scores it (the same reference model), whatever its probability: for a reviewer. */
export async function matchPair(trx: Kysely<DB>, partnershipId: string, input: RecordInput, childId: string): Promise<MatchFound | null> {
  const sample = await trx.selectFrom('child').select('id').where('partnership_id', '=', partnershipId).orderBy('id').limit(REFERENCE_SAMPLE).execute()
  const recs = await childRecords(trx, partnershipId, [...new Set([childId, ...sample.map((s) => s.id)])])
  const child = recs.get(childId)
  if (!child) return null
  const estimated = await currentMatcherModel(trx, partnershipId)
  const model = referenceModel([...recs.values()], estimated)
  const levels = compareRecords(asInput(input), child, MATCH_FIELDS)
  const { probability } = score(model, levels)
  return { childId, probability, explanation: explanationOf(model, levels, childId, estimated && usable(estimated) ? estimated.version : null) }
}

async function newChildFrom(trx: Trx, scope: ImportScope, r: RecordInput, now: Date, provisional: boolean): Promise<string> {
  const id = randomUUID()
  await trx
    .insertInto('child')
    .values({ id, partnership_id: scope.partnershipId, given_name: r.givenName, family_name: r.familyName, date_of_birth: r.dateOfBirth, expected_date_of_birth: null, sex: r.sex, nhs_number: r.nhsNumber, upn: r.upn, ethnicity: null, first_language: null, disability: null, provisional, created_at: now })
    .execute()
  if (r.address || r.postcode) {
    await trx
      .insertInto('child_address')
      .values({ id: randomUUID(), partnership_id: scope.partnershipId, child_id: id, line1: r.address ?? '', line2: null, town: null, postcode: r.postcode, from_date: now.toISOString().slice(0, 10), to_date: null, confidential_reason: null, visible_to_roles: null })
      .execute()
  }
  return id
}

const relationshipSource = (recordId: string) => `agency record ${recordId}`

/**
 * Moves exactly one record — its entries (by agency_record_id), their corrections and disputes, its agency_record
 * relationship, and the risk signals that name only entries now on the other child — to a child. Returns the entries
 * moved (a moved signal's own entry among them) and the signals, with whom each newly reached.
 */
async function moveRecord(trx: Trx, partnershipId: string, recordId: string, fromChildId: string, toChildId: string, now: Date): Promise<{ entries: string[]; signals: MovedSignal[] }> {
  const moved = (await trx.updateTable('entry').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('agency_record_id', '=', recordId).where('child_id', '=', fromChildId).returning('id').execute()).map((m) => m.id)
  // then every entry that corrects one moved (a dispute's correction, a correction of that), layer by layer: a
  // correction goes where the entry it corrects went, or it would stay behind as the other child's entry (the entry
  // trigger admits this move only once the corrected entry is on the new child)
  for (let layer = moved; layer.length; ) {
    layer = (await trx.updateTable('entry').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('child_id', '=', fromChildId).where('supersedes_entry_id', 'in', layer).returning('id').execute()).map((m) => m.id)
    moved.push(...layer)
  }
  // a dispute recorded beside a moved entry carries the entry's child (the child's SAR and retention find it by that
  // child): it goes where its entry went, or one child's retention would clear another's dispute and its own would not
  if (moved.length) await trx.updateTable('entry_dispute').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('entry_id', 'in', moved).execute()
  await trx.updateTable('relationship').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('type', '=', 'agency_record').where('source', '=', relationshipSource(recordId)).where('child_id', '=', fromChildId).execute()
  await trx.updateTable('agency_record').set({ child_id: toChildId }).where('partnership_id', '=', partnershipId).where('id', '=', recordId).execute()
  // the entries keep when they were recorded, so the signal evaluation would not look at this child again until its
  // next new entry: the next run judges them here as newly recorded (two strands seen together for the first time)
  if (moved.length) {
    await trx
      .insertInto('signal_recheck')
      .values({ partnership_id: partnershipId, child_id: toChildId, entry_ids: moved, queued_at: now })
      .onConflict((oc) => oc.columns(['partnership_id', 'child_id']).doUpdateSet({ entry_ids: sql<string[]>`signal_recheck.entry_ids || excluded.entry_ids`, queued_at: now }))
      .execute()
  }
  // a signal naming the entries goes where they went (when all of them are there), or the child they left — after a
  // merge, a child that no longer exists as such — keeps it, out of sight of those who work with the child
  const signals = await signalsFollowEntries(trx, partnershipId, fromChildId, toChildId, moved, now)
  return { entries: [...moved, ...signals.flatMap((s) => s.entryIds)], signals }
}

/** A child a record has left, with no other record and no entry on it, is marked as merged into the child it went to. */
async function markMergedWhenEmpty(trx: Trx, partnershipId: string, childId: string, into: string): Promise<void> {
  await trx
    .updateTable('child as c')
    .set({ merged_into_child_id: into })
    .where('c.partnership_id', '=', partnershipId)
    .where('c.id', '=', childId)
    .where(({ exists, selectFrom, not }) => not(exists(selectFrom('agency_record as o').select('o.id').where('o.partnership_id', '=', partnershipId).whereRef('o.child_id', '=', 'c.id'))))
    .where(({ exists, selectFrom, not }) => not(exists(selectFrom('entry as e').select('e.id').where('e.partnership_id', '=', partnershipId).whereRef('e.child_id', '=', 'c.id'))))
    .execute()
}

/** What a merge's or an unmerge's audit row says moved: the entries, and the signals with whom each newly reached. */
const movedDetails = (m: { entries: string[]; signals: MovedSignal[] }) => {
  const routed = m.signals.filter((s) => s.told.length)
  return { entries: m.entries, ...(m.signals.length ? { signals: m.signals.map((s) => s.id) } : {}), ...(routed.length ? { signalsRoutedTo: Object.fromEntries(routed.map((s) => [s.id, s.told])) } : {}) }
}

async function decide(trx: Trx, partnershipId: string, recordId: string, kind: DB['link_decision']['kind'], from: string | null, to: string | null, probability: number | null, reason: string, by: string | null, now: Date): Promise<void> {
  await trx.insertInto('link_decision').values({ id: randomUUID(), partnership_id: partnershipId, agency_record_id: recordId, kind, from_child_id: from, to_child_id: to, probability, reason, decided_by_membership_id: by, decided_at: now }).execute()
}

const pct = (p: number) => `${(p * 100).toFixed(1)}%`

/** Creates or updates the agency's records and links each to a child. */
async function upsertRecords(trx: Trx, scope: ImportScope, inputs: RecordInput[], now: Date): Promise<RecordOutcome[]> {
  const P = scope.partnershipId
  const existing = inputs.length
    ? await trx.selectFrom('agency_record').selectAll().where('partnership_id', '=', P).where('agency_id', '=', scope.agencyId).where('source_ref', 'in', inputs.map((i) => i.sourceRef)).orderBy('id').forUpdate().execute()
    : []
  const bySource = new Map(existing.map((e) => [e.source_ref, e]))
  const outcomes: (RecordOutcome | null)[] = inputs.map(() => null)
  const toMatch: { i: number; req: MatchRequest }[] = []
  for (const [i, input] of inputs.entries()) {
    const old = bySource.get(input.sourceRef)
    if (old) {
      await trx
        .updateTable('agency_record')
        .set({ given_name: input.givenName, family_name: input.familyName, date_of_birth: input.dateOfBirth, sex: input.sex, nhs_number: input.nhsNumber, upn: input.upn, postcode: input.postcode, address: input.address, updated_at: now })
        .where('id', '=', old.id)
        .execute()
      if (old.match_state === 'matched' || old.match_state === 'merged_by_reviewer') {
        // linked records keep their child: only a reviewer's unmerge separates them
        outcomes[i] = { recordId: old.id, sourceRef: old.source_ref, created: false, childId: old.child_id, state: old.match_state, probability: old.match_probability, candidateChildId: null, explanation: (old.match_explanation as StoredExplanation | null) ?? null }
        continue
      }
    }
    toMatch.push({ i, req: { input, recordId: old?.id ?? null, currentChildId: old?.child_id ?? null } })
  }
  const found = await matchBatch(trx, P, toMatch.map((t) => t.req))
  const stateOf = (match: MatchFound | null): MatchState => (!match ? 'new_child' : match.probability >= DEFAULTS.threshold && !needsAPerson(match) ? 'matched' : match.probability >= DEFAULTS.reviewThreshold ? 'review' : 'new_child')
  // the children a link touches — the one each record goes to, and the one a record already held leaves — are taken
  // as a merge and a signal evaluation take them, all at once and in id order, before anything moves: neither sees a
  // child half moved, and none of the three waits on another crosswise
  const linkTo = await lockFollowingMerges(
    trx,
    P,
    toMatch.flatMap(({ req }, k) => (stateOf(found[k] ?? null) === 'matched' ? [found[k]!.childId, ...(req.currentChildId ? [req.currentChildId] : [])] : [])),
  )
  for (const [k, { i, req }] of toMatch.entries()) {
    const match = found[k] ?? null
    const input = req.input
    let state = stateOf(match)
    // the child matched may have been emptied by a merge since it was matched: the record goes to the child that
    // one went into (never onto a child that neither the matcher nor the search offers), or to a child of its own
    const target = state === 'matched' ? (linkTo.get(match!.childId) ?? null) : null
    if (state === 'matched' && !target) state = 'new_child'
    const explanation = match ? JSON.stringify(match.explanation) : null
    const probability = match?.probability ?? null
    if (!req.recordId) {
      const recordId = randomUUID()
      const childId = state === 'matched' ? target! : await newChildFrom(trx, scope, input, now, state === 'review')
      const inserted = await trx
        .insertInto('agency_record')
        .values({ id: recordId, partnership_id: P, agency_id: scope.agencyId, source_ref: input.sourceRef, given_name: input.givenName, family_name: input.familyName, date_of_birth: input.dateOfBirth, sex: input.sex, nhs_number: input.nhsNumber, upn: input.upn, postcode: input.postcode, address: input.address, child_id: childId, match_state: state, match_probability: probability, match_explanation: explanation, review_child_id: state === 'review' ? match!.childId : null, created_at: now, updated_at: now })
        // another import or request creating the same record at this moment has taken its reference (and committed):
        // refused with the row named, nothing of this transaction kept — sent again, it is an update of that record
        .onConflict((oc) => oc.columns(['partnership_id', 'agency_id', 'source_ref']).doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!inserted) throw new RefusedError(`source_ref ${input.sourceRef}: another import or request created this record at the same moment. Nothing was imported: send it again`)
      await trx
        .insertInto('relationship')
        .values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'agency_record', holder_agency_id: scope.agencyId, holder_team_id: null, holder_membership_id: null, starts_at: now, ends_at: null, source: relationshipSource(recordId), reason: `The agency holds its own record of the child (${input.sourceRef})`, created_by_membership_id: scope.membershipId, created_at: now })
        .execute()
      if (state === 'matched') await decide(trx, P, recordId, 'auto', null, childId, probability, `Linked by the matcher (match probability ${pct(probability!)})`, scope.membershipId, now)
      else if (state === 'review') await decide(trx, P, recordId, 'review', null, match!.childId, probability, `Possible match (probability ${pct(probability!)}): a new child until a reviewer decides`, scope.membershipId, now)
      else await decide(trx, P, recordId, 'new_child', null, childId, probability, match ? `No likely match (best ${pct(probability!)}): a new child` : 'No candidate child: a new child', scope.membershipId, now)
      outcomes[i] = { recordId, sourceRef: input.sourceRef, created: true, childId, state, probability, candidateChildId: state === 'review' ? match!.childId : null, explanation: match?.explanation ?? null }
    } else {
      // an unlinked record matched again with its new identifiers, on its own child until now
      const recordId = req.recordId
      const from = req.currentChildId!
      const old = bySource.get(input.sourceRef)!
      let childId = from
      if (state === 'matched' && target !== from) {
        await moveRecord(trx, P, recordId, from, target!, now)
        childId = target!
        // the child it leaves, when nothing else is on it, is marked as a merge marks it: neither the matcher nor the
        // search offers an empty copy of the record again, and a signal evaluation looks at the child it went into
        await markMergedWhenEmpty(trx, P, from, childId)
        await decide(trx, P, recordId, 'auto', from, childId, probability, `Linked by the matcher after an update (match probability ${pct(probability!)})`, scope.membershipId, now)
      } else if (state === 'review' && (old.match_state !== 'review' || old.review_child_id !== match!.childId)) {
        await decide(trx, P, recordId, 'review', null, match!.childId, probability, `Possible match after an update (probability ${pct(probability!)})`, scope.membershipId, now)
      }
      // its own child is provisional while the record waits for a reviewer (as on arrival: unless another agency record
      // is on it too), and a child of its own again once the update leaves no likely match — as a reviewer's decisions do
      if (state === 'new_child' && old.match_state === 'review') await trx.updateTable('child').set({ provisional: false }).where('partnership_id', '=', P).where('id', '=', from).execute()
      else if (state === 'review' && old.match_state === 'new_child') {
        const others = await trx.selectFrom('agency_record').select('id').where('partnership_id', '=', P).where('child_id', '=', from).where('id', '<>', recordId).limit(1).execute()
        if (!others.length) await trx.updateTable('child').set({ provisional: true }).where('partnership_id', '=', P).where('id', '=', from).execute()
      }
      await trx.updateTable('agency_record').set({ match_state: state, match_probability: probability, match_explanation: explanation, review_child_id: state === 'review' ? match!.childId : null }).where('id', '=', recordId).execute()
      outcomes[i] = { recordId, sourceRef: input.sourceRef, created: false, childId, state, probability, candidateChildId: state === 'review' ? match!.childId : null, explanation: match?.explanation ?? null, fromChildId: childId !== from ? from : null }
    }
  }
  return outcomes.map((o) => o!)
}

/**
 * What makes two entries of one agency record the same entry: every value a file gives but its visibility. An entry's
 * visibility changes after it lands (its agency narrows it, a seal): the same row in the next cumulative extract is
 * the entry already held, not a second copy at the file's wider visibility.
 */
const entryKey = (recordId: string, e: { occurredAt: Date; type: string; category: string | null; significance: string; summary: string }) =>
  JSON.stringify([recordId, e.occurredAt.getTime(), e.type, e.category ?? '', e.significance, e.summary])

/**
 * Writes entries for the agency's records. With skipHeld (a file), an entry the record already holds exactly — every
 * value the same, as when an agency's extract is cumulative and sends last week's rows again — is not added a second
 * time, nor one repeated within the file: it is counted in `held`.
 */
async function insertEntries(trx: Trx, scope: ImportScope, inputs: EntryInput[], now: Date, opts: { skipHeld: boolean } = { skipHeld: false }): Promise<{ made: { id: string; childId: string; agencyRecordId: string }[]; held: number }> {
  const P = scope.partnershipId
  // the records are held (shared, in id order) until the entries are in: a reviewer's merge or unmerge moving one of
  // them waits, or is waited for, so a new entry lands on the child its record is on, never the one it has just left
  const records = inputs.length
    ? await trx.selectFrom('agency_record').select(['id', 'source_ref', 'child_id']).where('partnership_id', '=', P).where('agency_id', '=', scope.agencyId).where('source_ref', 'in', [...new Set(inputs.map((i) => i.sourceRef))]).orderBy('id').forShare().execute()
    : []
  const bySource = new Map(records.map((r) => [r.source_ref, r]))
  const heldKeys = new Set(
    opts.skipHeld && records.length
      ? (
          await trx
            .selectFrom('entry')
            .select(['agency_record_id', 'occurred_at', 'type', 'category', 'significance', 'summary'])
            .where('partnership_id', '=', P)
            .where('agency_record_id', 'in', records.map((r) => r.id))
            .execute()
        ).map((x) => entryKey(x.agency_record_id!, { occurredAt: x.occurred_at, type: x.type, category: x.category, significance: x.significance, summary: x.summary }))
      : [],
  )
  const out: { id: string; childId: string; agencyRecordId: string }[] = []
  let held = 0
  for (const e of inputs) {
    const record = bySource.get(e.sourceRef)
    if (!record) throw new RefusedError(`No record with source_ref ${e.sourceRef} for this agency`)
    if (opts.skipHeld) {
      const key = entryKey(record.id, e)
      if (heldKeys.has(key)) {
        held++
        continue
      }
      heldKeys.add(key)
    }
    const id = randomUUID()
    await trx
      .insertInto('entry')
      .values({
        id,
        partnership_id: P,
        child_id: record.child_id,
        agency_record_id: record.id,
        type: e.type,
        category: e.category,
        occurred_at: e.occurredAt,
        occurred_time_known: e.occurredTimeKnown,
        recorded_at: now,
        author_membership_id: scope.membershipId,
        author_team_id: scope.teamId,
        source_agency_id: scope.agencyId,
        significance: e.significance,
        summary: e.summary,
        detail_type: null,
        detail_id: null,
        visibility: e.visibility,
        restricted_agency_ids: e.visibility === 'restricted' ? [scope.agencyId] : [],
        addressed_to_membership_id: null,
        supersedes_entry_id: null,
      })
      .execute()
    out.push({ id, childId: record.child_id, agencyRecordId: record.id })
  }
  return { made: out, held }
}

// ---------- import ----------

/** The importer for one agency: CSV files (records or entries) and single rows from the API. */
export function recordsImporter(ctx: Ctx, actor: AuditActor, scope: ImportScope) {
  const P = scope.partnershipId

  /** Validates every row; entries also need a record the agency holds. */
  async function validate(kind: 'records' | 'entries', text: string): Promise<{ rows: (RecordInput | EntryInput)[]; rejections: Rejection[] }> {
    const now = ctx.clock.now()
    let parsed
    try {
      parsed = kind === 'records' ? parseCsv(text, RECORD_COLUMNS, RECORD_REQUIRED) : parseCsv(text, ENTRY_COLUMNS, ENTRY_REQUIRED)
    } catch (err) {
      if (err instanceof CsvFileError) return { rows: [], rejections: [{ row: err.line, reason: err.message }] }
      throw err
    }
    const rows: (RecordInput | EntryInput)[] = []
    const rejections: Rejection[] = []
    const seen = new Map<string, number>()
    for (const { line, values } of parsed) {
      const checked = kind === 'records' ? checkRecord(values, now) : checkEntry(values, now, { sealedAllowed: scope.teamId !== null })
      const reasons = checked.ok ? [] : checked.problems.map((p) => `${p.field} ${p.reason}`)
      if (values['__extra']) reasons.push(`the row has ${values['__extra']} more value(s) than the header`)
      if (kind === 'records' && checked.ok) {
        const first = seen.get(checked.value.sourceRef)
        if (first !== undefined) reasons.push(`source_ref ${checked.value.sourceRef} appears again (first on line ${first})`)
        else seen.set(checked.value.sourceRef, line)
      }
      if (reasons.length) rejections.push({ row: line, reason: reasons.join('; ') })
      else if (checked.ok) rows.push(checked.value)
    }
    if (kind === 'entries') {
      const refs = [...new Set(rows.map((r) => r.sourceRef))]
      const known = new Set(
        // one array parameter, however many references the file holds (a list of them would pass the parameter limit)
        refs.length ? (await ctx.db.selectFrom('agency_record').select('source_ref').where('partnership_id', '=', P).where('agency_id', '=', scope.agencyId).where('source_ref', '=', sql<string>`any(${refs}::text[])`).execute()).map((r) => r.source_ref) : [],
      )
      parsed.forEach(({ line, values }) => {
        const ref = (values['source_ref'] ?? '').trim()
        if (ref && !known.has(ref) && !rejections.some((r) => r.row === line)) rejections.push({ row: line, reason: `source_ref ${ref}: this agency has no record with that reference (import the record first)` })
      })
      rejections.sort((a, b) => a.row - b.row)
    }
    return { rows, rejections }
  }

  return {
    /**
     * Imports a CSV file. Every row is checked first: if any is bad, nothing is imported — only the run and its
     * rejections (row-level reasons) are kept. A good file is written in batches (chunkSize rows; the page asks for
     * one, so that its import is all or nothing), each committed with its audit row; a run that stopped part-way
     * resumes after its last batch, and a finished file is refused. A file name over FILE_NAME_MAX is refused
     * (FieldRefusedError on 'fileName') before anything is read or written, save its own audit row (refused).
     */
    async importCsv(kind: 'records' | 'entries', text: string, opts: ImportOptions = {}): Promise<ImportResult> {
      const action = `${kind}.import`
      const nameRefused = fileNameRefusal(opts.fileName)
      if (nameRefused) {
        return auditedTransaction(ctx, actor, action, async () => {
          throw nameRefused
        })
      }
      const sha = sha256(text)
      const chunk = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK)
      const previous = await ctx.db.selectFrom('import_run').selectAll().where('partnership_id', '=', P).where('agency_id', '=', scope.agencyId).where('kind', '=', kind).where('file_sha256', '=', sha).executeTakeFirst()
      if (previous?.status === 'finished') {
        return auditedTransaction(ctx, actor, action, async () => {
          throw new RefusedError(`This file was already imported (finished ${previous.finished_at!.toISOString().slice(0, 16).replace('T', ' ')}, ${previous.rows_total} rows): nothing was imported again.`)
        })
      }
      const { rows, rejections } = await validate(kind, text)
      const total = rows.length + rejections.length
      if (rejections.length) {
        return auditedTransaction(ctx, actor, action, async (trx, now) => {
          const runId = previous?.id ?? randomUUID()
          await trx
            .insertInto('import_run')
            .values({ id: runId, partnership_id: P, agency_id: scope.agencyId, kind, file_sha256: sha, file_name: opts.fileName ?? null, status: 'rejected', rows_total: total, rows_done: 0, rows_rejected: rejections.length, started_by_membership_id: scope.membershipId, started_at: now, finished_at: now })
            .onConflict((oc) => oc.columns(['partnership_id', 'agency_id', 'kind', 'file_sha256']).doUpdateSet({ status: 'rejected', rows_total: total, rows_done: 0, rows_rejected: rejections.length, started_at: now, finished_at: now }))
            .execute()
          await trx.deleteFrom('import_rejection').where('partnership_id', '=', P).where('import_run_id', '=', runId).execute()
          // in slices: one statement's parameters are limited (65,535), and a wholly wrong file rejects every row
          for (let i = 0; i < rejections.length; i += REJECTIONS_PER_STATEMENT) {
            await trx.insertInto('import_rejection').values(rejections.slice(i, i + REJECTIONS_PER_STATEMENT).map((r) => ({ partnership_id: P, import_run_id: runId, row_number: r.row, reason: r.reason }))).execute()
          }
          return {
            result: { runId, kind, status: 'rejected' as const, rowsTotal: total, rowsDone: 0, resumedFrom: 0, rejections, counts: {} },
            audit: { action, outcome: 'refused' as const, entityType: 'import_run', entityId: runId, details: { agencyId: scope.agencyId, sha256: sha, rows: total, rejected: rejections.map((r) => r.row) } },
          }
        })
      }
      // start (or resume) the run
      const runId = previous?.id ?? randomUUID()
      const resumedFrom = previous?.status === 'running' ? Math.min(previous.rows_done, total) : 0
      if (!previous || previous.status === 'rejected') {
        const now = ctx.clock.now()
        await ctx.db
          .insertInto('import_run')
          .values({ id: runId, partnership_id: P, agency_id: scope.agencyId, kind, file_sha256: sha, file_name: opts.fileName ?? null, status: 'running', rows_total: total, rows_done: 0, rows_rejected: 0, started_by_membership_id: scope.membershipId, started_at: now, finished_at: null })
          .onConflict((oc) => oc.columns(['partnership_id', 'agency_id', 'kind', 'file_sha256']).doUpdateSet({ status: 'running', rows_total: total, rows_done: 0, rows_rejected: 0, started_at: now, finished_at: null }))
          .execute()
        await ctx.db.deleteFrom('import_rejection').where('partnership_id', '=', P).where('import_run_id', '=', runId).execute()
      }
      const counts: Record<string, number> = {}
      let done = resumedFrom
      opts.onProgress?.(done, total)
      while (done < total) {
        const from = done
        const slice = rows.slice(from, Math.min(total, from + chunk))
        done = await auditedTransaction(ctx, actor, action, async (trx, now) => {
          const run = await trx.selectFrom('import_run').select(['rows_done', 'status']).where('id', '=', runId).forUpdate().executeTakeFirstOrThrow()
          if (run.status !== 'running' || run.rows_done !== from) throw new RefusedError('This file is being imported by another process: try again when it has finished.')
          let childIds: string[]
          if (kind === 'records') {
            const outcomes = await upsertRecords(trx, scope, slice as RecordInput[], now)
            for (const o of outcomes) counts[o.created ? o.state : 'updated'] = (counts[o.created ? o.state : 'updated'] ?? 0) + 1
            childIds = outcomes.flatMap((o) => [o.childId, ...(o.candidateChildId ? [o.candidateChildId] : []), ...(o.fromChildId ? [o.fromChildId] : [])])
          } else {
            const { made, held } = await insertEntries(trx, scope, slice as EntryInput[], now, { skipHeld: true })
            counts['entries'] = (counts['entries'] ?? 0) + made.length
            if (held) counts['entries_already_held'] = (counts['entries_already_held'] ?? 0) + held
            childIds = made.map((m) => m.childId)
          }
          const next = from + slice.length
          const finished = next >= total
          await trx.updateTable('import_run').set({ rows_done: next, ...(finished ? { status: 'finished' as const, finished_at: now } : {}) }).where('id', '=', runId).execute()
          return {
            result: next,
            audit: { action, outcome: 'success' as const, entityType: 'import_run', entityId: runId, childIds: [...new Set(childIds)], details: { agencyId: scope.agencyId, sha256: sha, rows: [from + 1, next], of: total, finished } },
          }
        })
        opts.onProgress?.(done, total)
      }
      return { runId, kind, status: 'finished', rowsTotal: total, rowsDone: done, resumedFrom, rejections: [], counts }
    },

    /** One record from an integration: the same checks and matching as a CSV row. */
    async putRecord(raw: Record<string, unknown>): Promise<{ ok: true; outcome: RecordOutcome } | { ok: false; problems: { field: string; reason: string }[] }> {
      const checked = checkRecord(raw, ctx.clock.now())
      if (!checked.ok) return checked
      return auditedTransaction(ctx, actor, 'records.create', async (trx, now) => {
        const [outcome] = await upsertRecords(trx, scope, [checked.value], now)
        return {
          result: { ok: true as const, outcome: outcome! },
          audit: { action: 'records.create', outcome: 'success' as const, entityType: 'agency_record', entityId: outcome!.recordId, childIds: [outcome!.childId, ...(outcome!.candidateChildId ? [outcome!.candidateChildId] : []), ...(outcome!.fromChildId ? [outcome!.fromChildId] : [])], details: { agencyId: scope.agencyId, state: outcome!.state, created: outcome!.created, ...(outcome!.fromChildId ? { from: outcome!.fromChildId } : {}) } },
        }
      })
    },

    /** One entry from an integration, for a record the agency holds (by its source_ref). */
    async addEntry(raw: Record<string, unknown>): Promise<{ ok: true; entry: { id: string; childId: string; agencyRecordId: string } } | { ok: false; problems: { field: string; reason: string }[] }> {
      const checked = checkEntry(raw, ctx.clock.now(), { sealedAllowed: scope.teamId !== null })
      if (!checked.ok) return checked
      type AddResult = { ok: true; entry: { id: string; childId: string; agencyRecordId: string } } | { ok: false; problems: { field: string; reason: string }[] }
      return auditedTransaction<AddResult>(ctx, actor, 'entries.create', async (trx, now) => {
        const known = await trx.selectFrom('agency_record').select('id').where('partnership_id', '=', P).where('agency_id', '=', scope.agencyId).where('source_ref', '=', checked.value.sourceRef).executeTakeFirst()
        if (!known) {
          return {
            result: { ok: false as const, problems: [{ field: 'source_ref', reason: 'this agency has no record with that reference (send the record first)' }] },
            audit: { action: 'entries.create', outcome: 'refused' as const, entityType: 'agency_record', details: { agencyId: scope.agencyId, reason: 'unknown source_ref' } },
          }
        }
        const [made] = (await insertEntries(trx, scope, [checked.value], now)).made
        return {
          result: { ok: true as const, entry: made! },
          audit: { action: 'entries.create', outcome: 'success' as const, entityType: 'entry', entityId: made!.id, childIds: [made!.childId], details: { agencyId: scope.agencyId, agencyRecordId: made!.agencyRecordId } },
        }
      })
    },
  }
}

export type RecordsImporter = ReturnType<typeof recordsImporter>

// ---------- the practitioner's repository ----------

export interface ReviewItem {
  record: { id: string; sourceRef: string; agencyName: string; givenName: string; familyName: string; dateOfBirth: string; sex: string; nhsNumber: string | null; upn: string | null; postcode: string | null; address: string | null; childId: string; probability: number | null }
  candidate: { id: string; givenName: string; familyName: string; dateOfBirth: string | null; sex: string; nhsNumber: string | null; upn: string | null; postcode: string | null }
  explanation: StoredExplanation | null
}

/** Records a page of the review queue shows: each is a side-by-side table and a decision form. */
export const REVIEW_PAGE_SIZE = 25

export interface ReviewQueue {
  items: ReviewItem[]
  /** Records waiting in all (of which `items` are this page's). */
  total: number
  page: number
  pages: number
}

export function recordsRepository(ctx: Ctx, actor: Actor) {
  const P = actor.partnershipId
  const mayMatch = hasPermission(actor.role, 'records:match')
  const mayImport = hasPermission(actor.role, 'records:import')
  const importer = recordsImporter(ctx, actor, { partnershipId: P, agencyId: actor.agencyId, membershipId: actor.membershipId, teamId: actor.teamId })

  async function candidateIdentity(trx: Trx, ids: string[]) {
    if (!ids.length) return new Map<string, ReviewItem['candidate']>()
    const rows = await trx
      .selectFrom('child as c')
      .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.sex', 'c.nhs_number', 'c.upn'])
      .select((eb) => eb.selectFrom('child_address as a').select('a.postcode').whereRef('a.child_id', '=', 'c.id').where('a.partnership_id', '=', P).where('a.to_date', 'is', null).where('a.confidential', '=', false).limit(1).as('postcode'))
      .where('c.partnership_id', '=', P)
      .where('c.id', 'in', ids)
      .execute()
    return new Map(rows.map((r) => [r.id, { id: r.id, givenName: r.given_name, familyName: r.family_name, dateOfBirth: r.date_of_birth, sex: r.sex, nhsNumber: r.nhs_number, upn: r.upn, postcode: r.postcode ?? null }]))
  }

  const recordQuery = (trx: Trx) =>
    trx
      .selectFrom('agency_record as r')
      .innerJoin('agency as a', 'a.id', 'r.agency_id')
      .select(['r.id', 'r.source_ref', 'r.given_name', 'r.family_name', 'r.date_of_birth', 'r.sex', 'r.nhs_number', 'r.upn', 'r.postcode', 'r.address', 'r.child_id', 'r.match_state', 'r.match_probability', 'r.match_explanation', 'r.review_child_id', 'r.created_at', 'r.updated_at', 'r.agency_id', 'a.name as agency_name'])
      .where('r.partnership_id', '=', P)

  type RecordRow = Awaited<ReturnType<ReturnType<typeof recordQuery>['executeTakeFirstOrThrow']>>
  const recordView = (r: RecordRow) => ({ id: r.id, sourceRef: r.source_ref, agencyName: r.agency_name, givenName: r.given_name, familyName: r.family_name, dateOfBirth: r.date_of_birth, sex: r.sex, nhsNumber: r.nhs_number, upn: r.upn, postcode: r.postcode, address: r.address, childId: r.child_id, probability: r.match_probability })

  /** A record-changing decision by a reviewer: not found (null) unless the record is in the right state. */
  async function decision(recordId: string, action: string, states: MatchState[], fn: (trx: Trx, rec: RecordRow, now: Date) => Promise<{ childIds: string[]; details: Record<string, unknown> }>): Promise<{ recordId: string } | null> {
    return auditedTransaction(ctx, actor, action, async (trx, now) => {
      const notFound = { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'agency_record', entityId: UUID.test(recordId) ? recordId : null } }
      if (!mayMatch || !UUID.test(recordId)) return notFound
      // the record's row only: a plain FOR UPDATE would lock the joined agency's row too, and every insert that names the
      // agency (an import's records and entries) would wait on the decision, or deadlock with it
      const rec = await recordQuery(trx).where('r.id', '=', recordId).forUpdate('r').executeTakeFirst()
      if (!rec) return notFound
      if (!states.includes(rec.match_state)) throw new RefusedError(`This record is ${rec.match_state.replace(/_/g, ' ')}: it cannot be changed that way now`)
      const { childIds, details } = await fn(trx, rec, now)
      return { result: { recordId }, audit: { action, outcome: 'success' as const, entityType: 'agency_record', entityId: recordId, childIds, details } }
    })
  }

  return {
    importer: mayImport ? importer : null,

    /**
     * The review queue, most likely matches first, a page at a time (REVIEW_PAGE_SIZE): each record with its candidate
     * child, side by side, and why the matcher proposed them; with `recordId`, that record alone (when it is waiting).
     * A page past the last is the last.
     */
    async reviewQueue(opts: { page?: number; recordId?: string } = {}): Promise<ReviewQueue | null> {
      return auditedTransaction(ctx, actor, 'records.review-queue', async (trx) => {
        if (!mayMatch) return { result: null, audit: { action: 'records.review-queue', outcome: 'not_found' as const } }
        const waiting = () => recordQuery(trx).where('r.match_state', '=', 'review')
        let total: number
        let page = 1
        let rows: RecordRow[]
        if (opts.recordId !== undefined) {
          rows = UUID.test(opts.recordId) ? await waiting().where('r.id', '=', opts.recordId).execute() : []
          total = rows.length
        } else {
          total = Number((await trx.selectFrom('agency_record').select((eb) => eb.fn.countAll<string>().as('n')).where('partnership_id', '=', P).where('match_state', '=', 'review').executeTakeFirstOrThrow()).n)
          page = Math.max(1, Math.min(opts.page ?? 1, Math.ceil(total / REVIEW_PAGE_SIZE)))
          rows = await waiting()
            .orderBy('r.match_probability', 'desc')
            .orderBy('r.id')
            .limit(REVIEW_PAGE_SIZE)
            .offset((page - 1) * REVIEW_PAGE_SIZE)
            .execute()
        }
        const candidates = await candidateIdentity(trx, rows.flatMap((r) => (r.review_child_id ? [r.review_child_id] : [])))
        const items = rows.flatMap((r) => {
          const candidate = r.review_child_id ? candidates.get(r.review_child_id) : undefined
          return candidate ? [{ record: recordView(r), candidate, explanation: (r.match_explanation as StoredExplanation | null) ?? null }] : []
        })
        return {
          result: { items, total, page, pages: Math.max(1, Math.ceil(total / REVIEW_PAGE_SIZE)) },
          audit: { action: 'records.review-queue', outcome: 'success' as const, childIds: [...new Set(items.flatMap((i) => [i.record.childId, i.candidate.id]))], details: { records: items.map((i) => i.record.id), ...(opts.recordId === undefined ? { page } : {}) } },
        }
      })
    },

    /** One record: its identity, the child it belongs to, the candidate (when in review) and every link decision. */
    async get(recordId: string) {
      return auditedTransaction(ctx, actor, 'records.view', async (trx) => {
        const notFound = { result: null, audit: { action: 'records.view', outcome: 'not_found' as const, entityType: 'agency_record', entityId: UUID.test(recordId) ? recordId : null } }
        if (!mayMatch || !UUID.test(recordId)) return notFound
        const r = await recordQuery(trx).where('r.id', '=', recordId).executeTakeFirst()
        if (!r) return notFound
        const people = await candidateIdentity(trx, [r.child_id, ...(r.review_child_id ? [r.review_child_id] : [])])
        const history = await trx
          .selectFrom('link_decision as d')
          .leftJoin('membership as m', 'm.id', 'd.decided_by_membership_id')
          .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
          .select(['d.id', 'd.kind', 'd.from_child_id', 'd.to_child_id', 'd.probability', 'd.reason', 'd.decided_at', 'p.given_name', 'p.family_name'])
          .where('d.partnership_id', '=', P)
          .where('d.agency_record_id', '=', recordId)
          .orderBy('d.decided_at')
          .orderBy('d.id')
          .execute()
        const entries = await trx.selectFrom('entry').select((eb) => eb.fn.countAll<number>().as('n')).where('partnership_id', '=', P).where('agency_record_id', '=', recordId).executeTakeFirstOrThrow()
        const notSameRows = await trx.selectFrom('not_same_child').select(['child_id', 'reason', 'decided_at']).where('partnership_id', '=', P).where('agency_record_id', '=', recordId).orderBy('decided_at').orderBy('child_id').execute()
        const notSamePeople = await candidateIdentity(trx, notSameRows.map((n) => n.child_id))
        const remembered = notSameRows.map((n) => {
          const c = notSamePeople.get(n.child_id)
          const kind = history.some((h) => h.kind === 'unmerge' && h.from_child_id === n.child_id) ? 'unmerge' : 'not_same'
          return { childId: n.child_id, name: c ? `${c.givenName} ${c.familyName}` : n.child_id, kind, reason: n.reason, at: n.decided_at }
        })
        return {
          result: {
            record: { ...recordView(r), state: r.match_state, createdAt: r.created_at, updatedAt: r.updated_at },
            child: people.get(r.child_id) ?? null,
            candidate: r.review_child_id ? (people.get(r.review_child_id) ?? null) : null,
            explanation: (r.match_explanation as StoredExplanation | null) ?? null,
            entryCount: Number(entries.n),
            history: history.map((h) => ({ kind: h.kind, fromChildId: h.from_child_id, toChildId: h.to_child_id, probability: h.probability, reason: h.reason, at: h.decided_at, by: h.given_name ? `${h.given_name} ${h.family_name}` : 'Automatic (import)' })),
            canUnmerge: r.match_state === 'matched' || r.match_state === 'merged_by_reviewer',
            /** the remembered "not the same child" pairs (from an unmerge or a reviewer's decision) */
            remembered,
            canWithdraw: r.match_state === 'new_child' && remembered.length > 0,
          },
          audit: { action: 'records.view', outcome: 'success' as const, entityType: 'agency_record', entityId: recordId, childIds: [...new Set([r.child_id, ...(r.review_child_id ? [r.review_child_id] : []), ...remembered.map((m) => m.childId)])] },
        }
      })
    },

    /**
     * Same child: the record, its entries and its relationship move to the candidate; its own child stays, for an
     * unmerge, and — when nothing else is on it — is marked as merged, so that neither the matcher nor the search
     * offers it again.
     */
    async merge(recordId: string, reason: string) {
      return decision(recordId, 'records.merge', ['review'], async (trx, rec, now) => {
        // the candidate may have been left empty by another merge since the pair was queued: it is the child it went
        // into (the record must not land on a child that neither the matcher nor the search offers). The children are
        // locked first, in a statement of their own, so that a merge emptying the candidate and a merge onto it, at
        // once, are taken one after the other (and the mark below sees a record the other has just put on its child).
        let to = rec.review_child_id!
        for (const seen = new Set<string>(); ; ) {
          seen.add(to)
          const locked = await lockChildren(trx, P, [rec.child_id, to])
          const next = locked.find((c) => c.id === to)?.merged_into_child_id
          if (!next || seen.has(next)) break
          to = next
        }
        if (to === rec.child_id) throw new RefusedError('The candidate child has since been merged into this record’s own child: there is nothing to merge')
        // a remembered "not the same child" holds against the child it was decided about as that child stands now: a
        // candidate emptied into a child this record was unmerged from, or decided not to be, is that child
        if ((await notSameChildren(trx, P, [rec.id])).has(`${rec.id}|${to}`)) {
          throw new RefusedError('This record was recorded as not the same child as the child the candidate has since been merged into, so it cannot be merged there. Choose “not the same child” instead')
        }
        const moved = await moveRecord(trx, P, rec.id, rec.child_id, to, now)
        await markMergedWhenEmpty(trx, P, rec.child_id, to)
        await trx.updateTable('agency_record').set({ match_state: 'merged_by_reviewer', review_child_id: null, updated_at: now }).where('id', '=', rec.id).execute()
        await decide(trx, P, rec.id, 'merge', rec.child_id, to, rec.match_probability, reason, actor.membershipId, now)
        const candidate = rec.review_child_id!
        return { childIds: [...new Set([rec.child_id, to, candidate])], details: { from: rec.child_id, to, ...movedDetails(moved), ...(candidate !== to ? { candidate } : {}) } }
      })
    },

    /** Not the same child: remembered, so the pair is never proposed again; the record keeps its own child. */
    async notSame(recordId: string, reason: string) {
      return decision(recordId, 'records.not-same', ['review'], async (trx, rec, now) => {
        const candidate = rec.review_child_id!
        await trx.insertInto('not_same_child').values({ partnership_id: P, agency_record_id: rec.id, child_id: candidate, reason, decided_by_membership_id: actor.membershipId, decided_at: now }).onConflict((oc) => oc.doNothing()).execute()
        await trx.updateTable('agency_record').set({ match_state: 'new_child', review_child_id: null, updated_at: now }).where('id', '=', rec.id).execute()
        await trx.updateTable('child').set({ provisional: false }).where('partnership_id', '=', P).where('id', '=', rec.child_id).execute()
        await decide(trx, P, rec.id, 'not_same', null, candidate, rec.match_probability, reason, actor.membershipId, now)
        return { childIds: [rec.child_id, candidate], details: { candidate } }
      })
    },

    /**
     * Unmerge: exactly this record's entries and relationship go back to a child of its own — the child it was
     * merged from, kept for this, or a new child made from the record when it was linked on arrival. The pair is
     * remembered as not the same child, so the matcher does not link it again.
     */
    async unmerge(recordId: string, reason: string) {
      return decision(recordId, 'records.unmerge', ['matched', 'merged_by_reviewer'], async (trx, rec, now) => {
        const last = await trx
          .selectFrom('link_decision')
          .select(['from_child_id'])
          .where('partnership_id', '=', P)
          .where('agency_record_id', '=', rec.id)
          .where('kind', 'in', ['merge', 'auto'])
          .where('to_child_id', '=', rec.child_id)
          .orderBy('decided_at', 'desc')
          .orderBy('id', 'desc')
          .executeTakeFirst()
        // the two children's rows, as a merge takes them: a signal evaluation at the same moment waits for the entries
        // to be on one child or the other (a new child made here is seen by nobody else until this commits)
        await lockChildren(trx, P, [rec.child_id, ...(last?.from_child_id ? [last.from_child_id] : [])])
        const scope = { partnershipId: P, agencyId: rec.agency_id, membershipId: actor.membershipId, teamId: actor.teamId }
        const to = last?.from_child_id ?? (await newChildFrom(trx, scope, { sourceRef: rec.source_ref, givenName: rec.given_name, familyName: rec.family_name, dateOfBirth: rec.date_of_birth, sex: rec.sex, nhsNumber: rec.nhs_number, upn: rec.upn, postcode: rec.postcode, address: rec.address }, now, false))
        const moved = await moveRecord(trx, P, rec.id, rec.child_id, to, now)
        await trx.insertInto('not_same_child').values({ partnership_id: P, agency_record_id: rec.id, child_id: rec.child_id, reason, decided_by_membership_id: actor.membershipId, decided_at: now }).onConflict((oc) => oc.doNothing()).execute()
        await trx.updateTable('agency_record').set({ match_state: 'new_child', review_child_id: null, updated_at: now }).where('id', '=', rec.id).execute()
        await trx.updateTable('child').set({ provisional: false, merged_into_child_id: null }).where('partnership_id', '=', P).where('id', '=', to).execute()
        await decide(trx, P, rec.id, 'unmerge', rec.child_id, to, null, reason, actor.membershipId, now)
        return { childIds: [rec.child_id, to], details: { from: rec.child_id, to, ...movedDetails(moved) } }
      })
    },

    /** The matcher's current estimated model (for the review page), or null when none is stored. */
    async matcherModel() {
      if (!mayMatch) return null
      const e = await currentMatcherModel(ctx.db, P)
      return e ? { version: e.version, records: e.records, expectedMatches: e.expectedMatches, estimatedAt: e.estimatedAt, inUse: usable(e) } : null
    },

    /** Re-estimates the matcher (EM over the partnership's agency records) and stores it as a new version: audited. */
    async reestimate() {
      return auditedTransaction(ctx, actor, 'records.reestimate', async (trx, now) => {
        if (!mayMatch) return { result: null, audit: { action: 'records.reestimate', outcome: 'not_found' as const } }
        const e = await estimateMatcherModel(trx, P, actor.membershipId, now)
        return {
          result: { version: e.version, records: e.records, expectedMatches: e.expectedMatches, inUse: usable(e) },
          audit: { action: 'records.reestimate', outcome: 'success' as const, entityType: 'partnership_setting', entityId: `${MATCHER_MODEL_KEY}@v${e.version}`, details: { version: e.version, records: e.records, candidatePairs: e.candidatePairs, expectedMatches: e.expectedMatches, lambda: e.lambda, inUse: usable(e) } },
        }
      })
    },

    /**
     * Withdraws a remembered "not the same child" decision (a reviewer's, or an unmerge's) for one pair: the memory
     * is forgotten and the pair goes back to the review queue, scored afresh with its match explanation, for a
     * reviewer to merge (which moves exactly the record's entries again) or to call not the same child again. Only
     * for a record on a child of its own (not linked, not in review with another candidate).
     */
    async withdraw(recordId: string, childId: string, reason: string) {
      return decision(recordId, 'records.withdraw', ['new_child'], async (trx, rec, now) => {
        const pair = UUID.test(childId)
          ? await trx.selectFrom('not_same_child').select(['child_id', 'decided_at']).where('partnership_id', '=', P).where('agency_record_id', '=', rec.id).where('child_id', '=', childId).forUpdate().executeTakeFirst()
          : undefined
        if (!pair || pair.child_id === rec.child_id) throw new RefusedError('There is no remembered “not the same child” decision about this record and that child to withdraw')
        const unmerged = await trx.selectFrom('link_decision').select('id').where('partnership_id', '=', P).where('agency_record_id', '=', rec.id).where('kind', '=', 'unmerge').where('from_child_id', '=', childId).executeTakeFirst()
        const withdrawn = unmerged ? 'unmerge' : 'not_same'
        const input: RecordInput = { sourceRef: rec.source_ref, givenName: rec.given_name, familyName: rec.family_name, dateOfBirth: rec.date_of_birth, sex: rec.sex, nhsNumber: rec.nhs_number, upn: rec.upn, postcode: rec.postcode, address: rec.address }
        const match = await matchPair(trx, P, input, childId)
        if (!match) throw new RefusedError('The other child of that decision is no longer in the partnership')
        await trx.deleteFrom('not_same_child').where('partnership_id', '=', P).where('agency_record_id', '=', rec.id).where('child_id', '=', childId).execute()
        await trx.updateTable('agency_record').set({ match_state: 'review', review_child_id: childId, match_probability: match.probability, match_explanation: JSON.stringify(match.explanation), updated_at: now }).where('id', '=', rec.id).execute()
        // the record's own child is provisional again while it waits for a reviewer, as on arrival — unless another
        // agency record is on it too
        const others = await trx.selectFrom('agency_record').select('id').where('partnership_id', '=', P).where('child_id', '=', rec.child_id).where('id', '<>', rec.id).limit(1).execute()
        if (!others.length) await trx.updateTable('child').set({ provisional: true }).where('partnership_id', '=', P).where('id', '=', rec.child_id).execute()
        const what = withdrawn === 'unmerge' ? 'unmerge' : '“not the same child”'
        await decide(trx, P, rec.id, 'review', null, childId, match.probability, `Withdrew the ${what} decision of ${pair.decided_at.toISOString().slice(0, 10)}: back in the review queue (probability ${pct(match.probability)}). ${reason}`, actor.membershipId, now)
        return { childIds: [rec.child_id, childId], details: { withdrawn, candidate: childId, probability: match.probability, reason } }
      })
    },
  }
}

export type RecordsRepository = ReturnType<typeof recordsRepository>
