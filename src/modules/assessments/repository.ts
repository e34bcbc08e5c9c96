// Assessments of a child in a team around the child: the early help assessment (strengths and needs by domain,
// the child's and the family's views, analysis and recommendation) and social care's child and family assessment
// on clock R3 (45 working days from the referral the front door decided on, else from the start), completed with
// the CIN census assessment factors. Every member of the team, from any agency, adds their strand as a
// contribution (to a domain or in general); the assessment page collates them. Edits are optimistic: a stale
// version is a conflict shown with both versions, never a lost write.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { isUuid, lockChildren } from '../../data/repositories/children.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { formatDate } from '../../platform/http/render.ts'
import { casePractitioners, LEVEL_LABELS, memberIds, setting, teamManagerOf, tacForChange, tacInReach, writeTacEntries, type TacAccess } from '../tac/access.ts'
import { activeDomains, DOMAINS_SETTING, factorProblems, FACTOR_LABELS, normaliseDomains, type Domain } from './codes.ts'

export type AssessmentKind = 'early_help' | 'child_and_family'

export const KIND_LABELS: Record<AssessmentKind, string> = {
  early_help: 'Early help assessment',
  child_and_family: 'Child and family assessment',
}

/** The text of an assessment a member edits (a version of it, for the conflict page). */
export interface AssessmentText {
  childViews: string
  familyViews: string
  analysis: string
  recommendation: string
  domains: Record<string, { strengths: string; needs: string }>
}

export interface Conflict {
  conflict: true
  /** The version saved by someone else since the form was opened. */
  theirs: AssessmentText & { rowVersion: number }
  /** What this practitioner submitted, kept so nothing is lost. */
  yours: AssessmentText
}

export interface Saved {
  saved: true
  rowVersion: number
}

/** The front door's decisions that lead to social care's assessment (R3 runs from the referral). */
const ASSESSMENT_DECISIONS = ['s17', 's47'] as const

/**
 * The team's assessments still in progress when it closes are closed with it: the outcome recorded (closed_at and
 * closure_reason), one chronology entry for each, as completion writes one; so no list or dashboard shows them as live,
 * and the child's next child and family assessment is not refused because of them. Their clocks are stopped by the
 * team's close. Runs in the caller's transaction (closeTac, which holds the team's row); the ids are for its audit row.
 */
export async function closeAssessmentsWithTeam(trx: Transaction<DB>, actor: Actor, now: Date, tacId: string, reason: string, at: Date = now): Promise<string[]> {
  const closed = await trx
    .updateTable('assessment')
    .set({ status: 'closed', closed_at: at, closure_reason: `Closed with the team around the child: ${reason}`, row_version: sql`row_version + 1` })
    .where('partnership_id', '=', actor.partnershipId)
    .where('tac_id', '=', tacId)
    .where('status', '=', 'in_progress')
    .returning(['id', 'child_id', 'kind'])
    .execute()
  for (const a of closed.sort((x, y) => x.id.localeCompare(y.id))) {
    await writeTacEntries(trx, actor, now, [a.child_id], {
      type: 'assessment_closed',
      summary: `${KIND_LABELS[a.kind]} closed with the team around the child, not completed: ${reason}`,
      significance: a.kind === 'child_and_family' ? 'high' : 'medium',
      occurredAt: at,
      detailType: 'assessment',
      detailId: a.id,
    })
  }
  return closed.map((a) => a.id)
}

