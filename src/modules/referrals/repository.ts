// Contacts and referrals to the front door (MASH), the front door's work on them, and what goes back to the
// referrer: the decision and its rationale, at every step a status they can follow, and a way to challenge.
import { randomUUID } from 'node:crypto'
import { sql, type ExpressionBuilder, type Transaction } from 'kysely'
import { SAFEGUARDING_LEAD_ROLES } from '../../access/policy.ts'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'
import { grantFrontDoorContact } from '../../data/relationships.ts'
import type { DB, Decision } from '../../data/schema.ts'
import { auditedTransaction, KeyReusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { recordReferralSharing } from '../sharing/referral.ts'
import { inIdentityIndex, searchesIdentityIndex } from '../search/repository.ts'
import { concernDecidedBy } from '../concerns/repository.ts'
import { authoredNow } from '../../data/repositories/entries.ts'
import { createProvisionalChild, type NewChild } from '../../data/repositories/provisional-child.ts'

export const DECISION_LABELS: Record<Decision, string> = {
  nfa: 'No further action',
  advice: 'Advice and information',
  early_help: 'Early help',
  s17: 'Child and family assessment (section 17, child in need)',
  s47: 'Strategy discussion (section 47 enquiry)',
  police: 'Referred to the police',
}

/** Decisions that need a manager's sign-off before the referrer is told (partnership configuration; default). */
export const DEFAULT_SIGN_OFF: readonly Decision[] = ['nfa', 's47']

const STATUS_LABELS = {
  received: 'Received by the front door',
  acknowledged: 'Acknowledged: a social worker is looking at it',
  checks: 'Checks with other agencies in progress',
  decided: 'Decided',
  awaiting_sign_off: 'Decision made, waiting for a manager’s sign-off',
  closed: 'Closed',
} as const
export { STATUS_LABELS }

export interface ReferralInput {
  childIds: string[]
  kind: 'contact' | 'referral'
  reason: string
  levelBelieved: number | null
  levelReason: string | null
  parentsKnow: boolean
  parentsNotToldReason: string | null
  urgency: 'immediate' | 'today' | 'routine'
  ppnReference: string | null
  concernIds: string[]
  idempotencyKey: string
  /** Recorded by the front door from a phone call from the public. */
  publicReferrer?: { name: string; contact: string } | null
  /**
   * A child nobody knows yet, named by the front door (searchesIdentityIndex: refused for anyone else): created
   * provisional in the referral's transaction, its sight the referral's front_door_contact as for every child named.
   */
  newChild?: NewChild | null
}

/**
 * Acknowledging a referral already acknowledged (by a colleague, or the same button pressed twice): nothing is changed.
 * The API answers 409; the page takes the worker to the referral, which shows who acknowledged it and when.
 */
export class AlreadyAcknowledgedError extends RefusedError {}

export function referralsRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const frontDoorWorker = actor.role === 'front_door_social_worker' || actor.role === 'team_manager'

  /**
   * Referrals the actor may see as a referrer: their own, those they recorded (the front door's record of a call from
   * the public, whose referrer is the caller: the one who took the call follows it, to tell the caller), and
   * (safeguarding leads) their agency's.
   */
  function asReferrer(trx: Transaction<DB>) {
    return trx
      .selectFrom('referral as f')
      .innerJoin('child as c', 'c.id', 'f.child_id')
      .where('f.partnership_id', '=', actor.partnershipId)
      .where((eb) =>
        eb.or([
          eb('f.referrer_membership_id', '=', actor.membershipId),
          eb('f.recorded_by_membership_id', '=', actor.membershipId),
          ...(SAFEGUARDING_LEAD_ROLES.includes(actor.role) ? [eb('f.source_agency_id', '=', actor.agencyId)] : []),
        ]),
      )
  }

  /**
   * Referrals in the actor's front-door team's queue, of children still in the actor's reach: the front door's
   * sight of a child (its front_door_contact) lasts while the referral is open, and 10 working days after the
   * decision (reopened while a challenge to it is open); after that the referral is no longer theirs to read.
   */
  function asFrontDoor(trx: Transaction<DB>, now: Date) {
    return trx
      .selectFrom('referral as f')
      .innerJoin('child as c', 'c.id', 'f.child_id')
      .where('f.partnership_id', '=', actor.partnershipId)
      .where('f.queue_team_id', '=', actor.teamId ?? '00000000-0000-0000-0000-000000000000')
      .where(childInReach(actor, now))
  }

  async function frontDoorTeam(trx: Transaction<DB>, outOfHours: boolean) {
    const teams = await trx.selectFrom('team').select(['id', 'is_front_door', 'is_out_of_hours']).where('partnership_id', '=', actor.partnershipId).where((eb) => eb.or([eb('is_front_door', '=', true), eb('is_out_of_hours', '=', true)])).execute()
    const team = (outOfHours ? teams.find((t) => t.is_out_of_hours) : undefined) ?? teams.find((t) => t.is_front_door)
    if (!team) throw new RefusedError('This partnership has no front door team set up')
    return team.id
  }

  /** Current members of a team (started, not ended, the practitioner not disabled), of some roles if given. */
  async function teamMembers(trx: Transaction<DB>, teamId: string, now: Date, roles?: string[]) {
    let q = currentMembershipsQuery(trx, actor.partnershipId, now).select('m.id').where('m.team_id', '=', teamId)
    if (roles) q = q.where('m.role', 'in', roles)
    return (await q.execute()).map((m) => m.id)
  }

  async function writeEntry(trx: Transaction<DB>, now: Date, childId: string, e: { type: string; summary: string; significance: 'low' | 'medium' | 'high' | 'critical'; detailType: string; detailId: string; addressedTo?: string | null; visibility?: 'team' | 'front_door' }) {
    await trx
      .insertInto('entry')
      .values({
        id: randomUUID(),
        partnership_id: actor.partnershipId,
        child_id: childId,
        type: e.type,
        category: null,
        ...authoredNow(actor, now),
        significance: e.significance,
        summary: e.summary,
        detail_type: e.detailType,
        detail_id: e.detailId,
        visibility: e.visibility ?? 'team',
        addressed_to_membership_id: e.addressedTo ?? null,
        agency_record_id: null,
        supersedes_entry_id: null,
      })
      .execute()
  }

  async function loadForWork(trx: Transaction<DB>, referralId: string, now: Date) {
    return asFrontDoor(trx, now).selectAll('f').where('f.id', '=', referralId).forUpdate().executeTakeFirst()
  }
  type WorkRow = NonNullable<Awaited<ReturnType<typeof loadForWork>>>

  /** Shared shape of the front door's steps: find in my queue (else not found), act, audit. */
  function transition(referralId: string, action: string, act: (trx: Transaction<DB>, now: Date, f: WorkRow) => Promise<void>) {
    return auditedTransaction(ctx, actor, action, async (trx, now) => {
      const none = { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'referral', entityId: referralId } }
      if (!frontDoorWorker || !isUuid(referralId)) return none
      const f = await loadForWork(trx, referralId, now)
      if (!f) return none
      await act(trx, now, f)
      return { result: { ok: true as const }, audit: { action, outcome: 'success' as const, entityType: 'referral', entityId: referralId, childIds: [f.child_id] } }
    })
  }

  return {
    async levels() {
      return ctx.db.selectFrom('need_level').selectAll().where('partnership_id', '=', actor.partnershipId).orderBy('level').execute()
    },

    /** One submission may cover siblings: one referral per child, each decided on its own. Idempotent by key, the key the recorder's own. */
    async submit(sent: ReferralInput) {
      // ids as stored (lower case): an id in capitals names the same child or concern, once, and a retry in capitals is
      // the same referral (as concerns and information requests take them)
      const input = { ...sent, childIds: sent.childIds.map((c) => c.toLowerCase()), concernIds: sent.concernIds.map((k) => k.toLowerCase()) }
      return auditedTransaction<{ submissionId: string; referrals: { id: string; childId: string; reReferral: boolean }[]; replayed: boolean } | null>(ctx, actor, 'referral.create', async (trx, now) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`referral:${actor.partnershipId}:${actor.membershipId}:${input.idempotencyKey}`}))`.execute(trx)
        const existing = await trx
          .selectFrom('referral as f')
          .innerJoin('child as c', 'c.id', 'f.child_id')
          .select(['f.id', 'f.child_id', 'f.submission_id', 'f.re_referral_of', 'f.kind', 'f.reason', 'f.level_believed', 'f.level_reason', 'f.parents_know', 'f.parents_not_told_reason', 'f.urgency', 'f.ppn_reference', 'f.referrer_name', 'f.referrer_contact'])
          .select(['c.given_name', 'c.family_name', 'c.date_of_birth'])
          .where('f.partnership_id', '=', actor.partnershipId)
          .where('f.idempotency_key', '=', input.idempotencyKey)
          .where('f.recorded_by_membership_id', '=', actor.membershipId)
          .execute()
        if (existing.length) {
          // the same form sent again is the first submission; the form changed and sent again with its key is refused
          // (a child not yet known was made by the first submission, so it is the one child the form does not name)
          const named = new Set(existing.map((e) => e.child_id))
          const chosen = new Set(input.childIds)
          const made = existing.filter((e) => !chosen.has(e.child_id))
          const text = (v: string | null | undefined) => v ?? ''
          const same =
            named.size === chosen.size + (input.newChild ? 1 : 0) &&
            input.childIds.every((c) => named.has(c)) &&
            made.every((e) => e.given_name === input.newChild?.givenName && e.family_name === input.newChild.familyName && e.date_of_birth === input.newChild.dateOfBirth) &&
            existing.every(
              (e) =>
                e.kind === input.kind &&
                e.reason === input.reason &&
                (e.level_believed ?? null) === (input.levelBelieved ?? null) &&
                text(e.level_reason) === text(input.levelReason) &&
                e.parents_know === input.parentsKnow &&
                text(e.parents_not_told_reason) === text(input.parentsNotToldReason) &&
                e.urgency === input.urgency &&
                text(e.ppn_reference) === text(input.ppnReference) &&
                text(e.referrer_name) === text(input.publicReferrer?.name) &&
                text(e.referrer_contact) === text(input.publicReferrer?.contact),
            )
          if (!same) throw new KeyReusedError('This idempotency key was already used for a different referral: choose a new key for a new referral')
          return {
            result: { submissionId: existing[0]!.submission_id, referrals: existing.map((e) => ({ id: e.id, childId: e.child_id, reReferral: Boolean(e.re_referral_of) })), replayed: true },
            audit: { action: 'referral.create', outcome: 'success', entityType: 'referral_submission', entityId: existing[0]!.submission_id, childIds: existing.map((e) => e.child_id), details: { replayed: true } },
          }
        }
        // a child nobody knows yet is the front door's to name (a call from the public about a child no agency knows)
        if (input.newChild && !searchesIdentityIndex(actor)) throw new RefusedError('Only the front door names a child not yet known in a referral: log a concern about them instead')
        const childIds = [...new Set(input.childIds)]
        if (!childIds.length && !input.newChild) throw new RefusedError('Choose the child or children the referral is about')
        if (childIds.some((id) => !isUuid(id))) return { result: null, audit: { action: 'referral.create', outcome: 'not_found' } }
        // the front door records calls about children it does not yet reach: it may name any child of the partnership's
        // identity index (the set its search covers: src/modules/search), whose sight this referral's contact then gives it
        const inReach = childIds.length
          ? await trx
              .selectFrom('child as c')
              .select('c.id')
              .where('c.partnership_id', '=', actor.partnershipId)
              .where('c.id', 'in', childIds)
              .where((eb) => (searchesIdentityIndex(actor) ? eb.or([childInReach(actor, now)(eb), inIdentityIndex(actor)]) : childInReach(actor, now)(eb)))
              .execute()
          : []
        if (inReach.length !== childIds.length) return { result: null, audit: { action: 'referral.create', outcome: 'not_found' } }
        // the concerns it is made from are about the children it names, and are the referrer's agency's own or ones the
        // referrer decides (src/modules/concerns): whoever raised one is told the decision and its reasons, so a concern
        // the referrer cannot see (another school's), or one about another child, is not found, never linked
        const concernIds = [...new Set(input.concernIds)]
        if (concernIds.length) {
          if (concernIds.some((k) => !isUuid(k)) || !childIds.length) return { result: null, audit: { action: 'referral.create', outcome: 'not_found' } }
          const own = await trx
            .selectFrom('concern as k')
            .select('k.id')
            .where('k.partnership_id', '=', actor.partnershipId)
            .where('k.id', 'in', concernIds)
            // about a child the referral names: a concern about another child linked here would tell its raiser nothing
            // (their concern's page lists the referrals of its own child) and put another child's worry in this one's
            .where('k.child_id', 'in', childIds)
            // the agency's own (any referrer of it), or one the referrer decides (concernDecidedBy: routed to them, or
            // standing in for those it went to who have left) — the concerns module's one rule
            .where((eb) => eb.or([eb.and([eb('k.agency_id', '=', actor.agencyId), sql<boolean>`k.routed_to = '{}'::uuid[]`]), concernDecidedBy(actor, eb, trx, now)]))
            .execute()
          if (own.length !== concernIds.length) return { result: null, audit: { action: 'referral.create', outcome: 'not_found' } }
        }
        const agency = await trx.selectFrom('agency').select('kind').where('id', '=', actor.agencyId).executeTakeFirstOrThrow()
        const isPublic = Boolean(input.publicReferrer)
        if (isPublic && !frontDoorWorker) throw new RefusedError('Only the front door records contacts from the public')
        const source = isPublic ? 'public' : agency.kind === 'school' ? 'school' : agency.kind === 'police' ? 'police' : agency.kind === 'health' ? 'health' : 'other'
        const outOfHours = !(await clocks.isWorkingTime(trx, actor.partnershipId, now))
        const queueTeamId = await frontDoorTeam(trx, outOfHours)
        // the child not yet known, once every check that answers "not found" has passed (that answer commits its audit
        // row, which must not leave a child behind): provisional, in the index, with no agency_record — the front door
        // is no agency holding a record of the child; it sees the child through the contact granted below, as any
        // child it names, and afterwards finds it in the index, like any other
        if (input.newChild) childIds.push(await createProvisionalChild(trx, actor, input.newChild, now, null))
        const submissionId = randomUUID()
        const created: { id: string; childId: string; reReferral: boolean }[] = []
        for (const childId of childIds) {
          const id = randomUUID()
          const yearAgo = new Date(now.getTime() - 365 * 86_400_000)
          const previous = await trx.selectFrom('referral').select('id').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).where('kind', '=', 'referral').where('received_at', '>=', yearAgo).orderBy('received_at', 'desc').limit(1).executeTakeFirst()
          await trx
            .insertInto('referral')
            .values({
              id,
              partnership_id: actor.partnershipId,
              submission_id: submissionId,
              child_id: childId,
              kind: input.kind,
              source,
              source_agency_id: isPublic ? null : actor.agencyId,
              referrer_membership_id: isPublic ? null : actor.membershipId,
              referrer_name: input.publicReferrer?.name || null,
              referrer_contact: input.publicReferrer?.contact || null,
              recorded_by_membership_id: actor.membershipId,
              concern_ids: concernIds,
              reason: input.reason,
              level_believed: input.levelBelieved,
              level_reason: input.levelReason,
              parents_know: input.parentsKnow,
              parents_not_told_reason: input.parentsNotToldReason,
              urgency: input.urgency,
              ppn_reference: input.ppnReference,
              out_of_hours: outOfHours,
              queue_team_id: queueTeamId,
              re_referral_of: previous?.id ?? null,
              received_at: now,
              idempotency_key: input.idempotencyKey,
              created_at: now,
            })
            .execute()
          // the front door may see the child while the contact is open, and for 10 working days after the decision
          await grantFrontDoorContact(trx, { partnershipId: actor.partnershipId, childId, teamId: queueTeamId, source: `referral ${id}`, reason: `Open ${input.kind} at the front door`, createdBy: actor.membershipId, now })
          await writeEntry(trx, now, childId, {
            type: input.kind,
            summary: `${input.kind === 'referral' ? 'Referral' : 'Contact'} to the front door (${input.urgency}${input.levelBelieved ? `, level ${input.levelBelieved} believed` : ''})${previous ? ' — a re-referral within 12 months' : ''}.`,
            significance: input.urgency === 'immediate' ? 'critical' : 'high',
            detailType: 'referral',
            detailId: id,
          })
          // the referral moves information beyond the referrer's agency: recorded as a sharing decision (issue 6)
          await recordReferralSharing(trx, actor, now, { referralId: id, childId, kind: input.kind, urgency: input.urgency, queueTeamId, parentsKnow: input.parentsKnow, parentsNotToldReason: input.parentsNotToldReason, fromPublic: isPublic })
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R1', childId, subjectType: 'referral', subjectId: id, startedAt: now })
          await notifyMemberships(trx, actor.partnershipId, await teamMembers(trx, queueTeamId, now), { kind: 'referral.new', childId, subjectType: 'referral', subjectId: id, link: `/front-door/referrals/${id}` }, now)
          created.push({ id, childId, reReferral: Boolean(previous) })
        }
        // the concerns it is made from are decided: each was checked above to be the referrer's to decide (their agency's
        // own, or routed to them), so one routed from another agency leaves the triage queue too
        if (concernIds.length) {
          await trx.updateTable('concern').set({ status: 'triaged' }).where('partnership_id', '=', actor.partnershipId).where('id', 'in', concernIds).where('status', '=', 'open').execute()
        }
        return {
          result: { submissionId, referrals: created, replayed: false },
          audit: { action: 'referral.create', outcome: 'success', entityType: 'referral_submission', entityId: submissionId, childIds, details: { referralIds: created.map((c) => c.id), outOfHours } },
        }
      })
    },

    /** The referrer's view: status, decision and rationale — never the front door's checks. */
    async status(referralId: string) {
      return auditedTransaction(ctx, actor, 'referral.status', async (trx) => {
        const none = { result: null, audit: { action: 'referral.status', outcome: 'not_found' as const, entityType: 'referral', entityId: referralId } }
        if (!isUuid(referralId)) return none
        const f = await asReferrer(trx)
          .select([
            'f.id', 'f.kind', 'f.status', 'f.child_id', 'f.reason', 'f.urgency', 'f.level_believed', 'f.received_at', 'f.acknowledged_at', 'f.decision', 'f.rationale',
            'f.level_found', 'f.decided_at', 'f.signed_off_at', 'f.referrer_told_at', 'f.re_referral_of', 'f.out_of_hours', 'f.referrer_membership_id', 'c.given_name', 'c.family_name', 'f.row_version',
          ])
          .where('f.id', '=', referralId)
          .executeTakeFirst()
        if (!f) return none
        const told = Boolean(f.referrer_told_at)
        const challenges = await trx.selectFrom('challenge').select(['id', 'reason', 'status', 'response', 'created_at', 'responded_at']).where('partnership_id', '=', actor.partnershipId).where('referral_id', '=', referralId).orderBy('created_at').execute()
        const dueBy = await clocks.due(trx, actor.partnershipId, 'referral', referralId, 'R1')
        return {
          result: {
            referral: { ...f, decision: told ? f.decision : null, rationale: told ? f.rationale : null, level_found: told ? f.level_found : null },
            challenges,
            dueBy,
            canChallenge: told && f.referrer_membership_id === actor.membershipId && !challenges.some((c) => c.status === 'open'),
          },
          audit: { action: 'referral.status', outcome: 'success', entityType: 'referral', entityId: referralId, childIds: [f.child_id] },
        }
      })
    },

    async mine() {
      return auditedTransaction(ctx, actor, 'referral.list', async (trx) => {
        const rows = await asReferrer(trx).select(['f.id', 'f.kind', 'f.status', 'f.received_at', 'f.child_id', 'f.referrer_told_at', 'f.decision', 'c.given_name', 'c.family_name']).orderBy('f.received_at', 'desc').limit(300).execute()
        return { result: rows.map((r) => ({ ...r, decision: r.referrer_told_at ? r.decision : null })), audit: { action: 'referral.list', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))] } }
      })
    },

    /**
     * The front door's queue: open referrals of my team, and decided ones whose referrer has challenged the decision
     * (the challenge is the team manager's to answer, on its own clock), ordered by when the next step is due: the
     * decision (R1), a decision's sign-off (the referrer is waiting to be told: R2), or the challenge's answer (CH).
     */
    async queue() {
      return auditedTransaction(ctx, actor, 'referral.queue', async (trx, now) => {
        if (!frontDoorWorker) return { result: [], audit: { action: 'referral.queue', outcome: 'success' } }
        const openChallenge = (eb: ExpressionBuilder<DB & { f: DB['referral'] }, 'f'>) => eb.selectFrom('challenge as ch').select('ch.id').whereRef('ch.referral_id', '=', 'f.id').where('ch.partnership_id', '=', actor.partnershipId).where('ch.status', '=', 'open')
        const challengeDue = sql<Date | null>`(select k.due_at from challenge ch join clock k on k.subject_id = ch.id and k.partnership_id = ch.partnership_id where ch.referral_id = f.id and ch.partnership_id = f.partnership_id and ch.status = 'open' and k.rule = 'CH' and k.state in ('running', 'overdue') order by k.created_at desc limit 1)`
        const rows = await asFrontDoor(trx, now)
          .leftJoin('agency as a', 'a.id', 'f.source_agency_id')
          .select(['f.id', 'f.kind', 'f.status', 'f.urgency', 'f.received_at', 'f.child_id', 'f.source', 'f.out_of_hours', 'f.re_referral_of', 'f.level_believed', 'c.given_name', 'c.family_name', 'a.name as source_agency'])
          .select(sql<Date | null>`coalesce(${clocks.dueExpression('R1')}, ${clocks.dueExpression('R2')}, ${challengeDue})`.as('due_at'))
          .select((eb) => eb.exists(openChallenge(eb)).as('challenged'))
          .where((eb) => eb.or([eb('f.status', 'not in', ['decided', 'closed']), eb.exists(openChallenge(eb))]))
          .orderBy(sql`case f.urgency when 'immediate' then 0 when 'today' then 1 else 2 end`)
          .orderBy('due_at')
          .orderBy('f.received_at')
          .limit(500)
          .execute()
        return { result: rows, audit: { action: 'referral.queue', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))] } }
      })
    },

    /** Everything the front door holds on one referral: the referral, checks, history, challenges. */
    async work(referralId: string) {
      return auditedTransaction(ctx, actor, 'referral.view', async (trx, now) => {
        const none = { result: null, audit: { action: 'referral.view', outcome: 'not_found' as const, entityType: 'referral', entityId: referralId } }
        if (!frontDoorWorker || !isUuid(referralId)) return none
        const f = await asFrontDoor(trx, now)
          .leftJoin('agency as a', 'a.id', 'f.source_agency_id')
          .leftJoin('membership as rm', 'rm.id', 'f.referrer_membership_id')
          .leftJoin('practitioner as rp', 'rp.id', 'rm.practitioner_id')
          // who acknowledged it (the page says by whom and when)
          .leftJoin('membership as am', 'am.id', 'f.acknowledged_by')
          .leftJoin('practitioner as ap', 'ap.id', 'am.practitioner_id')
          .selectAll('f')
          .select(['c.given_name', 'c.family_name', 'c.date_of_birth', 'a.name as source_agency', 'rp.given_name as ref_given', 'rp.family_name as ref_family', 'rp.email as ref_email', 'rp.phone as ref_phone', 'ap.given_name as ack_given', 'ap.family_name as ack_family'])
          .where('f.id', '=', referralId)
          .executeTakeFirst()
        if (!f) return none
        const [checks, challenges, previous] = await Promise.all([
          trx.selectFrom('referral_check as k').innerJoin('membership as m', 'm.id', 'k.by_membership_id').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').select(['k.agency', 'k.finding', 'k.created_at', 'p.given_name', 'p.family_name']).where('k.partnership_id', '=', actor.partnershipId).where('k.referral_id', '=', referralId).orderBy('k.created_at').execute(),
          trx.selectFrom('challenge').selectAll().where('partnership_id', '=', actor.partnershipId).where('referral_id', '=', referralId).orderBy('created_at').execute(),
          // the page says "earlier referrals": those received before this one (a later one is not its history)
          trx.selectFrom('referral').select(['id', 'received_at', 'decision', 'status']).where('partnership_id', '=', actor.partnershipId).where('child_id', '=', f.child_id).where('id', '<>', referralId).where('received_at', '<', f.received_at).orderBy('received_at', 'desc').limit(20).execute(),
        ])
        const dueBy = await clocks.due(trx, actor.partnershipId, 'referral', referralId, 'R1')
        return {
          result: { referral: f, checks, challenges, previous, dueBy, canSignOff: actor.role === 'team_manager' },
          audit: { action: 'referral.view', outcome: 'success', entityType: 'referral', entityId: referralId, childIds: [f.child_id] },
        }
      })
    },

    async acknowledge(referralId: string) {
      return transition(referralId, 'referral.acknowledge', async (trx, now, f) => {
        if (f.status !== 'received') throw new AlreadyAcknowledgedError('This referral has already been acknowledged')
        await trx.updateTable('referral').set({ status: 'acknowledged', acknowledged_at: now, acknowledged_by: actor.membershipId }).where('id', '=', f.id).execute()
      })
    },

    async addCheck(referralId: string, check: { agency: string; finding: string }) {
      return transition(referralId, 'referral.check', async (trx, now, f) => {
        if (['decided', 'closed', 'awaiting_sign_off'].includes(f.status)) throw new RefusedError('Checks cannot be added after the decision')
        await trx.insertInto('referral_check').values({ id: randomUUID(), partnership_id: actor.partnershipId, referral_id: f.id, agency: check.agency, finding: check.finding, by_membership_id: actor.membershipId, created_at: now }).execute()
        await trx.updateTable('referral').set({ status: 'checks', acknowledged_at: f.acknowledged_at ?? now, acknowledged_by: f.acknowledged_by ?? actor.membershipId }).where('id', '=', f.id).execute()
      })
    },

    /** The decision, with its required rationale and the level of need found. */
    async decide(referralId: string, d: { decision: Decision; rationale: string; levelFound: number; lateReason?: string | null }, signOff: readonly Decision[] = DEFAULT_SIGN_OFF) {
      return transition(referralId, 'referral.decide', async (trx, now, f) => {
        if (['decided', 'closed', 'awaiting_sign_off'].includes(f.status)) throw new RefusedError('This referral has already been decided')
        const needsSignOff = signOff.includes(d.decision) && actor.role !== 'team_manager'
        await trx
          .updateTable('referral')
          // a decision made again (returned, or a challenge upheld) starts with no sign-off: the earlier one, and the note of
          // a return, are in the chronology and no longer describe this decision
          .set({ decision: d.decision, rationale: d.rationale, level_found: d.levelFound, decided_by: actor.membershipId, decided_at: now, needs_sign_off: needsSignOff, status: needsSignOff ? 'awaiting_sign_off' : 'decided', acknowledged_at: f.acknowledged_at ?? now, acknowledged_by: f.acknowledged_by ?? actor.membershipId, signed_off_by: null, signed_off_at: null, sign_off_note: null })
          .where('id', '=', f.id)
          .execute()
        // R1 is met by the decision (late only with the reason, refused on its field: nothing above is kept); R2 (the
        // referrer told) runs from it
        await clocks.meet(trx, actor.partnershipId, 'referral', f.id, now, d.lateReason ?? null, 'The decision is later than its one working day: record the reason it is late')
        // a decision made again after a manager returned it: the referrer has been waiting since the first, and
        // R2 keeps running from then (restarting it would hide how late they were told)
        await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R2', childId: f.child_id, subjectType: 'referral-feedback', subjectId: f.id, startedAt: now, keepRunning: true })
        if (needsSignOff) {
          await notifyMemberships(trx, actor.partnershipId, await teamMembers(trx, f.queue_team_id, now, ['team_manager']), { kind: 'referral.sign-off', childId: f.child_id, subjectType: 'referral', subjectId: f.id, link: `/front-door/referrals/${f.id}` }, now)
        } else {
          await tellReferrer(trx, now, f, d.decision, d.rationale, d.levelFound)
        }
      })
    },

    /** A manager signs off the decision (the referrer is then told), or returns it with a note. */
    async signOff(referralId: string, s: { approve: boolean; note: string }) {
      return transition(referralId, 'referral.sign-off', async (trx, now, f) => {
        if (actor.role !== 'team_manager') throw new RefusedError('Only a team manager can sign off a decision')
        if (f.status !== 'awaiting_sign_off') throw new RefusedError('This decision is not waiting for sign-off')
        if (s.approve) {
          await trx.updateTable('referral').set({ status: 'decided', signed_off_by: actor.membershipId, signed_off_at: now, sign_off_note: s.note || null }).where('id', '=', f.id).execute()
          await tellReferrer(trx, now, f, f.decision!, f.rationale!, f.level_found!)
        } else {
          await trx.updateTable('referral').set({ status: 'checks', decision: null, rationale: null, level_found: null, decided_by: null, decided_at: null, sign_off_note: s.note }).where('id', '=', f.id).execute()
          // the decision returned is kept where the front door sees it (the referrer was never told it): who decided
          // what, and why the manager sent it back, stay on the record after the decision is made again
          await writeEntry(trx, now, f.child_id, {
            type: 'decision_returned',
            summary: `A manager returned the front door’s decision to be made again: ${f.decision ? DECISION_LABELS[f.decision] : 'no decision'} (level ${f.level_found ?? 'not given'} found). Rationale: ${f.rationale ?? ''} Manager’s note: ${s.note}`,
            significance: 'medium',
            detailType: 'referral',
            detailId: f.id,
            visibility: 'front_door',
          })
          // a returned decision is to be made again: R1 runs again (R2 keeps running: the referrer is still waiting)
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R1', childId: f.child_id, subjectType: 'referral', subjectId: f.id, startedAt: now })
          if (f.decided_by) await notifyMemberships(trx, actor.partnershipId, [f.decided_by], { kind: 'referral.sign-off', childId: f.child_id, subjectType: 'referral', subjectId: f.id, link: `/front-door/referrals/${f.id}` }, now)
        }
      })
    },

    /** The referrer challenges the decision: it goes to the front door's managers, on its own clock. */
    async challenge(referralId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'referral.challenge', async (trx, now) => {
        const none = { result: null, audit: { action: 'referral.challenge', outcome: 'not_found' as const, entityType: 'referral', entityId: referralId } }
        if (!isUuid(referralId)) return none
        // the referral's row is held until the challenge is in: a double click challenges once
        const f = await asReferrer(trx).select(['f.id', 'f.child_id', 'f.referrer_told_at', 'f.queue_team_id', 'f.referrer_membership_id']).where('f.id', '=', referralId).forNoKeyUpdate('f').executeTakeFirst()
        if (!f) return none
        if (!f.referrer_told_at || f.referrer_membership_id !== actor.membershipId) throw new RefusedError('Only the referrer can challenge a decision they have been told')
        const open = await trx.selectFrom('challenge').select(['id', 'raised_by_membership_id', 'reason']).where('partnership_id', '=', actor.partnershipId).where('referral_id', '=', referralId).where('status', '=', 'open').executeTakeFirst()
        // the same challenge sent again by the referrer (the second click of a double click): that challenge, once
        if (open && open.raised_by_membership_id === actor.membershipId && open.reason === reason) {
          return { result: { id: open.id }, audit: { action: 'referral.challenge', outcome: 'success', entityType: 'challenge', entityId: open.id, childIds: [f.child_id], details: { replay: true } } }
        }
        if (open) throw new RefusedError('There is already an open challenge to this decision')
        const id = randomUUID()
        await trx.insertInto('challenge').values({ id, partnership_id: actor.partnershipId, referral_id: referralId, raised_by_membership_id: actor.membershipId, reason, created_at: now }).execute()
        await writeEntry(trx, now, f.child_id, { type: 'challenge', summary: 'The referrer challenged the front door’s decision (escalation to the team manager).', significance: 'high', detailType: 'challenge', detailId: id })
        await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'CH', childId: f.child_id, subjectType: 'challenge', subjectId: id, startedAt: now })
        // the front door's managers must see the referral to answer: its sight of the child is open again until then
        await frontDoorSightUntil(trx, referralId, null)
        await notifyMemberships(trx, actor.partnershipId, await teamMembers(trx, f.queue_team_id, now, ['team_manager']), { kind: 'challenge.new', childId: f.child_id, subjectType: 'referral', subjectId: referralId, link: `/front-door/referrals/${referralId}` }, now)
        return { result: { id }, audit: { action: 'referral.challenge', outcome: 'success', entityType: 'challenge', entityId: id, childIds: [f.child_id] } }
      })
    },

    /** The manager answers a challenge: upheld reopens the referral for a new decision. */
    async answerChallenge(referralId: string, a: { upheld: boolean; response: string; lateReason?: string | null }) {
      return transition(referralId, 'referral.challenge-answer', async (trx, now, f) => {
        if (actor.role !== 'team_manager') throw new RefusedError('Only a team manager can answer a challenge')
        const c = await trx.selectFrom('challenge').selectAll().where('partnership_id', '=', actor.partnershipId).where('referral_id', '=', f.id).where('status', '=', 'open').executeTakeFirst()
        if (!c) throw new RefusedError('There is no open challenge to answer')
        await trx.updateTable('challenge').set({ status: a.upheld ? 'upheld' : 'not_upheld', response: a.response, responded_by: actor.membershipId, responded_at: now }).where('id', '=', c.id).execute()
        // answered after its two working days: met late, with the reason (the form asks for it; without it, refused on
        // its field and nothing above is kept)
        await clocks.meet(trx, actor.partnershipId, 'challenge', c.id, now, a.lateReason || null, 'The answer is later than its two working days: record the reason it is late')
        if (!a.upheld) {
          // the decision stands: the front door keeps sight of the child for 10 working days after the answer
          await frontDoorSightUntil(trx, f.id, await clocks.addWorkingDays(trx, actor.partnershipId, now, 10))
        } else {
          await trx.updateTable('referral').set({ status: 'checks', decision: null, rationale: null, level_found: null, decided_by: null, decided_at: null, referrer_told_at: null, signed_off_by: null, signed_off_at: null, sign_off_note: null }).where('id', '=', f.id).execute()
          await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R1', childId: f.child_id, subjectType: 'referral', subjectId: f.id, startedAt: now })
        }
        await writeEntry(trx, now, f.child_id, { type: 'challenge_response', summary: `Challenge ${a.upheld ? 'upheld: the referral is being looked at again' : 'not upheld'}. ${a.response}`, significance: 'high', detailType: 'challenge', detailId: c.id, addressedTo: c.raised_by_membership_id })
        await notifyMemberships(trx, actor.partnershipId, [c.raised_by_membership_id], { kind: 'challenge.answered', childId: f.child_id, subjectType: 'referral', subjectId: f.id, link: `/referrals/${f.id}` }, now)
      })
    },

  }

  /** When the front door's sight of the referral's child (its front_door_contact) ends: null while open. */
  async function frontDoorSightUntil(trx: Transaction<DB>, referralId: string, until: Date | null) {
    await trx.updateTable('relationship').set({ ends_at: until }).where('partnership_id', '=', actor.partnershipId).where('source', '=', `referral ${referralId}`).where('type', '=', 'front_door_contact').execute()
  }

  async function tellReferrer(trx: Transaction<DB>, now: Date, f: WorkRow, decision: Decision, rationale: string, levelFound: number) {
    await trx.updateTable('referral').set({ referrer_told_at: now }).where('id', '=', f.id).execute()
    await writeEntry(trx, now, f.child_id, {
      type: 'decision',
      summary: `Front door decision: ${DECISION_LABELS[decision]} (level ${levelFound} found). Rationale: ${rationale}`,
      significance: decision === 's47' || decision === 'police' ? 'critical' : 'high',
      detailType: 'referral',
      detailId: f.id,
      addressedTo: f.referrer_membership_id,
    })
    await clocks.meet(trx, actor.partnershipId, 'referral-feedback', f.id, now, 'The decision waited for a manager’s sign-off')
    // the front door keeps sight of the child for 10 working days after the decision
    await frontDoorSightUntil(trx, f.id, await clocks.addWorkingDays(trx, actor.partnershipId, now, 10))
    if (f.referrer_membership_id) {
      await notifyMemberships(trx, actor.partnershipId, [f.referrer_membership_id], { kind: 'referral.decided', childId: f.child_id, subjectType: 'referral', subjectId: f.id, link: `/referrals/${f.id}` }, now)
    }
    // whoever logged a concern the referral was made from is told too: the decision and its reasons show on
    // their concern's page (never the front door's checks)
    if (f.concern_ids.length) {
      const raisers = await trx
        .selectFrom('concern')
        .select(['id', 'raised_by_membership_id'])
        .where('partnership_id', '=', actor.partnershipId)
        .where('id', 'in', f.concern_ids)
        .where('child_id', '=', f.child_id)
        .execute()
      for (const k of raisers.filter((r) => r.raised_by_membership_id !== f.referrer_membership_id)) {
        await notifyMemberships(trx, actor.partnershipId, [k.raised_by_membership_id], { kind: 'concern.referral-decided', childId: f.child_id, subjectType: 'concern', subjectId: k.id, link: `/concerns/${k.id}` }, now)
      }
    }
  }
}
