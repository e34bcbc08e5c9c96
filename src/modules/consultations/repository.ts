// Consultations with the school-based social worker: a sounding board, distinct from a referral, and counted
// separately. Visible to whoever asked and to the social workers who serve that school.
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { authoredNow } from '../../data/repositories/entries.ts'

export function consultationsRepository(ctx: Ctx, actor: Actor) {
  const isSsw = actor.role === 'school_social_worker'

  function visible(trx: Transaction<DB>, now: Date) {
    return trx
      .selectFrom('consultation as q')
      .leftJoin('child as c', 'c.id', 'q.child_id')
      .innerJoin('agency as s', 's.id', 'q.school_agency_id')
      .innerJoin('membership as am', 'am.id', 'q.asked_by_membership_id')
      .innerJoin('practitioner as ap', 'ap.id', 'am.practitioner_id')
      .where('q.partnership_id', '=', actor.partnershipId)
      .where((eb) =>
        eb.or([
          eb('q.asked_by_membership_id', '=', actor.membershipId),
          ...(isSsw
            ? [eb('q.school_agency_id', 'in', eb.selectFrom('membership_school as ms').select('ms.school_agency_id').where('ms.partnership_id', '=', actor.partnershipId).where('ms.membership_id', '=', actor.membershipId))]
            : []),
        ]),
      )
      // a consultation about a child is seen only while the child is in the viewer's reach (a pupil who has left is
      // not: ADR 0003, not found as the child's own page); one about no named child, by whoever it is visible to
      .where((eb) => eb.or([eb('q.child_id', 'is', null), childInReach(actor, now)(eb as never)]))
  }
  const columns = ['q.id', 'q.status', 'q.question', 'q.advice', 'q.next_step', 'q.follow_up_on', 'q.created_at', 'q.answered_at', 'q.child_id', 'c.given_name', 'c.family_name', 's.name as school_name', 'ap.given_name as asked_given', 'ap.family_name as asked_family'] as const

  return {
    async list() {
      return auditedTransaction(ctx, actor, 'consultation.list', async (trx, now) => {
        const rows = await visible(trx, now).select([...columns]).orderBy('q.status').orderBy('q.created_at', 'desc').limit(300).execute()
        return { result: rows, audit: { action: 'consultation.list', outcome: 'success', childIds: [...new Set(rows.flatMap((r) => (r.child_id ? [r.child_id] : [])))] } }
      })
    },

    async ask(input: { childId: string | null; question: string }) {
      return auditedTransaction(ctx, actor, 'consultation.ask', async (trx, now) => {
        const school = await trx.selectFrom('agency').select(['id', 'kind']).where('id', '=', actor.agencyId).where('partnership_id', '=', actor.partnershipId).executeTakeFirstOrThrow()
        if (school.kind !== 'school') throw new RefusedError('Consultations are asked from a school')
        if (input.childId) {
          if (!isUuid(input.childId)) return { result: null, audit: { action: 'consultation.ask', outcome: 'not_found' as const } }
          const c = await trx.selectFrom('child as c').select('c.id').where('c.id', '=', input.childId).where('c.partnership_id', '=', actor.partnershipId).where(childInReach(actor, now)).executeTakeFirst()
          if (!c) return { result: null, audit: { action: 'consultation.ask', outcome: 'not_found' as const } }
        }
        // the school-based social workers in post who serve this school
        const workers = await currentMembershipsQuery(trx, actor.partnershipId, now)
          .innerJoin('membership_school as ms', (j) => j.onRef('ms.membership_id', '=', 'm.id').on('ms.partnership_id', '=', actor.partnershipId))
          .select('m.id')
          .where('ms.school_agency_id', '=', actor.agencyId)
          .where('m.role', '=', 'school_social_worker')
          .execute()
        if (!workers.length) throw new RefusedError('No school-based social worker serves your school yet: contact the front door for advice')
        const id = randomUUID()
        await trx
          .insertInto('consultation')
          .values({ id, partnership_id: actor.partnershipId, child_id: input.childId, school_agency_id: actor.agencyId, asked_by_membership_id: actor.membershipId, social_worker_membership_id: null, concern_id: null, question: input.question, created_at: now })
          .execute()
        await notifyMemberships(trx, actor.partnershipId, workers.map((w) => w.id), { kind: 'consultation.asked', childId: input.childId, subjectType: 'consultation', subjectId: id, link: `/consultations/${id}` }, now)
        return { result: { id }, audit: { action: 'consultation.ask', outcome: 'success', entityType: 'consultation', entityId: id, childIds: input.childId ? [input.childId] : [] } }
      })
    },

    async get(id: string) {
      return auditedTransaction(ctx, actor, 'consultation.view', async (trx, now) => {
        if (!isUuid(id)) return { result: null, audit: { action: 'consultation.view', outcome: 'not_found' as const, entityId: id } }
        const row = await visible(trx, now).select([...columns]).where('q.id', '=', id).executeTakeFirst()
        if (!row) return { result: null, audit: { action: 'consultation.view', outcome: 'not_found' as const, entityId: id } }
        return { result: { consultation: row, canAnswer: isSsw && row.status === 'asked' }, audit: { action: 'consultation.view', outcome: 'success', entityType: 'consultation', entityId: id, childIds: row.child_id ? [row.child_id] : [] } }
      })
    },

    /** The school-based social worker's advice, the agreed next step and the follow-up date; lands in the chronology. */
    async answer(id: string, input: { advice: string; nextStep: string; followUpOn: string | null }) {
      return auditedTransaction(ctx, actor, 'consultation.answer', async (trx, now) => {
        const none = { result: null, audit: { action: 'consultation.answer', outcome: 'not_found' as const, entityId: id } }
        if (!isSsw || !isUuid(id)) return none
        // the consultation's row is held until the answer is in: a double click answers once
        const q = await visible(trx, now).select(['q.id', 'q.status', 'q.child_id', 'q.asked_by_membership_id', 'q.social_worker_membership_id', 'q.advice', 'q.next_step']).where('q.id', '=', id).forNoKeyUpdate('q').executeTakeFirst()
        if (!q) return none
        if (q.status !== 'asked') {
          // the same answer sent again by its author (the second click of a double click): that answer, once
          if (q.social_worker_membership_id === actor.membershipId && q.advice === input.advice && q.next_step === input.nextStep) {
            return { result: { id }, audit: { action: 'consultation.answer', outcome: 'success', entityType: 'consultation', entityId: id, childIds: q.child_id ? [q.child_id] : [], details: { replay: true } } }
          }
          throw new RefusedError('This consultation has already been answered')
        }
        let entryId: string | null = null
        if (q.child_id) {
          entryId = randomUUID()
          await trx
            .insertInto('entry')
            .values({
              id: entryId,
              partnership_id: actor.partnershipId,
              child_id: q.child_id,
              type: 'consultation',
              category: null,
              ...authoredNow(actor, now),
              significance: 'medium',
              summary: `Consultation with the school-based social worker. Advice: ${input.advice}. Next step: ${input.nextStep}.`,
              detail_type: 'consultation',
              detail_id: id,
              visibility: 'team',
              addressed_to_membership_id: q.asked_by_membership_id,
              agency_record_id: null,
              supersedes_entry_id: null,
            })
            .execute()
        }
        await trx
          .updateTable('consultation')
          .set({ advice: input.advice, next_step: input.nextStep, follow_up_on: input.followUpOn, status: 'answered', answered_at: now, social_worker_membership_id: actor.membershipId, entry_id: entryId })
          .where('id', '=', id)
          .where('partnership_id', '=', actor.partnershipId)
          .execute()
        await notifyMemberships(trx, actor.partnershipId, [q.asked_by_membership_id], { kind: 'consultation.answered', childId: q.child_id, subjectType: 'consultation', subjectId: id, link: `/consultations/${id}` }, now)
        return { result: { id }, audit: { action: 'consultation.answer', outcome: 'success', entityType: 'consultation', entityId: id, childIds: q.child_id ? [q.child_id] : [] } }
      })
    },
  }
}