export function assessmentsRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const socialCare = hasPermission(actor.role, 'cp:record')
  const notFound = (action: string, entityId: string) => ({ result: null, audit: { action, outcome: 'not_found' as const, entityType: 'assessment', entityId } })

  async function children(trx: Transaction<DB>, ids: readonly string[]) {
    if (!ids.length) return []
    return trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth']).where('partnership_id', '=', actor.partnershipId).where('id', 'in', ids).orderBy('given_name').orderBy('family_name').execute()
  }

  /** An assessment of this team (locked when about to change). */
  async function assessmentOf(trx: Transaction<DB>, tac: TacAccess, assessmentId: string, forUpdate = false) {
    if (!isUuid(assessmentId)) return undefined
    let q = trx.selectFrom('assessment').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tac.id).where('id', '=', assessmentId)
    if (forUpdate) q = q.forUpdate()
    return q.executeTakeFirst()
  }

  async function domainsOf(trx: Transaction<DB>, assessmentId: string) {
    return trx.selectFrom('assessment_domain').select(['id', 'domain', 'strengths', 'needs']).where('partnership_id', '=', actor.partnershipId).where('assessment_id', '=', assessmentId).execute()
  }

  async function textOf(trx: Transaction<DB>, a: { id: string; child_views: string; family_views: string; analysis: string; recommendation: string }): Promise<AssessmentText> {
    const rows = await domainsOf(trx, a.id)
    return { childViews: a.child_views, familyViews: a.family_views, analysis: a.analysis, recommendation: a.recommendation, domains: Object.fromEntries(rows.map((d) => [d.domain, { strengths: d.strengths, needs: d.needs }])) }
  }

  function mayEdit(kind: AssessmentKind) {
    if (kind === 'child_and_family' && !socialCare) throw new RefusedError('Only social care can change a child and family assessment: add your contribution instead')
  }

  /**
   * Why a second assessment is refused: the one in progress in this team; or, in another team, where it is and who
   * leads it — only when the actor may see that team (its records' own rule), else only that there is one.
   */
  async function alreadyInProgress(trx: Transaction<DB>, tac: TacAccess, childId: string, open: { tac_id: string; started_at: Date; author_membership_id: string }, now: Date): Promise<string> {
    if (open.tac_id === tac.id) return 'This child already has an assessment of this kind in progress: add to it instead'
    const [child] = await children(trx, [childId])
    const name = child ? `${child.given_name} ${child.family_name}` : 'This child'
    const other = await tacInReach(trx, actor, open.tac_id, now)
    if (!other) return `${name} already has a child and family assessment in progress, in another team around the child: a child has one assessment at a time, with one lead. Ask your team manager who leads it`
    const [lead] = await casePractitioners(trx, actor.partnershipId, now, { ids: [open.author_membership_id] })
    const team = other.mace ? 'the exploitation (MACE) team' : `the ${LEVEL_LABELS[other.level].toLowerCase()} team around the child`
    return `${name} already has a child and family assessment in progress, in ${team}${other.isMember ? ' (you are a member)' : ''}, started on ${formatDate(open.started_at)}${lead ? ` by ${lead.name} (${lead.roleLabel}, ${lead.agency})` : ''}: a child has one assessment at a time, with one lead. Add to that assessment instead of starting another`
  }

  /** The partnership's domains (configurable), as stored on the assessment when it started. */
  async function partnershipDomains(trx: Transaction<DB>): Promise<Domain[]> {
    return normaliseDomains(await setting<unknown>(trx, actor.partnershipId, DOMAINS_SETTING, null))
  }


  return {
    /** The team's assessments (and the team's children, for the "start an assessment" form). */
    async forTeam(tacId: string) {
      return auditedTransaction(ctx, actor, 'assessment.list', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return { result: null, audit: { action: 'assessment.list', outcome: 'not_found' as const, entityType: 'tac', entityId: tacId } }
        const rows = await trx
          .selectFrom('assessment as a')
          .innerJoin('child as c', 'c.id', 'a.child_id')
          .innerJoin('membership as m', 'm.id', 'a.author_membership_id')
          .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
          .select(['a.id', 'a.kind', 'a.status', 'a.started_at', 'a.completed_at', 'a.child_id', 'c.given_name', 'c.family_name', 'p.given_name as author_given', 'p.family_name as author_family'])
          .select((eb) => [
            eb.selectFrom('assessment_contribution as k').select((k) => k.fn.countAll<number>().as('n')).whereRef('k.assessment_id', '=', 'a.id').as('contributions'),
            eb.selectFrom('clock as k').select('k.due_at').whereRef('k.subject_id', '=', 'a.id').where('k.subject_type', '=', 'assessment').where('k.rule', '=', 'R3').orderBy('k.created_at', 'desc').limit(1).as('due_at'),
            eb.selectFrom('clock as k').select('k.state').whereRef('k.subject_id', '=', 'a.id').where('k.subject_type', '=', 'assessment').where('k.rule', '=', 'R3').orderBy('k.created_at', 'desc').limit(1).as('clock_state'),
          ])
          .where('a.partnership_id', '=', actor.partnershipId)
          .where('a.tac_id', '=', tac.id)
          .orderBy('a.started_at', 'desc')
          .execute()
        return {
          result: { tac, children: await children(trx, tac.childIds), assessments: rows.map((r) => ({ ...r, contributions: Number(r.contributions ?? 0), overdue: r.status === 'in_progress' && r.due_at !== null && now > r.due_at })), canStart: tac.isMember && tac.status === 'open', canStartChildAndFamily: tac.isMember && tac.status === 'open' && socialCare },
          audit: { action: 'assessment.list', outcome: 'success', entityType: 'tac', entityId: tac.id, childIds: tac.childIds, relationshipId: tac.relationshipId },
        }
      })
    },

    /** Starts an assessment of one child of the team; a child and family assessment starts clock R3. */
    async start(tacId: string, input: { childId: string; kind: AssessmentKind }) {
      return auditedTransaction(ctx, actor, 'assessment.start', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return { result: null, audit: { action: 'assessment.start', outcome: 'not_found' as const, entityType: 'tac', entityId: tacId } }
        if (!tac.childIds.includes(input.childId)) throw new RefusedError('Choose a child of this team')
        if (input.kind === 'child_and_family' && !socialCare) throw new RefusedError('A child and family assessment is social care’s: a social worker starts it')
        // one child and family assessment in progress per child, whichever team it is in (one assessment, with one
        // lead); an early help assessment, one per team. The child's row is taken first, as for a child protection
        // plan, so two starts at the same moment (in two teams) take turns and the second sees the first.
        await lockChildren(trx, actor.partnershipId, [input.childId])
        let inProgress = trx.selectFrom('assessment').select(['id', 'tac_id', 'started_at', 'author_membership_id']).where('partnership_id', '=', actor.partnershipId).where('child_id', '=', input.childId).where('kind', '=', input.kind).where('status', '=', 'in_progress')
        if (input.kind !== 'child_and_family') inProgress = inProgress.where('tac_id', '=', tac.id)
        const open = await inProgress.orderBy('started_at').executeTakeFirst()
        if (open) throw new RefusedError(await alreadyInProgress(trx, tac, input.childId, open, now))
        const id = randomUUID()
        // R3 runs from the referral the front door decided on (not yet used by another assessment), else from now
        const referral =
          input.kind === 'child_and_family'
            ? await trx
                .selectFrom('referral as f')
                .select(['f.id', 'f.received_at'])
                .where('f.partnership_id', '=', actor.partnershipId)
                .where('f.child_id', '=', input.childId)
                .where('f.decision', 'in', [...ASSESSMENT_DECISIONS])
                .where('f.status', 'in', ['decided', 'closed'])
                .where((eb) => eb.not(eb.exists(eb.selectFrom('assessment as x').select('x.id').whereRef('x.referral_id', '=', 'f.id'))))
                .orderBy('f.received_at', 'desc')
                .executeTakeFirst()
            : undefined
        await trx
          .insertInto('assessment')
          .values({ id, partnership_id: actor.partnershipId, tac_id: tac.id, child_id: input.childId, kind: input.kind, referral_id: referral?.id ?? null, started_at: now, author_membership_id: actor.membershipId, created_at: now })
          .execute()
        const domains = activeDomains(await partnershipDomains(trx))
        await trx
          .insertInto('assessment_domain')
          .values(domains.map((d) => ({ id: randomUUID(), partnership_id: actor.partnershipId, assessment_id: id, domain: d.key })))
          .execute()
        let dueAt: Date | null = null
        if (input.kind === 'child_and_family') {
          const clock = await clocks.start(trx, { partnershipId: actor.partnershipId, rule: 'R3', childId: input.childId, subjectType: 'assessment', subjectId: id, startedAt: referral?.received_at ?? now, escalateToMembershipId: await teamManagerOf(trx, actor, now) })
          dueAt = clock.dueAt
        }
        await writeTacEntries(trx, actor, now, [input.childId], {
          type: 'assessment_started',
          summary: `${KIND_LABELS[input.kind]} started${referral ? ' following the front door’s decision on the referral' : ''}.`,
          significance: input.kind === 'child_and_family' ? 'medium' : 'low',
          occurredAt: now,
          detailType: 'assessment',
          detailId: id,
        })
        return { result: { id, dueAt }, audit: { action: 'assessment.start', outcome: 'success', entityType: 'assessment', entityId: id, childIds: [input.childId], details: { tacId: tac.id, kind: input.kind, fromReferral: Boolean(referral) } } }
      })
    },

    /** One assessment: its domains, every agency's contributions collated by domain, the clock. */
    async get(tacId: string, assessmentId: string) {
      return auditedTransaction(ctx, actor, 'assessment.view', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('assessment.view', assessmentId)
        const a = await assessmentOf(trx, tac, assessmentId)
        if (!a) return notFound('assessment.view', assessmentId)
        // one query at a time: a transaction is one connection
        const domainRows = await domainsOf(trx, a.id)
        const contributions = await trx
          .selectFrom('assessment_contribution as k')
          .innerJoin('membership as m', 'm.id', 'k.membership_id')
          .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
          .innerJoin('agency as g', 'g.id', 'k.agency_id')
          .select(['k.id', 'k.domain', 'k.body', 'k.contributed_at', 'k.membership_id', 'm.role', 'p.given_name', 'p.family_name', 'g.name as agency_name'])
          .where('k.partnership_id', '=', actor.partnershipId)
          .where('k.assessment_id', '=', a.id)
          .orderBy('k.contributed_at')
          .execute()
        const child = await trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth']).where('id', '=', a.child_id).executeTakeFirstOrThrow()
        const author = await trx.selectFrom('membership as m').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').innerJoin('agency as g', 'g.id', 'm.agency_id').select(['p.given_name', 'p.family_name', 'm.role', 'g.name as agency_name']).where('m.id', '=', a.author_membership_id).executeTakeFirstOrThrow()
        const configured = await partnershipDomains(trx)
        const clock = await trx.selectFrom('clock').select(['due_at', 'state', 'started_at', 'met_at', 'reason']).where('partnership_id', '=', actor.partnershipId).where('subject_type', '=', 'assessment').where('subject_id', '=', a.id).where('rule', '=', 'R3').orderBy('created_at', 'desc').limit(1).executeTakeFirst()
        const referral = a.referral_id ? await trx.selectFrom('referral').select(['id', 'received_at', 'decision']).where('id', '=', a.referral_id).executeTakeFirst() : undefined
        // the assessment's own domains, labelled from the partnership's list (a domain since removed keeps its key)
        const labels = new Map(configured.map((d) => [d.key, d]))
        const order = new Map(configured.map((d, i) => [d.key, i]))
        const domains = domainRows
          .map((d) => ({ ...d, label: labels.get(d.domain)?.label ?? d.domain.replace(/_/g, ' '), side: labels.get(d.domain)?.side ?? '', contributions: contributions.filter((k) => k.domain === d.domain) }))
          .sort((x, y) => (order.get(x.domain) ?? 999) - (order.get(y.domain) ?? 999))
        const editable = tac.isMember && tac.status === 'open' && a.status === 'in_progress'
        return {
          result: {
            tac,
            assessment: { ...a, factorLabels: a.factors.map((c) => ({ code: c, label: FACTOR_LABELS[c] ?? c })) },
            child,
            author,
            domains,
            general: contributions.filter((k) => !k.domain || !domainRows.some((d) => d.domain === k.domain)),
            contributionCount: contributions.length,
            agencies: [...new Set(contributions.map((k) => k.agency_name))],
            clock: clock ? { ...clock, overdue: (clock.state === 'running' || clock.state === 'overdue') && now > clock.due_at } : null,
            referral: referral ?? null,
            canEdit: editable && (a.kind === 'early_help' || socialCare),
            canContribute: editable,
          },
          audit: { action: 'assessment.view', outcome: 'success', entityType: 'assessment', entityId: a.id, childIds: [a.child_id], relationshipId: tac.relationshipId },
        }
      })
    },

    /** Saves the assessment's text if nobody changed it since `rowVersion`; otherwise both versions, nothing written. */
    async update(tacId: string, assessmentId: string, input: AssessmentText & { rowVersion: number }) {
      return auditedTransaction<Conflict | Saved | null>(ctx, actor, 'assessment.update', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('assessment.update', assessmentId)
        const a = await assessmentOf(trx, tac, assessmentId, true)
        if (!a) return notFound('assessment.update', assessmentId)
        if (a.status !== 'in_progress') throw new RefusedError('This assessment is completed: it can no longer be changed')
        mayEdit(a.kind)
        const yours: AssessmentText = { childViews: input.childViews, familyViews: input.familyViews, analysis: input.analysis, recommendation: input.recommendation, domains: input.domains }
        if (a.row_version !== input.rowVersion) {
          const conflict: Conflict = { conflict: true, theirs: { ...(await textOf(trx, a)), rowVersion: a.row_version }, yours }
          return { result: conflict, audit: { action: 'assessment.update', outcome: 'refused', entityType: 'assessment', entityId: a.id, childIds: [a.child_id], details: { conflict: true, submittedVersion: input.rowVersion, currentVersion: a.row_version } } }
        }
        await trx
          .updateTable('assessment')
          .set({ child_views: input.childViews, family_views: input.familyViews, analysis: input.analysis, recommendation: input.recommendation, row_version: a.row_version + 1 })
          .where('id', '=', a.id)
          .execute()
        const existing = await domainsOf(trx, a.id)
        for (const d of existing) {
          const v = input.domains[d.domain]
          if (!v || (v.strengths === d.strengths && v.needs === d.needs)) continue
          await trx.updateTable('assessment_domain').set({ strengths: v.strengths, needs: v.needs }).where('id', '=', d.id).execute()
        }
        return { result: { saved: true, rowVersion: a.row_version + 1 }, audit: { action: 'assessment.update', outcome: 'success', entityType: 'assessment', entityId: a.id, childIds: [a.child_id], details: { rowVersion: a.row_version + 1 } } }
      })
    },

    /** A member's strand (any agency), to a domain or in general; the assessment's author is told. */
    async contribute(tacId: string, assessmentId: string, input: { domain: string | null; body: string }) {
      return auditedTransaction(ctx, actor, 'assessment.contribute', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('assessment.contribute', assessmentId)
        const a = await assessmentOf(trx, tac, assessmentId)
        if (!a) return notFound('assessment.contribute', assessmentId)
        if (a.status !== 'in_progress') throw new RefusedError('This assessment is completed: contributions are closed')
        if (input.domain && !(await domainsOf(trx, a.id)).some((d) => d.domain === input.domain)) throw new RefusedError('Choose one of the assessment’s domains, or “General”')
        const id = randomUUID()
        await trx.insertInto('assessment_contribution').values({ id, partnership_id: actor.partnershipId, assessment_id: a.id, membership_id: actor.membershipId, agency_id: actor.agencyId, domain: input.domain, body: input.body, contributed_at: now }).execute()
        if (a.author_membership_id !== actor.membershipId) {
          await notifyMemberships(trx, actor.partnershipId, [a.author_membership_id], { kind: 'assessment.contribution', childId: a.child_id, subjectType: 'assessment', subjectId: a.id, link: `/teams/${tac.id}/assessments/${a.id}` }, now)
        }
        return { result: { id }, audit: { action: 'assessment.contribute', outcome: 'success', entityType: 'assessment', entityId: a.id, childIds: [a.child_id], details: { contributionId: id, domain: input.domain } } }
      })
    },

    /**
     * Completes the assessment (the version the assessor saw): a child and family assessment records the CIN census
     * factors and meets R3 — late only with a reason. One chronology entry for the child; the team is told.
     */
    async complete(tacId: string, assessmentId: string, input: { rowVersion: number; factors: string[]; lateReason: string | null }) {
      return auditedTransaction(ctx, actor, 'assessment.complete', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('assessment.complete', assessmentId)
        const a = await assessmentOf(trx, tac, assessmentId, true)
        if (!a) return notFound('assessment.complete', assessmentId)
        if (a.status !== 'in_progress') throw new RefusedError('This assessment is already completed')
        mayEdit(a.kind)
        if (a.row_version !== input.rowVersion) throw new RefusedError('Someone else changed this assessment since you opened it: read their changes, then complete it')
        if (!a.analysis.trim() || !a.recommendation.trim()) throw new RefusedError('Write and save the analysis and the recommendation before completing the assessment')
        let factors: string[] = []
        if (a.kind === 'child_and_family') {
          factors = [...new Set(input.factors)]
          const problems = factorProblems(factors)
          if (problems.length) throw new RefusedError(problems[0]!)
        }
        const due = await clocks.due(trx, actor.partnershipId, 'assessment', a.id, 'R3')
        const late = due !== null && now > due
        // R3: met, or met late with the reason (the clock refuses a late meet without one)
        await clocks.meet(trx, actor.partnershipId, 'assessment', a.id, now, late ? input.lateReason : null)
        await trx
          .updateTable('assessment')
          .set({ status: 'completed', completed_at: now, factors, late_reason: late ? input.lateReason : null, row_version: a.row_version + 1 })
          .where('id', '=', a.id)
          .execute()
        const contributors = await trx.selectFrom('assessment_contribution').select((eb) => eb.fn.count<number>('agency_id').distinct().as('n')).where('assessment_id', '=', a.id).executeTakeFirstOrThrow()
        await writeTacEntries(trx, actor, now, [a.child_id], {
          type: 'assessment_completed',
          summary: `${KIND_LABELS[a.kind]} completed${late ? ' after the 45 working days (reason recorded)' : ''}, with contributions from ${Number(contributors.n)} agenc${Number(contributors.n) === 1 ? 'y' : 'ies'}. Recommendation: ${a.recommendation}${factors.length ? ` Assessment factors: ${factors.join(', ')}.` : ''}`,
          significance: a.kind === 'child_and_family' ? 'high' : 'medium',
          occurredAt: now,
          detailType: 'assessment',
          detailId: a.id,
        })
        const team = (await memberIds(trx, actor.partnershipId, tac.id)).filter((m) => m !== actor.membershipId)
        await notifyMemberships(trx, actor.partnershipId, team, { kind: 'assessment.completed', childId: a.child_id, subjectType: 'assessment', subjectId: a.id, link: `/teams/${tac.id}/assessments/${a.id}` }, now)
        return { result: { id: a.id, late }, audit: { action: 'assessment.complete', outcome: 'success', entityType: 'assessment', entityId: a.id, childIds: [a.child_id], details: { late, factors } } }
      })
    },
  }
}
