// Disputes and requests for correction of an entry (issue 6, scope 5; UK GDPR Art 16): a child's or parent's
// statement that an entry is wrong is recorded beside the entry it concerns — by a practitioner who can see the entry,
// or by information governance for an item of a subject access request. The entry never changes (entries are
// immutable); the authoring agency responds: corrected — by a new entry that supersedes the original — or not
// corrected, with the reasons. The dispute and its response are shown wherever the entry is (its page, the
// chronology's "Disputed" marker).
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import { entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { DB, SarRequester } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'

type Trx = Transaction<DB>

export interface DisputeInput {
  kind: 'dispute' | 'correction'
  raisedByName: string
  raisedByRelationship: SarRequester
  statement: string
}

export interface DisputeView {
  id: string
  kind: 'dispute' | 'correction'
  raisedByName: string
  raisedByRelationship: SarRequester
  statement: string
  recordedBy: string
  recordedAt: Date
  viaSubjectAccess: boolean
  outcome: 'corrected' | 'not_corrected' | null
  correctingEntryId: string | null
  response: string | null
  respondedBy: string | null
  respondedAt: Date | null
  rowVersion: number
}

/** Records a dispute beside an entry (the caller has checked the actor may). Returns its id. */
export async function recordDispute(trx: Trx, actor: Actor, now: Date, at: { entryId: string; childId: string; itemId?: string }, input: DisputeInput): Promise<string> {
  const id = randomUUID()
  await trx
    .insertInto('entry_dispute')
    .values({
      partnership_id: actor.partnershipId,
      id,
      entry_id: at.entryId,
      child_id: at.childId,
      kind: input.kind,
      raised_by_name: input.raisedByName,
      raised_by_relationship: input.raisedByRelationship,
      statement: input.statement,
      subject_access_item_id: at.itemId ?? null,
      recorded_by: actor.membershipId,
      recorded_at: now,
      outcome: null,
      correcting_entry_id: null,
      response: null,
      responded_by: null,
      responded_at: null,
    })
    .execute()
  return id
}

/** The disputes of an entry, oldest first (for any page that shows the entry: the caller has checked it is visible). */
export async function disputesOf(trx: Trx, partnershipId: string, entryId: string): Promise<DisputeView[]> {
  const rows = await trx
    .selectFrom('entry_dispute as d')
    .innerJoin('membership as m', 'm.id', 'd.recorded_by')
    .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
    .leftJoin('membership as rm', 'rm.id', 'd.responded_by')
    .leftJoin('practitioner as rp', 'rp.id', 'rm.practitioner_id')
    .select(['d.id', 'd.kind', 'd.raised_by_name', 'd.raised_by_relationship', 'd.statement', 'd.recorded_at', 'd.subject_access_item_id', 'd.outcome', 'd.correcting_entry_id', 'd.response', 'd.responded_at', 'd.row_version', 'p.given_name', 'p.family_name', 'rp.given_name as r_given', 'rp.family_name as r_family'])
    .where('d.partnership_id', '=', partnershipId)
    .where('d.entry_id', '=', entryId)
    .orderBy('d.recorded_at')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    raisedByName: r.raised_by_name,
    raisedByRelationship: r.raised_by_relationship,
    statement: r.statement,
    recordedBy: `${r.given_name} ${r.family_name}`,
    recordedAt: r.recorded_at,
    viaSubjectAccess: Boolean(r.subject_access_item_id),
    outcome: r.outcome,
    correctingEntryId: r.correcting_entry_id,
    response: r.response,
    respondedBy: r.r_given ? `${r.r_given} ${r.r_family}` : null,
    respondedAt: r.responded_at,
    rowVersion: r.row_version,
  }))
}

/** Whether an entry has a dispute: an SQL expression on the entry's id column (for lists). */
export const disputedExpression = (entryRef: string) => sql<boolean>`exists (select 1 from entry_dispute d where d.entry_id = ${sql.ref(entryRef)})`

