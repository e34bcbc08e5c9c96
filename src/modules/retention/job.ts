// The retention job, run by the scheduler through the system repository (src/data/system.ts: `runRetention`), as the
// system actor, per partnership:
// 1. carries out every report whose two-person 'retention_delete' approval was approved (and closes the ones refused
//    or withdrawn): exactly the records the report listed, re-checked at the time — a child now on legal hold, a record
//    sealed since, a record acted on already, or a date no longer reached (the years setting changed) is skipped —;
//    entries and concerns are anonymised, the child's identity anonymised and their other names, addresses and family
//    members deleted; one retention_action row per record acted on, one audit row per child with the counts;
// 2. once per London day, a dry run: children past a retention date, not on hold, with records not yet acted on — a
//    report row (per child: dates and counts; the ids it would act on) for information governance to review. Nothing
//    is changed by a dry run.
// The audit is never touched: audit rows are append-only and kept; what goes is the personal data in the records.
// Sealed entries are outside retention (they were sealed by two people; unsealing comes first) and never counted.
import { randomUUID } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { writeAudit, type AuditActor } from '../../data/audit.ts'
import type { DB, RetentionRecordType } from '../../data/schema.ts'
import { londonDateTime } from '../../web/dates.ts'
import { anchorOf, isDue, removedText, RETENTION_SETTING_KEY, retentionDates, retentionYears, type AnchorBasis, type RetentionYears } from './rules.ts'
import { anonymise, childRecords, IDENTITY_PARTS, TARGETS, teamRecords } from './targets.ts'

export interface ReportItem {
  childId: string
  anchor: string
  basis: AnchorBasis
  dates: Record<RetentionRecordType, string>
  /** The records of each type to anonymise (types with none are left out). */
  records: Partial<Record<RetentionRecordType, string[]>>
  identity: boolean
}

export type TypeCounts = Partial<Record<RetentionRecordType, number>>

export interface ReportCounts {
  children: number
  identities: number
  records: TypeCounts
}

export interface ExecutionOutcome {
  children: number
  identities: number
  records: TypeCounts
  deleted: { names: number; addresses: number; familyMembers: number }
  skippedOnHold: string[]
}

/** A stored report item; reports made before every record type was covered listed `entries` and `concerns`. */
export function itemOf(raw: unknown): ReportItem {
  const r = raw as ReportItem & { entries?: string[]; concerns?: string[] }
  const records = r.records ?? { ...(r.entries?.length ? { entry: r.entries } : {}), ...(r.concerns?.length ? { concern: r.concerns } : {}) }
  return { childId: r.childId, anchor: r.anchor, basis: r.basis, dates: r.dates, records, identity: r.identity }
}

type LegacyCounts = { entries?: number; concerns?: number }
const legacyRecords = (r: LegacyCounts): TypeCounts => ({ ...(r.entries ? { entry: r.entries } : {}), ...(r.concerns ? { concern: r.concerns } : {}) })

export function countsOfStored(raw: unknown): ReportCounts {
  const r = (raw ?? {}) as Partial<ReportCounts> & LegacyCounts
  return { children: r.children ?? 0, identities: r.identities ?? 0, records: r.records ?? legacyRecords(r) }
}

export function outcomeOfStored(raw: unknown): ExecutionOutcome | null {
  if (!raw) return null
  const r = raw as Partial<ExecutionOutcome> & LegacyCounts
  return {
    children: r.children ?? 0,
    identities: r.identities ?? 0,
    records: r.records ?? legacyRecords(r),
    deleted: r.deleted ?? { names: 0, addresses: 0, familyMembers: 0 },
    skippedOnHold: r.skippedOnHold ?? [],
  }
}

type Db = Kysely<DB> | Transaction<DB>

export async function yearsOf(db: Db, partnershipId: string): Promise<RetentionYears> {
  const row = await db.selectFrom('partnership_setting').select('value').where('partnership_id', '=', partnershipId).where('key', '=', RETENTION_SETTING_KEY).executeTakeFirst()
  return retentionYears(row?.value)
}

export async function heldChildren(db: Db, partnershipId: string, childIds?: readonly string[]): Promise<Set<string>> {
  let q = db.selectFrom('legal_hold').select('child_id').where('partnership_id', '=', partnershipId).where('lifted_at', 'is', null)
  if (childIds) {
    if (!childIds.length) return new Set()
    q = q.where('child_id', 'in', [...childIds])
  }
  return new Set((await q.execute()).map((r) => r.child_id))
}

