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

export interface ReportItem {
  childId: string
  childName: string
  anchor: string
  basis: AnchorBasis
  dates: Record<RetentionRecordType, string>
  entries: string[]
  concerns: string[]
  identity: boolean
}

export interface ExecutionOutcome {
  children: number
  entries: number
  concerns: number
  identities: number
  deleted: { names: number; addresses: number; familyMembers: number }
  skippedOnHold: string[]
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

/** What a dry run on `today` finds: per due child not on hold, the records not yet acted on. */
export async function dueItems(db: Db, partnershipId: string, today: string): Promise<ReportItem[]> {
  const years = await yearsOf(db, partnershipId)
  const held = await heldChildren(db, partnershipId)
  const due = (await childDates(db, partnershipId, years)).filter((c) => !held.has(c.childId) && Object.values(c.dates).some((d) => isDue(d, today)))
  if (!due.length) return []
  const ids = due.map((c) => c.childId)
  const acted = (type: RetentionRecordType) =>
    db.selectFrom('retention_action as ra').select('ra.record_id').where('ra.partnership_id', '=', partnershipId).where('ra.record_type', '=', type)
  const entries = await db
    .selectFrom('entry')
    .select(['id', 'child_id'])
    .where('partnership_id', '=', partnershipId)
    .where('child_id', 'in', ids)
    .where('visibility', '<>', 'sealed')
    .where('id', 'not in', acted('entry'))
    .orderBy('occurred_at')
    .orderBy('id')
    .execute()
  const concerns = await db
    .selectFrom('concern')
    .select(['id', 'child_id'])
    .where('partnership_id', '=', partnershipId)
    .where('child_id', 'in', ids)
    .where('id', 'not in', acted('concern'))
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const identities = new Set((await acted('identity').where('ra.record_id', 'in', ids).execute()).map((r) => r.record_id))
  const items: ReportItem[] = []
  for (const c of due) {
    const item: ReportItem = {
      ...c,
      entries: isDue(c.dates.entry, today) ? entries.filter((e) => e.child_id === c.childId).map((e) => e.id) : [],
      concerns: isDue(c.dates.concern, today) ? concerns.filter((e) => e.child_id === c.childId).map((e) => e.id) : [],
      identity: isDue(c.dates.identity, today) && !identities.has(c.childId),
    }
    if (item.entries.length || item.concerns.length || item.identity) items.push(item)
  }
  return items
}

export const countsOf = (items: readonly ReportItem[]) => ({
  children: items.length,
  entries: items.reduce((n, i) => n + i.entries.length, 0),
  concerns: items.reduce((n, i) => n + i.concerns.length, 0),
  identities: items.filter((i) => i.identity).length,
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
      .values({ id, partnership_id: P, created_at: now, as_of: today, items: JSON.stringify(items.map(({ childName: _name, ...rest }) => rest)), counts: JSON.stringify(counts) })
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
      const outcome = await carryOut(trx, actor, now, report.id, report.items as ReportItem[])
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

async function carryOut(trx: Transaction<DB>, actor: AuditActor, now: Date, reportId: string, items: readonly ReportItem[]): Promise<ExecutionOutcome> {
  const P = actor.partnershipId
  const today = londonDateTime(now).date
  const text = removedText(today)
  const years = await yearsOf(trx, P)
  const ids = items.map((i) => i.childId)
  const held = await heldChildren(trx, P, ids)
  const current = new Map((await childDates(trx, P, years, ids)).map((c) => [c.childId, c]))
  const out: ExecutionOutcome = { children: 0, entries: 0, concerns: 0, identities: 0, deleted: { names: 0, addresses: 0, familyMembers: 0 }, skippedOnHold: [] }
  for (const item of items) {
    const c = current.get(item.childId)
    if (!c) continue
    if (held.has(item.childId)) {
      out.skippedOnHold.push(item.childId)
      continue
    }
    const record = (type: RetentionRecordType, recordIds: readonly string[]) =>
      recordIds.map((recordId) => ({ id: randomUUID(), partnership_id: P, report_id: reportId, child_id: item.childId, record_type: type, record_id: recordId, action: 'anonymised' as const, replacement: type === 'identity' ? null : text, acted_at: now }))

    // entries: the listed ones still of this child, still not sealed, not acted on already
    let entryIds: string[] = []
    if (item.entries.length && isDue(c.dates.entry, today)) {
      const still = await trx
        .selectFrom('entry')
        .select('id')
        .where('partnership_id', '=', P)
        .where('child_id', '=', item.childId)
        .where('id', 'in', item.entries)
        .where('visibility', '<>', 'sealed')
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('retention_action as ra').select('ra.id').where('ra.partnership_id', '=', P).where('ra.record_type', '=', 'entry').whereRef('ra.record_id', '=', 'entry.id'))))
        .forUpdate()
        .execute()
      entryIds = still.map((e) => e.id)
      if (entryIds.length) {
        await trx.insertInto('retention_action').values(record('entry', entryIds)).execute()
        // the entry trigger admits exactly this: only the summary, to the text recorded above, in this transaction
        await trx.updateTable('entry').set({ summary: text }).where('partnership_id', '=', P).where('id', 'in', entryIds).execute()
      }
    }
    let concernIds: string[] = []
    if (item.concerns.length && isDue(c.dates.concern, today)) {
      const still = await trx
        .selectFrom('concern')
        .select('id')
        .where('partnership_id', '=', P)
        .where('child_id', '=', item.childId)
        .where('id', 'in', item.concerns)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('retention_action as ra').select('ra.id').where('ra.partnership_id', '=', P).where('ra.record_type', '=', 'concern').whereRef('ra.record_id', '=', 'concern.id'))))
        .forUpdate()
        .execute()
      concernIds = still.map((e) => e.id)
      if (concernIds.length) {
        await trx.insertInto('retention_action').values(record('concern', concernIds)).execute()
        await trx
          .updateTable('concern')
          .set({ seen_or_heard: text, child_words: null, location: null, other_children: null, body_map: '[]' })
          .where('partnership_id', '=', P)
          .where('id', 'in', concernIds)
          .execute()
      }
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
        deleted.names = Number((await trx.deleteFrom('child_name').where('partnership_id', '=', P).where('child_id', '=', item.childId).executeTakeFirst()).numDeletedRows)
        deleted.addresses = Number((await trx.deleteFrom('child_address').where('partnership_id', '=', P).where('child_id', '=', item.childId).executeTakeFirst()).numDeletedRows)
        deleted.familyMembers = Number((await trx.deleteFrom('family_member').where('partnership_id', '=', P).where('child_id', '=', item.childId).executeTakeFirst()).numDeletedRows)
      }
    }
    if (!entryIds.length && !concernIds.length && !identity) continue
    out.children++
    out.entries += entryIds.length
    out.concerns += concernIds.length
    out.identities += identity ? 1 : 0
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
      details: { entriesAnonymised: entryIds.length, concernsAnonymised: concernIds.length, identityAnonymised: identity, deleted },
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
