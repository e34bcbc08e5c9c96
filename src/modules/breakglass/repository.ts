// Break-glass and self-claimed relationships, and their review by information governance (issue 6, scope 3;
// domain-model.md; security requirements 5, 6 and 7; ASVS 7.5.3):
// - break-glass starts from exact identifiers (an NHS number, or full name and date of birth — no partial or fuzzy
//   match), a reason and the second sign-in factor asked again (spent once, like at sign-in). A child matched exactly
//   gets a `break_glass` relationship held by the acting membership for BREAK_GLASS_MINUTES; whether or not a child is
//   found, the request is audited, every IG officer of the partnership is alerted at once and it joins the review
//   queue — so trying identifiers reveals nothing without leaving an accountable trace;
// - a self-claim ("I work with this child") is the same act with a longer window (SELF_CLAIM_DAYS): a `self_claimed`
//   relationship, the practitioner's managers and IG alerted, reviewed;
// - IG reviews each one (oldest first): who, when, the reason, found or not, and what they looked at (the audit rows of
//   that membership for that child during the window — no case content), records the outcome and notes; an
//   inappropriate outcome ends the access at once and tells the practitioner's managers. Ending applies on the next
//   request, because every request reads current relationships.
// The identifiers themselves are never stored: only which kind was used and a keyed hash (repeats can be counted).
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { BREAK_GLASS_MINUTES, SELF_CLAIM_DAYS, hasPermission, isRole, ROLE_LABELS } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'
import { exactIdentityMatches, isUuid } from '../../data/repositories/children.ts'
import { notLocked } from '../../data/repositories/auth.ts'
import type { AccessReviewOutcome, DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { writeAudit } from '../../data/audit.ts'
import { IDENTITY_INDEX_ROLES } from '../search/repository.ts'

/** The shortest reason accepted: a sentence, not a word. */
export const MIN_REASON = 20

export type Identifiers =
  | { kind: 'nhs_number'; nhsNumber: string }
  | { kind: 'name_and_dob'; givenName: string; familyName: string; dateOfBirth: string }
  /** A child the practitioner found in the partnership's identity index (the front door's search), by id. */
  | { kind: 'identity_index'; childId: string }

export interface AccessRequest {
  identifiers: Identifiers
  /** A keyed hash of the normalised identifiers (identifierHash in identifiers.ts). */
  identifierHash: string
  reason: string
  /** The time step of the second-factor code just verified: spent here, once. */
  totpStep: number
}

export type AccessResult = { found: true; childId: string; reviewId: string; expiresAt: Date } | { found: false; reviewId: string }

export type AccessKind = 'break_glass' | 'self_claimed'

export interface ReviewListItem {
  id: string
  kind: AccessKind
  who: string
  role: string
  agency: string
  requestedAt: Date
  reason: string
  found: boolean
  childName: string | null
  identifierKind: string
  /** How many requests this membership has made with the same identifiers (this one included). */
  attempts: number
  status: 'active' | 'expired' | 'ended' | 'not_found'
  endsAt: Date | null
  outcome: AccessReviewOutcome | null
  reviewedAt: Date | null
  reviewer: string | null
}

export const OUTCOME_LABELS: Record<AccessReviewOutcome, string> = {
  appropriate: 'Appropriate',
  inappropriate: 'Inappropriate',
  needs_follow_up: 'Needs follow-up',
}

type Trx = Transaction<DB>

/** The refusal of a replayed code (or any code while the account is locked): the route counts it as a wrong code. */
export const CODE_REFUSED = 'The code from your authenticator app has already been used'

export function breakGlassRepository(ctx: Ctx, actor: Actor) {
  const p = actor.partnershipId

  /** Children matching the identifiers exactly (at most two are fetched: more than one is no match). */
  async function exactMatches(trx: Trx, ids: Identifiers): Promise<string[]> {
    if (ids.kind !== 'identity_index') return exactIdentityMatches(trx, p, ids)
    // by id only for the roles that search the partnership's identity index (they have seen the child's identity)
    if (!(IDENTITY_INDEX_ROLES as readonly string[]).includes(actor.role) || !isUuid(ids.childId)) return []
    const row = await trx.selectFrom('child').select('id').where('partnership_id', '=', p).where('id', '=', ids.childId).executeTakeFirst()
    return row ? [row.id] : []
  }

  /**
   * Spends the second-factor code's time step, once, and resets the count of wrong codes: a replayed (or older) code
   * is refused, and so is any code while the account is locked (the route counts it as a wrong code).
   */
  async function spendCode(trx: Trx, step: number, now: Date): Promise<void> {
    const spent = await trx
      .updateTable('practitioner')
      .set({ totp_last_step: step, failed_second_factors: 0 })
      .where('id', '=', actor.practitionerId)
      .where('partnership_id', '=', p)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .where(notLocked(now))
      .executeTakeFirst()
    if (Number(spent.numUpdatedRows) !== 1) throw new RefusedError(CODE_REFUSED)
  }

  /**
   * Who is told of a request: the current IG officers of the partnership (started, not ended, the practitioner not
   * disabled) — never the requester, whose own IG membership cannot review their access; failing any other, the
   * partnership administrators, so that someone else always knows.
   */
  async function igOfficers(trx: Trx, now: Date): Promise<string[]> {
    const others = (role: 'ig_officer' | 'partnership_admin') => currentMembershipsQuery(trx, p, now).select('m.id').where('m.role', '=', role).where('m.practitioner_id', '<>', actor.practitionerId).execute()
    const ig = await others('ig_officer')
    return (ig.length ? ig : await others('partnership_admin')).map((r) => r.id)
  }

  /**
   * The managers of a membership: the team managers of their team; failing that, in a school, the headteacher, then the
   * designated safeguarding leads; elsewhere, the team managers of their agency. Never the practitioner themselves.
   * (Agencies with no manager role in TeamAround — police, health — have none: IG is always told.)
   */
  async function managersOf(trx: Trx, membershipId: string, now: Date): Promise<string[]> {
    const m = await trx
      .selectFrom('membership as m')
      .innerJoin('agency as a', 'a.id', 'm.agency_id')
      .select(['m.practitioner_id', 'm.agency_id', 'm.team_id', 'a.kind'])
      .where('m.id', '=', membershipId)
      .where('m.partnership_id', '=', p)
      .executeTakeFirst()
    if (!m) return []
    const rows = await currentMembershipsQuery(trx, p, now)
      .select(['m.id', 'm.role', 'm.team_id'])
      .where('m.agency_id', '=', m.agency_id)
      .where('m.practitioner_id', '!=', m.practitioner_id)
      .where('m.role', 'in', ['team_manager', 'headteacher', 'dsl', 'deputy_dsl'])
      .execute()
    const pick = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).map((r) => r.id)
    const ofTeam = m.team_id ? pick((r) => r.role === 'team_manager' && r.team_id === m.team_id) : []
    if (ofTeam.length) return ofTeam
    if (m.kind === 'school') {
      const heads = pick((r) => r.role === 'headteacher')
      return heads.length ? heads : pick((r) => r.role === 'dsl' || r.role === 'deputy_dsl')
    }
    return pick((r) => r.role === 'team_manager')
  }

  /** The break-glass and self-claim act itself: one transaction, one audit row, whether or not a child is found. */
  async function requestAccess(kind: AccessKind, input: AccessRequest): Promise<AccessResult> {
    const action = kind === 'break_glass' ? 'access.break-glass' : 'access.self-claim'
    return auditedTransaction(ctx, actor, action, async (trx, now) => {
      if (!hasPermission(actor.role, kind === 'break_glass' ? 'access:break-glass' : 'access:self-claim')) throw new RefusedError('Your role cannot use this')
      const reason = input.reason.trim()
      if (reason.length < MIN_REASON) throw new RefusedError(`Give the reason you need access, in at least ${MIN_REASON} characters`)
      if (!input.identifierHash) throw new RefusedError('Enter the identifiers')
      if (kind === 'break_glass' && input.identifiers.kind === 'identity_index') throw new RefusedError('Enter the NHS number, or the full name and date of birth')
      await spendCode(trx, input.totpStep, now)
      const matches = await exactMatches(trx, input.identifiers)
      const childId = matches.length === 1 ? matches[0]! : null
      const reviewId = randomUUID()
      const relationshipId = childId ? randomUUID() : null
      const expiresAt = childId ? new Date(now.getTime() + (kind === 'break_glass' ? BREAK_GLASS_MINUTES * 60_000 : SELF_CLAIM_DAYS * 86_400_000)) : null
      if (childId && relationshipId) {
        await trx
          .insertInto('relationship')
          .values({
            id: relationshipId,
            partnership_id: p,
            child_id: childId,
            type: kind,
            holder_agency_id: null,
            holder_team_id: null,
            holder_membership_id: actor.membershipId,
            starts_at: now,
            ends_at: expiresAt,
            source: `access_review:${reviewId}`,
            reason,
            created_by_membership_id: actor.membershipId,
            created_at: now,
          })
          .execute()
      }
      await trx
        .insertInto('access_review')
        .values({
          id: reviewId,
          partnership_id: p,
          kind,
          membership_id: actor.membershipId,
          relationship_id: relationshipId,
          child_id: childId,
          identifier_kind: input.identifiers.kind,
          identifier_hash: input.identifierHash,
          reason,
          requested_at: now,
          expires_at: expiresAt,
          outcome: null,
          reviewer_membership_id: null,
          review_notes: null,
          reviewed_at: null,
          ended_at: null,
          ended_by: null,
        })
        .execute()
      // IG at once, with no personal data: a kind and a link to the review
      const link = `/access/reviews/${reviewId}`
      await notifyMemberships(trx, p, await igOfficers(trx, now), { kind: kind === 'break_glass' ? 'access.break-glass' : 'access.self-claim', subjectType: 'access_review', subjectId: reviewId, link }, now)
      if (kind === 'self_claimed') {
        await notifyMemberships(trx, p, await managersOf(trx, actor.membershipId, now), { kind: 'access.self-claim.manager', subjectType: 'access_review', subjectId: reviewId, link: `/access/alerts/${reviewId}` }, now)
      }
      const result: AccessResult = childId && expiresAt ? { found: true, childId, reviewId, expiresAt } : { found: false, reviewId }
      return {
        result,
        audit: {
          action,
          outcome: childId ? 'success' : 'not_found',
          entityType: 'access_review',
          entityId: reviewId,
          childIds: childId ? [childId] : [],
          relationshipId,
          // which identifiers, never their values; the reason stays in the review row (no narrative in the audit)
          details: { identifiers: input.identifiers.kind, found: Boolean(childId), ...(matches.length > 1 ? { ambiguous: true } : {}), ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) },
        },
      }
    })
  }

  function reviewRows(trx: Trx, now: Date) {
    return trx
      .selectFrom('access_review as ar')
      .innerJoin('membership as m', 'm.id', 'ar.membership_id')
      .innerJoin('practitioner as pr', 'pr.id', 'm.practitioner_id')
      .innerJoin('agency as a', 'a.id', 'm.agency_id')
      .leftJoin('child as c', 'c.id', 'ar.child_id')
      .leftJoin('relationship as r', 'r.id', 'ar.relationship_id')
      .leftJoin('membership as rm', 'rm.id', 'ar.reviewer_membership_id')
      .leftJoin('practitioner as rp', 'rp.id', 'rm.practitioner_id')
      .select([
        'ar.id',
        'ar.kind',
        'ar.membership_id',
        'ar.child_id',
        'ar.relationship_id',
        'ar.identifier_kind',
        'ar.reason',
        'ar.requested_at',
        'ar.expires_at',
        'ar.ended_at',
        'ar.outcome',
        'ar.reviewed_at',
        'ar.review_notes',
        'ar.row_version',
        'r.ends_at',
        'm.role',
        'a.name as agency',
        sql<string>`pr.given_name || ' ' || pr.family_name`.as('who'),
        sql<string | null>`c.given_name || ' ' || c.family_name`.as('child_name'),
        sql<string | null>`rp.given_name || ' ' || rp.family_name`.as('reviewer'),
        sql<boolean>`r.id is not null and (r.ends_at is null or r.ends_at > ${now}::timestamptz)`.as('active'),
        (eb) =>
          eb
            .selectFrom('access_review as same')
            .select(sql<number>`count(*)::int`.as('n'))
            .whereRef('same.partnership_id', '=', 'ar.partnership_id')
            .whereRef('same.membership_id', '=', 'ar.membership_id')
            .whereRef('same.identifier_hash', '=', 'ar.identifier_hash')
            .as('attempts'),
      ])
      .where('ar.partnership_id', '=', p)
      // never one's own: a practitioner with an IG membership as well cannot review (or see in the queue) access they
      // asked for in another membership — the same as a request that does not exist
      .where('m.practitioner_id', '<>', actor.practitionerId)
  }

  type Row = Awaited<ReturnType<ReturnType<typeof reviewRows>['execute']>>[number]
  const toItem = (r: Row): ReviewListItem => ({
    id: r.id,
    kind: r.kind,
    who: r.who,
    role: isRole(r.role) ? ROLE_LABELS[r.role] : r.role,
    agency: r.agency,
    requestedAt: r.requested_at,
    reason: r.reason,
    found: Boolean(r.child_id),
    childName: r.child_name,
    identifierKind: r.identifier_kind,
    attempts: Number(r.attempts ?? 1),
    status: !r.child_id ? 'not_found' : r.active ? 'active' : r.ended_at ? 'ended' : 'expired',
    endsAt: r.ends_at,
    outcome: r.outcome,
    reviewedAt: r.reviewed_at,
    reviewer: r.reviewer,
  })

  const mayReview = () => hasPermission(actor.role, 'access:review')

  /** A review for a change by IG, locked; undefined when it does not exist (or the actor may not review). */
  async function reviewForChange(trx: Trx, id: string) {
    if (!mayReview() || !isUuid(id)) return undefined
    // never one's own (see reviewRows)
    return trx
      .selectFrom('access_review as ar')
      .selectAll('ar')
      .where('ar.partnership_id', '=', p)
      .where('ar.id', '=', id)
      .where(({ exists, selectFrom, not }) => not(exists(selectFrom('membership as m').select('m.id').whereRef('m.id', '=', 'ar.membership_id').where('m.practitioner_id', '=', actor.practitionerId))))
      .forUpdate()
      .executeTakeFirst()
  }

  /** Ends the relationship a review granted, now, if it is still running. True when it was. */
  async function endRelationship(trx: Trx, review: { id: string; relationship_id: string | null }, now: Date): Promise<boolean> {
    if (!review.relationship_id) return false
    const ended = await trx
      .updateTable('relationship')
      .set({ ends_at: now })
      .where('partnership_id', '=', p)
      .where('id', '=', review.relationship_id)
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
      .executeTakeFirst()
    if (Number(ended.numUpdatedRows) !== 1) return false
    await trx.updateTable('access_review').set({ ended_at: now, ended_by: actor.membershipId }).where('partnership_id', '=', p).where('id', '=', review.id).execute()
    return true
  }

  return {
    /** Emergency access (break-glass): see the file header. */
    breakGlass(input: AccessRequest): Promise<AccessResult> {
      return requestAccess('break_glass', input)
    },

    /** A self-claimed relationship ("I work with this child"): see the file header. */
    selfClaim(input: AccessRequest): Promise<AccessResult> {
      return requestAccess('self_claimed', input)
    },

    /**
     * A refusal before the act (a form without a reason, a wrong code): audited in its own short transaction, with the
     * fields that were wrong and never what was typed.
     */
    async refused(kind: AccessKind, details: Record<string, unknown>): Promise<void> {
      await writeAudit(ctx.db, actor, ctx.clock.now(), { action: kind === 'break_glass' ? 'access.break-glass' : 'access.self-claim', outcome: 'refused', details })
    },

    /**
     * A child of the partnership's identity index, for a role that searches it (the front door): the name and date of
     * birth to show on the claim form, the same identity the search showed. Audited; undefined for anyone else.
     */
    async identityIndexChild(childId: string): Promise<{ id: string; name: string; dateOfBirth: string | null } | undefined> {
      return auditedTransaction(ctx, actor, 'access.self-claim.form', async (trx) => {
        const ok = (IDENTITY_INDEX_ROLES as readonly string[]).includes(actor.role) && isUuid(childId)
        const c = ok ? await trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth']).where('partnership_id', '=', p).where('id', '=', childId).executeTakeFirst() : undefined
        return {
          result: c ? { id: c.id, name: `${c.given_name} ${c.family_name}`, dateOfBirth: c.date_of_birth } : undefined,
          audit: { action: 'access.self-claim.form', outcome: c ? 'success' : 'not_found', entityType: 'child', entityId: isUuid(childId) ? childId : null, childIds: c ? [c.id] : [], details: { index: 'partnership-identity' } },
        }
      })
    },

    /** IG's queue: requests not yet reviewed, or marked for follow-up, oldest first. */
    async queue(): Promise<ReviewListItem[]> {
      return auditedTransaction(ctx, actor, 'access.review.list', async (trx, now) => {
        if (!mayReview()) throw new RefusedError('Only information governance reviews access')
        const rows = await reviewRows(trx, now)
          .where((eb) => eb.or([eb('ar.outcome', 'is', null), eb('ar.outcome', '=', 'needs_follow_up')]))
          .orderBy('ar.requested_at')
          .orderBy('ar.id')
          .limit(500)
          .execute()
        const items = rows.map(toItem)
        return { result: items, audit: { action: 'access.review.list', outcome: 'success', childIds: [...new Set(rows.flatMap((r) => (r.child_id ? [r.child_id] : [])))], details: { list: 'queue', count: items.length } } }
      })
    },

    /** IG's history: reviewed requests (appropriate or inappropriate), most recently reviewed first. */
    async history(): Promise<ReviewListItem[]> {
      return auditedTransaction(ctx, actor, 'access.review.list', async (trx, now) => {
        if (!mayReview()) throw new RefusedError('Only information governance reviews access')
        const rows = await reviewRows(trx, now).where('ar.outcome', 'in', ['appropriate', 'inappropriate']).orderBy('ar.reviewed_at', 'desc').orderBy('ar.id').limit(500).execute()
        const items = rows.map(toItem)
        return { result: items, audit: { action: 'access.review.list', outcome: 'success', childIds: [...new Set(rows.flatMap((r) => (r.child_id ? [r.child_id] : [])))], details: { list: 'history', count: items.length } } }
      })
    },

    /** One request with what the practitioner looked at during its window, and the decisions so far. */
    async review(id: string) {
      return auditedTransaction(ctx, actor, 'access.review.view', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'access.review.view', outcome: 'not_found' as const, entityType: 'access_review', entityId: id } }
        if (!mayReview() || !isUuid(id)) return notFound
        const row = await reviewRows(trx, now).where('ar.id', '=', id).executeTakeFirst()
        if (!row) return notFound
        // what they looked at: the audit rows of that membership naming that child, from the request to the end of the window
        const until = row.ends_at && row.ends_at < now ? row.ends_at : now
        const looked = row.child_id
          ? await trx
              .selectFrom('audit_event as e')
              .select(['e.at', 'e.action', 'e.outcome', 'e.entity_type'])
              .where('e.partnership_id', '=', p)
              .where('e.actor_membership_id', '=', row.membership_id)
              .where('e.child_ids', '@>', sql<string[]>`array[${row.child_id}]::uuid[]`)
              .where('e.at', '>=', row.requested_at)
              .where('e.at', '<=', until)
              .orderBy('e.id')
              .limit(500)
              .execute()
          : []
        const decisions = await trx
          .selectFrom('access_review_decision as d')
          .innerJoin('membership as m', 'm.id', 'd.decided_by')
          .innerJoin('practitioner as pr', 'pr.id', 'm.practitioner_id')
          .select(['d.outcome', 'd.notes', 'd.ended_access', 'd.decided_at', sql<string>`pr.given_name || ' ' || pr.family_name`.as('by')])
          .where('d.partnership_id', '=', p)
          .where('d.review_id', '=', id)
          .orderBy('d.decided_at')
          .execute()
        return {
          result: { ...toItem(row), rowVersion: row.row_version, notes: row.review_notes, looked, decisions, expiresAt: row.expires_at },
          audit: { action: 'access.review.view', outcome: 'success', entityType: 'access_review', entityId: id, childIds: row.child_id ? [row.child_id] : [], relationshipId: row.relationship_id },
        }
      })
    },

    /**
     * IG records the outcome (and notes). An inappropriate outcome ends the access at once and tells the practitioner's
     * managers; any outcome can end it (`endAccess`). A stale form (someone reviewed it since) is a conflict.
     */
    async decide(id: string, input: { outcome: AccessReviewOutcome; notes: string; endAccess: boolean; rowVersion: number }): Promise<{ conflict: boolean; endedAccess: boolean } | null> {
      return auditedTransaction<{ conflict: boolean; endedAccess: boolean } | null>(ctx, actor, 'access.review.record', async (trx, now) => {
        const review = await reviewForChange(trx, id)
        if (!review) return { result: null, audit: { action: 'access.review.record', outcome: 'not_found', entityType: 'access_review', entityId: id } }
        if (review.row_version !== input.rowVersion) {
          return { result: { conflict: true, endedAccess: false }, audit: { action: 'access.review.record', outcome: 'refused', entityType: 'access_review', entityId: id, details: { conflict: true } } }
        }
        const notes = input.notes.trim()
        if (input.outcome !== 'appropriate' && !notes) throw new RefusedError('Say what was wrong, or what needs to follow up')
        const endedAccess = input.outcome === 'inappropriate' || input.endAccess ? await endRelationship(trx, review, now) : false
        await trx
          .insertInto('access_review_decision')
          .values({ id: randomUUID(), partnership_id: p, review_id: id, outcome: input.outcome, notes, ended_access: endedAccess, decided_by: actor.membershipId, decided_at: now })
          .execute()
        await trx
          .updateTable('access_review')
          .set({ outcome: input.outcome, review_notes: notes || null, reviewer_membership_id: actor.membershipId, reviewed_at: now, row_version: sql<number>`row_version + 1` })
          .where('partnership_id', '=', p)
          .where('id', '=', id)
          .execute()
        if (input.outcome === 'inappropriate') {
          await notifyMemberships(trx, p, await managersOf(trx, review.membership_id, now), { kind: 'access.inappropriate', subjectType: 'access_review', subjectId: id, link: `/access/alerts/${id}` }, now)
        }
        return {
          result: { conflict: false, endedAccess },
          audit: {
            action: 'access.review.record',
            outcome: 'success',
            entityType: 'access_review',
            entityId: id,
            childIds: review.child_id ? [review.child_id] : [],
            relationshipId: review.relationship_id,
            details: { outcome: input.outcome, endedAccess },
          },
        }
      })
    },

    /** IG ends the access a request granted, now (before or without recording the outcome). */
    async endAccess(id: string, rowVersion: number): Promise<{ conflict: boolean } | null> {
      return auditedTransaction<{ conflict: boolean } | null>(ctx, actor, 'access.review.end', async (trx, now) => {
        const review = await reviewForChange(trx, id)
        if (!review) return { result: null, audit: { action: 'access.review.end', outcome: 'not_found', entityType: 'access_review', entityId: id } }
        if (review.row_version !== rowVersion) return { result: { conflict: true }, audit: { action: 'access.review.end', outcome: 'refused', entityType: 'access_review', entityId: id, details: { conflict: true } } }
        if (!(await endRelationship(trx, review, now))) throw new RefusedError('This access has already ended')
        await trx.updateTable('access_review').set({ row_version: sql<number>`row_version + 1` }).where('partnership_id', '=', p).where('id', '=', id).execute()
        return {
          result: { conflict: false },
          audit: { action: 'access.review.end', outcome: 'success', entityType: 'access_review', entityId: id, childIds: review.child_id ? [review.child_id] : [], relationshipId: review.relationship_id },
        }
      })
    },

    /**
     * What a manager who was alerted sees: who, when, which kind, whether a record matched, whether the access is still
     * running and the review's outcome — not the child, not the reason. Only for a membership that was sent the alert.
     */
    async alert(id: string) {
      return auditedTransaction(ctx, actor, 'access.alert.view', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'access.alert.view', outcome: 'not_found' as const, entityType: 'access_review', entityId: id } }
        if (!isUuid(id)) return notFound
        const row = await reviewRows(trx, now)
          .where('ar.id', '=', id)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('notification as n')
                .select('n.id')
                .where('n.partnership_id', '=', p)
                .where('n.membership_id', '=', actor.membershipId)
                .where('n.subject_type', '=', 'access_review')
                .whereRef('n.subject_id', '=', 'ar.id'),
            ),
          )
          .executeTakeFirst()
        if (!row) return notFound
        const item = toItem(row)
        return {
          result: { id: item.id, kind: item.kind, who: item.who, role: item.role, agency: item.agency, requestedAt: item.requestedAt, found: item.found, status: item.status, endsAt: item.endsAt, outcome: item.outcome, reviewedAt: item.reviewedAt },
          audit: { action: 'access.alert.view', outcome: 'success', entityType: 'access_review', entityId: id },
        }
      })
    },
  }
}

export type BreakGlassRepository = ReturnType<typeof breakGlassRepository>