export interface ChildDates {
  childId: string
  childName: string
  anchor: string
  basis: AnchorBasis
  dates: Record<RetentionRecordType, string>
}

/** Every child's retention dates in the partnership (or the ones named). */
export async function childDates(db: Db, partnershipId: string, years: RetentionYears, childIds?: readonly string[]): Promise<ChildDates[]> {
  let q = db.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth', 'expected_date_of_birth', 'created_at']).where('partnership_id', '=', partnershipId)
  if (childIds) {
    if (!childIds.length) return []
    q = q.where('id', 'in', [...childIds])
  }
  const rows = await q.orderBy('id').execute()
  return rows.map((c) => {
    const a = anchorOf({ dateOfBirth: c.date_of_birth, expectedDateOfBirth: c.expected_date_of_birth, createdDate: londonDateTime(new Date(c.created_at)).date })
    return { childId: c.id, childName: `${c.given_name} ${c.family_name}`, anchor: a.date, basis: a.basis, dates: retentionDates(a.date, years) }
  })
}

/** What a dry run on `today` finds: per due child not on hold, the records of each type not yet acted on. */
export async function dueItems(db: Db, partnershipId: string, today: string): Promise<ReportItem[]> {
  const years = await yearsOf(db, partnershipId)
  const held = await heldChildren(db, partnershipId)
  const due = (await childDates(db, partnershipId, years)).filter((c) => !held.has(c.childId) && Object.values(c.dates).some((d) => isDue(d, today)))
  if (!due.length) return []
  const found = new Map<RetentionRecordType, Map<string, string[]>>()
  for (const target of TARGETS) {
    if (target.team) {
      const eligible = new Map(due.filter((c) => isDue(c.dates[target.code], today)).map((c) => [c.childId, c.dates[target.code]]))
      found.set(target.code, await teamRecords(db, partnershipId, eligible))
    } else {
      found.set(target.code, await childRecords(db, partnershipId, target, due.filter((c) => isDue(c.dates[target.code], today)).map((c) => c.childId)))
    }
  }
  const identities = new Set(
    (await db.selectFrom('retention_action').select('record_id').where('partnership_id', '=', partnershipId).where('record_type', '=', 'identity').where('record_id', 'in', due.map((c) => c.childId)).execute()).map((r) => r.record_id),
  )
  const items: ReportItem[] = []
  for (const c of due) {
    const records: ReportItem['records'] = {}
    for (const target of TARGETS) {
      const list = found.get(target.code)?.get(c.childId)
      if (list?.length) records[target.code] = list
    }
    const item: ReportItem = { childId: c.childId, anchor: c.anchor, basis: c.basis, dates: c.dates, records, identity: isDue(c.dates.identity, today) && !identities.has(c.childId) }
    if (Object.keys(records).length || item.identity) items.push(item)
  }
  return items
}

const sumRecords = (all: readonly TypeCounts[]): TypeCounts => {
  const out: TypeCounts = {}
  for (const counts of all) for (const [k, n] of Object.entries(counts) as [RetentionRecordType, number][]) if (n) out[k] = (out[k] ?? 0) + n
  return out
}

export const countsOf = (items: readonly ReportItem[]): ReportCounts => ({
  children: items.length,
  identities: items.filter((i) => i.identity).length,
  records: sumRecords(items.map((i) => Object.fromEntries(Object.entries(i.records).map(([k, v]) => [k, v.length])))),
})