export function disputesRepository(ctx: Ctx, actor: Actor) {
  const P = actor.partnershipId
  const may = hasPermission(actor.role, 'entry:dispute')

  async function visible(trx: Trx, entryId: string, now: Date, lock = false) {
    if (!may || !isUuid(entryId)) return undefined
    let q = trx
      .selectFrom('entry as e')
      .innerJoin('child as c', 'c.id', 'e.child_id')
      .innerJoin('agency as a', 'a.id', 'e.source_agency_id')
      .select(['e.id', 'e.child_id', 'e.type', 'e.category', 'e.occurred_at', 'e.summary', 'e.significance', 'e.visibility', 'e.restricted_agency_ids', 'e.restricted_roles', 'e.source_agency_id', 'e.occurred_time_known', 'a.name as agency', 'c.given_name', 'c.family_name'])
      .where('e.partnership_id', '=', P)
      .where('e.id', '=', entryId)
      .where(entryVisible(actor, now))
    // held (shared) while a dispute or a correction is written beside it: a merge or unmerge moving the entry waits, or
    // is waited for, so what is written carries the child the entry is on, never the one it has just left
    if (lock) q = q.forShare('e')
    return q.executeTakeFirst()
  }

  return {
    /** The entry's disputes page: the entry, its disputes, and whether the actor may respond (the authoring agency). */
    async forEntry(entryId: string) {
      return auditedTransaction(ctx, actor, 'entry.dispute.view', async (trx, now) => {
        const e = await visible(trx, entryId, now)
        if (!e) return { result: null, audit: { action: 'entry.dispute.view', outcome: 'not_found' as const, entityType: 'entry', entityId: entryId } }
        return {
          result: { entry: { ...e, childName: `${e.given_name} ${e.family_name}` }, disputes: await disputesOf(trx, P, e.id), mayRespond: e.source_agency_id === actor.agencyId },
          audit: { action: 'entry.dispute.view', outcome: 'success' as const, entityType: 'entry', entityId: e.id, childIds: [e.child_id] },
        }
      })
    },

    async record(entryId: string, input: DisputeInput): Promise<{ status: 'done'; disputeId: string } | null> {
      return auditedTransaction(ctx, actor, 'entry.dispute.record', async (trx, now) => {
        const e = await visible(trx, entryId, now, true)
        if (!e) return { result: null, audit: { action: 'entry.dispute.record', outcome: 'not_found' as const, entityType: 'entry', entityId: entryId } }
        const disputeId = await recordDispute(trx, actor, now, { entryId: e.id, childId: e.child_id }, input)
        return { result: { status: 'done' as const, disputeId }, audit: { action: 'entry.dispute.record', outcome: 'success' as const, entityType: 'entry', entityId: e.id, childIds: [e.child_id], details: { dispute: disputeId, kind: input.kind } } }
      })
    },

    /**
     * The authoring agency's response: corrected — a new entry superseding the original, with the same visibility —
     * or not corrected, with the reasons. Once.
     */
    async respond(entryId: string, disputeId: string, input: { outcome: 'corrected' | 'not_corrected'; response: string; correctedText: string; rowVersion: number }): Promise<{ status: 'done'; correctingEntryId: string | null } | null> {
      return auditedTransaction(ctx, actor, 'entry.dispute.respond', async (trx, now) => {
        const e = await visible(trx, entryId, now, true)
        const d = e && isUuid(disputeId) ? await trx.selectFrom('entry_dispute').selectAll().where('partnership_id', '=', P).where('entry_id', '=', e.id).where('id', '=', disputeId).forUpdate().executeTakeFirst() : undefined
        if (!e || !d) return { result: null, audit: { action: 'entry.dispute.respond', outcome: 'not_found' as const, entityType: 'entry_dispute', entityId: disputeId } }
        if (e.source_agency_id !== actor.agencyId) throw new RefusedError('Only the agency that recorded the entry can respond to a dispute about it')
        if (d.outcome) throw new RefusedError('This dispute has already been answered')
        if (d.row_version !== input.rowVersion) throw new RefusedError('Someone else has changed this dispute: reload the page and try again')
        let correctingEntryId: string | null = null
        if (input.outcome === 'corrected') {
          correctingEntryId = randomUUID()
          await trx
            .insertInto('entry')
            .values({
              id: correctingEntryId,
              partnership_id: P,
              child_id: e.child_id,
              type: e.type,
              category: e.category,
              occurred_at: e.occurred_at,
              occurred_time_known: e.occurred_time_known,
              recorded_at: now,
              author_membership_id: actor.membershipId,
              author_team_id: actor.teamId,
              source_agency_id: e.source_agency_id,
              significance: e.significance,
              summary: input.correctedText,
              detail_type: 'entry_dispute',
              detail_id: d.id,
              visibility: e.visibility,
              restricted_agency_ids: e.restricted_agency_ids,
              restricted_roles: e.restricted_roles,
              addressed_to_membership_id: null,
              agency_record_id: null,
              supersedes_entry_id: e.id,
            })
            .execute()
        }
        await trx
          .updateTable('entry_dispute')
          .set({ outcome: input.outcome, correcting_entry_id: correctingEntryId, response: input.response || null, responded_by: actor.membershipId, responded_at: now, row_version: d.row_version + 1 })
          .where('partnership_id', '=', P)
          .where('id', '=', d.id)
          .execute()
        return {
          result: { status: 'done' as const, correctingEntryId },
          audit: { action: 'entry.dispute.respond', outcome: 'success' as const, entityType: 'entry', entityId: e.id, childIds: [e.child_id], details: { dispute: d.id, outcome: input.outcome, ...(correctingEntryId ? { correction: correctingEntryId } : {}) } },
        }
      })
    },
  }
}
