// Operation Encompass: police record a domestic-abuse incident involving children; each child's school DSL has
// the notice before the school's start of the next school day (R12), acknowledges it, and it lands as an entry
// for that child only — one school never learns of another school's pupil.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { SAFEGUARDING_LEAD_ROLES } from '../../access/policy.ts'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { membershipsWithRoles } from '../../data/memberships.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { auditedTransaction, KeyReusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { DB } from '../../data/schema.ts'

export interface EncompassInput {
  childIds: string[]
  incidentAt: Date
  incidentReference: string | null
  summary: string
  idempotencyKey: string
}

export function encompassRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const isLead = SAFEGUARDING_LEAD_ROLES.includes(actor.role)
  return {
    async record(input: EncompassInput) {
      type Notice = { id: string; childId: string; childName: string; school: string | null; dueAt: Date | null }
      // each notice names its child, so the officer knows which child has no school to tell
      const named = async (trx: Transaction<DB>, notices: Omit<Notice, 'childName'>[]): Promise<Notice[]> => {
        const names = new Map((await trx.selectFrom('child').select(['id', 'given_name', 'family_name']).where('partnership_id', '=', actor.partnershipId).where('id', 'in', notices.map((n) => n.childId)).execute()).map((c) => [c.id, `${c.given_name} ${c.family_name}`]))
        return notices.map((n) => ({ ...n, childName: names.get(n.childId) ?? '' }))
      }
      return auditedTransaction<{ notices: Notice[] } | null>(ctx, actor, 'encompass.create', async (trx, now) => {
        if (actor.role !== 'police_officer') throw new RefusedError('Only police officers record Operation Encompass notices')
        await sql`select pg_advisory_xact_lock(hashtext(${`encompass:${actor.partnershipId}:${actor.membershipId}:${input.idempotencyKey}`}))`.execute(trx)
        // a key is the officer's own: another officer's use of the same key is another submission, never a replay of
        // theirs. Every child named has a notice row (a child with no school too), so the key finds the whole submission.
        // ids compared as text: one sent in capitals is the same child (as the referral's are)
        const childIds = [...new Set(input.childIds.map((c) => c.toLowerCase()))]
        if (childIds.some((c) => !isUuid(c))) return { result: null, audit: { action: 'encompass.create', outcome: 'not_found' } }
        const existing = await trx.selectFrom('encompass_notice').select(['id', 'child_id', 'school_agency_id', 'due_at', 'summary', 'incident_at', 'incident_reference']).where('partnership_id', '=', actor.partnershipId).where('recorded_by_membership_id', '=', actor.membershipId).where('idempotency_key', '=', input.idempotencyKey).execute()
        if (existing.length) {
          // the same form sent again is the first submission; the form changed and sent again with its key is refused
          const sent = new Set(existing.map((n) => n.child_id))
          const same =
            sent.size === childIds.length &&
            childIds.every((c) => sent.has(c)) &&
            existing.every((n) => n.summary === input.summary && n.incident_at.getTime() === input.incidentAt.getTime() && (n.incident_reference ?? '') === (input.incidentReference ?? ''))
          if (!same) throw new KeyReusedError('This idempotency key was already used for a different incident: choose a new key for a new incident')
          return { result: { notices: await named(trx, existing.map((n) => ({ id: n.id, childId: n.child_id, school: n.school_agency_id, dueAt: n.due_at }))) }, audit: { action: 'encompass.create', outcome: 'success', childIds: [...sent], details: { replayed: true } } }
        }
        if (!childIds.length) throw new RefusedError('Choose the children involved')
        const inReach = await trx.selectFrom('child as c').select('c.id').where('c.partnership_id', '=', actor.partnershipId).where('c.id', 'in', childIds).where(childInReach(actor, now)).execute()
        if (inReach.length !== childIds.length) return { result: null, audit: { action: 'encompass.create', outcome: 'not_found' } }
        const policeAgency = actor.agencyId
        const submissionId = randomUUID()
        const notices: Omit<Notice, 'childName'>[] = []
        for (const childId of childIds) {
          const school = await trx
            .selectFrom('relationship')
            .select('holder_agency_id')
            .where('partnership_id', '=', actor.partnershipId)
            .where('child_id', '=', childId)
            .where('type', '=', 'pupil_at')
            .where('starts_at', '<=', now)
            .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
            .executeTakeFirst()
          const entryId = randomUUID()
          const id = randomUUID()
          // the entry is this child's only, seen by the child's school and the police
          await trx
            .insertInto('entry')
            .values({
              id: entryId,
              partnership_id: actor.partnershipId,
              child_id: childId,
              type: 'notice',
              category: 'domestic_abuse',
              occurred_at: input.incidentAt,
              recorded_at: now,
              author_membership_id: actor.membershipId,
              author_team_id: actor.teamId,
              source_agency_id: policeAgency,
              significance: 'high',
              summary: `Operation Encompass: police attended a domestic abuse incident involving this child. ${input.summary}`,
              detail_type: 'encompass_notice',
              detail_id: id,
              visibility: 'restricted',
              restricted_agency_ids: school?.holder_agency_id ? [school.holder_agency_id, policeAgency] : [policeAgency],
              restricted_roles: [],
              addressed_to_membership_id: null,
              agency_record_id: null,
              supersedes_entry_id: null,
            })
            .execute()
          const schoolId = school?.holder_agency_id ?? null
          const dueAt = schoolId ? await clocks.nextSchoolDayStart(trx, actor.partnershipId, schoolId, now) : null
          await trx
            .insertInto('encompass_notice')
            .values({ id, partnership_id: actor.partnershipId, submission_id: submissionId, child_id: childId, school_agency_id: schoolId, recorded_by_membership_id: actor.membershipId, incident_reference: input.incidentReference, incident_at: input.incidentAt, summary: input.summary, due_at: dueAt, entry_id: entryId, idempotency_key: input.idempotencyKey, created_at: now })
            .execute()
          // no school on roll: no school to tell, so no clock and no DSL to notify
          if (!schoolId || !dueAt) {
            notices.push({ id, childId, school: null, dueAt: null })
            continue
          }
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R12', childId, subjectType: 'encompass_notice', subjectId: id, startedAt: now, dueAt })
          const leads = await membershipsWithRoles(trx, actor.partnershipId, schoolId, SAFEGUARDING_LEAD_ROLES, now)
          await notifyMemberships(trx, actor.partnershipId, leads.map((l) => l.id), { kind: 'encompass.notice', childId, subjectType: 'encompass_notice', subjectId: id, link: `/encompass/${id}` }, now)
          notices.push({ id, childId, school: schoolId, dueAt })
        }
        return { result: { notices: await named(trx, notices) }, audit: { action: 'encompass.create', outcome: 'success', entityType: 'encompass_submission', entityId: submissionId, childIds, details: { notices: notices.length } } }
      })
    },

    /** The school's notices: a DSL sees only their own school's. */
    async forSchool() {
      return auditedTransaction(ctx, actor, 'encompass.list', async (trx, now) => {
        if (!isLead) return { result: [], audit: { action: 'encompass.list', outcome: 'success' } }
        const rows = await trx
          .selectFrom('encompass_notice as n')
          .innerJoin('child as c', 'c.id', 'n.child_id')
          .select(['n.id', 'n.child_id', 'n.incident_at', 'n.due_at', 'n.acknowledged_at', 'n.created_at', 'c.given_name', 'c.family_name'])
          .where('n.partnership_id', '=', actor.partnershipId)
          .where('n.school_agency_id', '=', actor.agencyId)
          // a notice is about a child: seen only while the child is in reach (a pupil who has left is not)
          .where(childInReach(actor, now))
          .orderBy('n.acknowledged_at', 'desc')
          .orderBy('n.due_at')
          .limit(300)
          .execute()
        return { result: rows, audit: { action: 'encompass.list', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))] } }
      })
    },

    async get(id: string) {
      return auditedTransaction(ctx, actor, 'encompass.view', async (trx, now) => {
        const none = { result: null, audit: { action: 'encompass.view', outcome: 'not_found' as const, entityId: id } }
        if (!isUuid(id)) return none
        const n = await trx
          .selectFrom('encompass_notice as n')
          .innerJoin('child as c', 'c.id', 'n.child_id')
          // a child with no school on roll has a notice with no school: its officer still opens it
          .leftJoin('agency as s', 's.id', 'n.school_agency_id')
          .selectAll('n')
          .select(['c.given_name', 'c.family_name', 's.name as school_name'])
          .where('n.partnership_id', '=', actor.partnershipId)
          .where('n.id', '=', id)
          .where((eb) => eb.or([eb('n.recorded_by_membership_id', '=', actor.membershipId), ...(isLead ? [eb('n.school_agency_id', '=', actor.agencyId)] : [])]))
          // and only while its child is in the viewer's reach: the officer who sent it, or the school, no longer reach a
          // child whose relationship has ended (ADR 0003: not found, as the child's own page)
          .where(childInReach(actor, now))
          .executeTakeFirst()
        if (!n) return none
        return { result: { notice: n, canAcknowledge: isLead && n.school_agency_id === actor.agencyId && !n.acknowledged_at }, audit: { action: 'encompass.view', outcome: 'success', entityType: 'encompass_notice', entityId: id, childIds: [n.child_id] } }
      })
    },

    async acknowledge(id: string, response: string) {
      return auditedTransaction(ctx, actor, 'encompass.acknowledge', async (trx, now) => {
        const none = { result: null, audit: { action: 'encompass.acknowledge', outcome: 'not_found' as const, entityId: id } }
        if (!isLead || !isUuid(id)) return none
        // the school's notice, and only while its child is in reach (as get and forSchool): one statement, the notice's row held
        const n = await trx
          .selectFrom('encompass_notice as n')
          .innerJoin('child as c', 'c.id', 'n.child_id')
          .selectAll('n')
          .where('n.partnership_id', '=', actor.partnershipId)
          .where('n.id', '=', id)
          .where('n.school_agency_id', '=', actor.agencyId)
          .where(childInReach(actor, now))
          .forUpdate('n')
          .executeTakeFirst()
        if (!n) return none
        // the same lead's second click (a double click, a resend) is their first acknowledgement, not an error
        if (n.acknowledged_at && n.acknowledged_by === actor.membershipId) return { result: { ok: true }, audit: { action: 'encompass.acknowledge', outcome: 'success', entityType: 'encompass_notice', entityId: id, childIds: [n.child_id], details: { replayed: true } } }
        if (n.acknowledged_at) throw new RefusedError('This notice has already been acknowledged')
        const late = n.due_at !== null && now > n.due_at
        await trx.updateTable('encompass_notice').set({ acknowledged_at: now, acknowledged_by: actor.membershipId, school_response: response || null }).where('id', '=', id).execute()
        // R12: met, or met late with the school's response as the reason (without it, refused: nothing above is kept)
        await clocks.meet(trx, actor.partnershipId, 'encompass_notice', id, now, late ? response.trim() || null : null, 'The notice is acknowledged after the start of the school day: record why, and what the school has done')
        return { result: { ok: true }, audit: { action: 'encompass.acknowledge', outcome: 'success', entityType: 'encompass_notice', entityId: id, childIds: [n.child_id], details: { late } } }
      })
    },
  }
}