/** The day's dry run for a partnership: a report row when something is due and nothing is waiting for approval. */
export async function dryRun(db: Kysely<DB>, actor: AuditActor, now: Date): Promise<string | null> {
  const P = actor.partnershipId
  const today = londonDateTime(now).date
  return db.transaction().execute(async (trx) => {
    // one run at a time per partnership (the lease covers the scheduler; this covers a manual run beside it)
    await sql`select id from partnership where id = ${P} for update`.execute(trx)
    const pending = await trx
      .selectFrom('retention_report')
      .select('id')
      .where('partnership_id', '=', P)
      .where((eb) => eb.or([eb('state', '=', 'awaiting_approval'), eb('as_of', '=', today)]))
      .executeTakeFirst()
    if (pending) return null
    const items = await dueItems(trx, P, today)
    if (!items.length) return null
    await trx.updateTable('retention_report').set({ state: 'superseded' }).where('partnership_id', '=', P).where('state', '=', 'dry_run').execute()
    const id = randomUUID()
    const counts = countsOf(items)
    await trx
      .insertInto('retention_report')
      // no names in the stored report: it outlives the anonymising it leads to (the pages look the names up)
      .values({ id, partnership_id: P, created_at: now, as_of: today, items: JSON.stringify(items), counts: JSON.stringify(counts) })
      .execute()
    await writeAudit(trx, actor, now, { action: 'retention.dry-run', outcome: 'success', entityType: 'retention_report', entityId: id, childIds: items.map((i) => i.childId), details: { asOf: today, ...counts } })
    return id
  })
}

/** Carries out the approved reports, closes the refused and withdrawn ones. The number of reports carried out. */
export async function executeApproved(db: Kysely<DB>, actor: AuditActor, now: Date): Promise<number> {
  const P = actor.partnershipId
  const waiting = await db
    .selectFrom('retention_report as r')
    .innerJoin('approval_request as a', 'a.id', 'r.approval_id')
    .select(['r.id', 'a.state'])
    .where('r.partnership_id', '=', P)
    .where('r.state', '=', 'awaiting_approval')
    .where('a.state', '<>', 'requested')
    .execute()
  let done = 0
  for (const w of waiting) {
    await db.transaction().execute(async (trx) => {
      const report = await trx.selectFrom('retention_report').selectAll().where('partnership_id', '=', P).where('id', '=', w.id).where('state', '=', 'awaiting_approval').forUpdate().executeTakeFirst()
      if (!report) return
      const approval = await trx.selectFrom('approval_request').select(['state', 'kind']).where('partnership_id', '=', P).where('id', '=', report.approval_id!).executeTakeFirstOrThrow()
      if (approval.kind !== 'retention_delete' || approval.state !== 'approved') {
        await trx.updateTable('retention_report').set({ state: 'closed', row_version: report.row_version + 1 }).where('id', '=', report.id).execute()
        await writeAudit(trx, actor, now, { action: 'retention.close', outcome: 'success', entityType: 'retention_report', entityId: report.id, details: { approval: approval.state } })
        return
      }
      const outcome = await carryOut(trx, actor, now, report.id, (report.items as unknown[]).map(itemOf))
      await trx
        .updateTable('retention_report')
        .set({ state: 'executed', executed_at: now, outcome: JSON.stringify(outcome), row_version: report.row_version + 1 })
        .where('id', '=', report.id)
        .execute()
      await writeAudit(trx, actor, now, { action: 'retention.execute', outcome: 'success', entityType: 'retention_report', entityId: report.id, details: { ...outcome, skippedOnHold: outcome.skippedOnHold.length } })
      done++
    })
  }
  return done
}

/** Locks the children's rows (in id order, so two runs never deadlock) until the transaction ends. */
async function lockChildren(trx: Transaction<DB>, P: string, childIds: readonly string[]): Promise<void> {
  if (!childIds.length) return
  await trx.selectFrom('child').select('id').where('partnership_id', '=', P).where('id', 'in', [...new Set(childIds)]).orderBy('id').forUpdate().execute()
}

async function carryOut(trx: Transaction<DB>, actor: AuditActor, now: Date, reportId: string, items: readonly ReportItem[]): Promise<ExecutionOutcome> {
  const P = actor.partnershipId
  const today = londonDateTime(now).date
  const text = removedText(today)
  const years = await yearsOf(trx, P)
  const ids = items.map((i) => i.childId)
  // the children's rows are locked before their holds are read: placing a hold locks the child too, so a hold placed
  // while the job runs is either seen here or waits until the job has finished
  await lockChildren(trx, P, ids)
  const held = await heldChildren(trx, P, ids)
  const current = new Map((await childDates(trx, P, years, ids)).map((c) => [c.childId, c]))
  const out: ExecutionOutcome = { children: 0, identities: 0, records: {}, deleted: { names: 0, addresses: 0, familyMembers: 0 }, skippedOnHold: [] }
  for (const item of items) {
    const c = current.get(item.childId)
    if (!c) continue
    if (held.has(item.childId)) {
      out.skippedOnHold.push(item.childId)
      continue
    }
    const record = (type: RetentionRecordType, recordIds: readonly string[]) =>
      recordIds.map((recordId) => ({ id: randomUUID(), partnership_id: P, report_id: reportId, child_id: item.childId, record_type: type, record_id: recordId, action: 'anonymised' as const, replacement: type === 'identity' ? null : text, acted_at: now }))

    const anonymised: TypeCounts = {}
    for (const target of TARGETS) {
      const listed = item.records[target.code] ?? []
      if (!listed.length || !isDue(c.dates[target.code], today)) continue
      // the listed records still of this child (or, for a team, a team all of whose children are still due and not
      // on hold), still not sealed, not acted on already — locked until the transaction ends
      let still: string[]
      if (target.team) {
        const teamChildren = (await trx.selectFrom('tac_child').select('child_id').where('partnership_id', '=', P).where('tac_id', 'in', listed).execute()).map((r) => r.child_id)
        await lockChildren(trx, P, teamChildren)
        const teamHeld = await heldChildren(trx, P, teamChildren)
        const eligible = new Map((await childDates(trx, P, years, teamChildren)).filter((t) => !teamHeld.has(t.childId) && isDue(t.dates[target.code], today)).map((t) => [t.childId, t.dates[target.code]]))
        still = (await teamRecords(trx, P, eligible, listed, true)).get(item.childId) ?? []
      } else {
        still = (await childRecords(trx, P, target, [item.childId], listed, true)).get(item.childId) ?? []
      }
      if (!still.length) continue
      // the action rows first: the entry and sharing-decision triggers admit the change only when this transaction
      // recorded it here
      await trx.insertInto('retention_action').values(record(target.code, still)).execute()
      await anonymise(trx, P, target.parts, still, text)
      anonymised[target.code] = still.length
    }
    let identity = false
    const deleted = { names: 0, addresses: 0, familyMembers: 0 }
    if (item.identity && isDue(c.dates.identity, today)) {
      const inserted = await trx.insertInto('retention_action').values(record('identity', [item.childId])).onConflict((oc) => oc.columns(['partnership_id', 'record_type', 'record_id']).doNothing()).returning('id').execute()
      if (inserted.length) {
        identity = true
        await trx
          .updateTable('child')
          .set({ given_name: 'Removed', family_name: `under retention ${today}`, nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null })
          .where('partnership_id', '=', P)
          .where('id', '=', item.childId)
          .execute()
        await anonymise(trx, P, IDENTITY_PARTS, [item.childId], text)
        deleted.names = Number((await trx.deleteFrom('child_name').where('partnership_id', '=', P).where('child_id', '=', item.childId).executeTakeFirst()).numDeletedRows)
        deleted.addresses = Number((await trx.deleteFrom('child_address').where('partnership_id', '=', P).where('child_id', '=', item.childId).executeTakeFirst()).numDeletedRows)
        deleted.familyMembers = Number((await trx.deleteFrom('family_member').where('partnership_id', '=', P).where('child_id', '=', item.childId).executeTakeFirst()).numDeletedRows)
      }
    }
    if (!Object.keys(anonymised).length && !identity) continue
    out.children++
    out.identities += identity ? 1 : 0
    out.records = sumRecords([out.records, anonymised])
    out.deleted.names += deleted.names
    out.deleted.addresses += deleted.addresses
    out.deleted.familyMembers += deleted.familyMembers
    // one audit row per child, with the counts (the audit itself is kept: nothing here touches audit_event)
    await writeAudit(trx, actor, now, {
      action: 'retention.child',
      outcome: 'success',
      entityType: 'retention_report',
      entityId: reportId,
      childIds: [item.childId],
      details: { anonymised, identityAnonymised: identity, deleted },
    })
  }
  return out
}

/** The scheduler's retention step for every partnership: carry out what was approved, then the day's dry run. */
export async function runRetention(db: Kysely<DB>, actorFor: (partnershipId: string) => AuditActor, now: Date): Promise<{ executed: number; reports: number }> {
  let executed = 0
  let reports = 0
  for (const p of await db.selectFrom('partnership').select('id').orderBy('id').execute()) {
    const actor = actorFor(p.id)
    executed += await executeApproved(db, actor, now)
    if (await dryRun(db, actor, now)) reports++
  }
  return { executed, reports }
}
