// Governance of an entry's visibility (issue 6, scope 3) and the partnership's unusual-access report (scope 4).
// - An entry's page: the entry as the viewer may see it, who changed its visibility and why, and what the viewer may
//   do: change it (the authoring agency's practitioners who see it; widening is a sharing decision), or ask for it to
//   be sealed or unsealed (its authoring team; a second person approves — src/modules/governance/approvals.ts).
// - Approvals: the requests a practitioner may decide (the authoring team's manager who sees the entry, or
//   information governance, who sees what the entry is but never its content) and their own requests.
// - The access report: the audit chain verified first, then break-glass, looks without a standing relationship and
//   bulk views over a period; reading it is audited.
// Every call is one audited transaction; what the viewer may not see is not found.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { hasPermission, REACH, ROLES, type Role } from '../../access/policy.ts'
import { entryVisible, reachingRelationships } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { verifyAudit, type VerifyReport } from '../../data/audit-seal.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { categoryLabelsJson, type CategoryLabels } from '../../data/category-labels.ts'
import type { DB, Visibility, VisibilityChangeKind } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { entryTypeLabel, formatDate } from '../../platform/http/render.ts'
import { recordSharingDecision, SharingValidationError, type FieldProblem, type SharingDecisionInput } from '../sharing/store.ts'
import { setting } from '../tac/access.ts'
import { decide, loadApproval, requestApproval, withdraw, type Approval } from './approvals.ts'
import { EXCEPTIONAL, grantingRelationshipJoin } from './granting.ts'
import { changeKind, sameVisibility, type VisibilityState } from './visibility.ts'
import { disputesOf, type DisputeView } from '../sar/disputes.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'

/** Roles whose membership in the authoring team makes them its manager, for approving a seal or an unseal. */
export const ENTRY_MANAGER_ROLES: readonly Role[] = ['team_manager', 'headteacher']
const CASE_ROLES: readonly Role[] = ROLES.filter((r) => REACH[r].identity)

/** What a widening's sharing decision needs beyond what the change itself says. */
export type WideningInput = Pick<
  SharingDecisionInput,
  'purpose' | 'categories' | 'lawfulBasis' | 'specialCategory' | 'art9Condition' | 'schedule1Condition' | 'para18Reason' | 'consent' | 'consentReason' | 'goldenRules' | 'outsideAgreementReason'
>

export interface VisibilityChangeInput extends VisibilityState {
  reason: string
  /** Required when the change widens who can see the entry. */
  sharing?: WideningInput | null
}

export interface EntryRow {
  id: string
  childId: string
  childName: string
  type: string
  category: string | null
  /** The partnership's label of the category, when it has it (code → label). */
  categoryLabels: CategoryLabels
  occurredAt: Date
  occurredTimeKnown: boolean
  recordedAt: Date
  significance: string
  summary: string
  visibility: Visibility
  restrictedAgencyIds: string[]
  restrictedRoles: string[]
  sourceAgencyId: string
  sourceAgencyName: string
  author: string | null
  authorRole: string | null
  authorTeamId: string | null
  authorTeamName: string | null
  supersedesEntryId: string | null
}

/** What deciding or withdrawing came to: done (the new state), someone else got there first, or not allowed (why). */
export interface EntryPage {
  entry: EntryRow & { restrictedAgencyNames: string[] }
  history: { id: string; kind: VisibilityChangeKind; from: Visibility; to: Visibility; toAgencies: string[]; reason: string; at: Date; approvalId: string | null; sharingDecisionId: string | null; by: string; role: string }[]
  open: { id: string; kind: string; reason: string; requestedAt: Date; rowVersion: number; by: string; mine: boolean } | null
  agencies: { id: string; name: string }[]
  roles: readonly Role[]
  may: { change: boolean; seal: boolean; unseal: boolean }
  relationshipId: string | null
  /** Disputes of (and requests to correct) the entry, shown with it (src/modules/sar/disputes.ts). */
  disputes: DisputeView[]
}

export type ChangeResult =
  | { status: 'done'; kind: 'widen' | 'narrow'; sharingDecisionId: string | null }
  | { status: 'needs-sharing'; kind: 'widen' | 'narrow'; page: EntryPage }
  | { status: 'invalid'; kind: 'widen' | 'narrow'; fields: FieldProblem[]; page: EntryPage }

export type ApprovalResult = { status: 'decided'; state: string } | { status: 'conflict' } | { status: 'refused'; message: string }

export interface ReportPeriod {
  /** London dates, inclusive. */
  from: string
  to: string
}

export interface AuditVerification {
  checkpointPath: string
  hmacKey: string
}

export const BULK_DEFAULTS = { perRequest: 50, perDay: 100 } as const
export const BULK_SETTING_KEYS = { perRequest: 'access_report.bulk_per_request', perDay: 'access_report.bulk_per_day' } as const

export function governanceRepository(ctx: Ctx, actor: Actor) {
  const P = actor.partnershipId

  /** An entry the actor may see, with what the page shows. */
  async function visibleEntry(trx: Transaction<DB>, entryId: string, now: Date, lock = false): Promise<EntryRow | undefined> {
    if (!isUuid(entryId)) return undefined
    let q = trx
      .selectFrom('entry as e')
      .innerJoin('child as c', 'c.id', 'e.child_id')
      .innerJoin('agency as a', 'a.id', 'e.source_agency_id')
      .leftJoin('membership as m', 'm.id', 'e.author_membership_id')
      .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .leftJoin('team as t', 't.id', 'e.author_team_id')
      .select([
        'e.id',
        'e.child_id',
        'c.given_name',
        'c.family_name',
        'e.type',
        'e.category',
        'e.occurred_at',
        'e.occurred_time_known',
        'e.recorded_at',
        'e.significance',
        'e.summary',
        'e.visibility',
        'e.restricted_agency_ids',
        'e.restricted_roles',
        'e.source_agency_id',
        'a.name as agency_name',
        'p.given_name as author_given',
        'p.family_name as author_family',
        'm.role as author_role',
        'e.author_team_id',
        't.name as team_name',
        'e.supersedes_entry_id',
        categoryLabelsJson(P, sql`array[e.category]`).as('category_labels'),
      ])
      .where('e.partnership_id', '=', P)
      .where('e.id', '=', entryId)
      .where(entryVisible(actor, now))
    if (lock) q = q.forUpdate('e')
    const r = await q.executeTakeFirst()
    if (!r) return undefined
    // the entry this one corrects is named only when the actor may see it too
    const corrects = r.supersedes_entry_id ? await trx.selectFrom('entry as e').select('e.id').where('e.partnership_id', '=', P).where('e.id', '=', r.supersedes_entry_id).where(entryVisible(actor, now)).executeTakeFirst() : undefined
    return {
      id: r.id,
      childId: r.child_id,
      childName: `${r.given_name} ${r.family_name}`,
      type: r.type,
      category: r.category,
      categoryLabels: r.category_labels ?? {},
      occurredAt: r.occurred_at,
      occurredTimeKnown: r.occurred_time_known,
      recordedAt: r.recorded_at,
      significance: r.significance,
      summary: r.summary,
      visibility: r.visibility,
      restrictedAgencyIds: r.restricted_agency_ids,
      restrictedRoles: r.restricted_roles,
      sourceAgencyId: r.source_agency_id,
      sourceAgencyName: r.agency_name,
      author: r.author_given ? `${r.author_given} ${r.author_family}` : null,
      authorRole: r.author_role,
      authorTeamId: r.author_team_id,
      authorTeamName: r.team_name,
      supersedesEntryId: corrects?.id ?? null,
    }
  }

  /** The actor's relationship to the child that lets them in (standing ones first), for the audit row. */
  async function relationshipTo(trx: Transaction<DB>, childId: string, now: Date): Promise<string | null> {
    const r = await reachingRelationships(trx, actor, now).where('r.child_id', '=', childId).orderBy(sql`r.type in ('break_glass', 'self_claimed')`).orderBy('r.starts_at').limit(1).executeTakeFirst()
    return r?.id ?? null
  }

  const mayChange = (e: EntryRow) => hasPermission(actor.role, 'entry:visibility') && actor.agencyId === e.sourceAgencyId && e.visibility !== 'sealed'
  const maySealRequest = (e: EntryRow) => hasPermission(actor.role, 'entry:seal-request') && Boolean(actor.teamId) && e.authorTeamId === actor.teamId

  /** The label an unseal restores: what the entry was before its latest seal (an entry sealed at import: `agency`). */
  async function beforeSeal(trx: Transaction<DB>, entryId: string): Promise<VisibilityState> {
    const last = await trx
      .selectFrom('entry_visibility_change')
      .select(['from_visibility', 'from_restricted_agency_ids', 'from_restricted_roles'])
      .where('partnership_id', '=', P)
      .where('entry_id', '=', entryId)
      .where('kind', '=', 'seal')
      .orderBy('changed_at', 'desc')
      .limit(1)
      .executeTakeFirst()
    return last ? { visibility: last.from_visibility, restrictedAgencyIds: last.from_restricted_agency_ids, restrictedRoles: last.from_restricted_roles } : { visibility: 'agency', restrictedAgencyIds: [], restrictedRoles: [] }
  }

  /** Records the change, then makes it (the entry trigger admits only a change recorded by this transaction). */
  async function applyChange(trx: Transaction<DB>, e: { id: string; childId: string } & VisibilityState, to: VisibilityState, kind: VisibilityChangeKind, reason: string, now: Date, refs: { id?: string; approvalId?: string; sharingDecisionId?: string }) {
    const id = refs.id ?? randomUUID()
    const toAgencies = to.visibility === 'restricted' ? [...new Set(to.restrictedAgencyIds)] : []
    const toRoles = to.visibility === 'restricted' ? [...new Set(to.restrictedRoles)] : []
    await trx
      .insertInto('entry_visibility_change')
      .values({
        id,
        partnership_id: P,
        entry_id: e.id,
        child_id: e.childId,
        kind,
        from_visibility: e.visibility,
        from_restricted_agency_ids: [...e.restrictedAgencyIds],
        from_restricted_roles: [...e.restrictedRoles],
        to_visibility: to.visibility,
        to_restricted_agency_ids: toAgencies,
        to_restricted_roles: toRoles,
        reason,
        changed_by: actor.membershipId,
        changed_at: now,
        approval_id: refs.approvalId ?? null,
        sharing_decision_id: refs.sharingDecisionId ?? null,
      })
      .execute()
    await trx.updateTable('entry').set({ visibility: to.visibility, restricted_agency_ids: toAgencies, restricted_roles: toRoles }).where('partnership_id', '=', P).where('id', '=', e.id).execute()
    return id
  }

  /** Agencies a widened entry newly reaches (the sharing decision's recipients), never the authoring agency. */
  async function recipients(trx: Transaction<DB>, e: EntryRow, to: VisibilityState, now: Date): Promise<string[]> {
    const own = e.sourceAgencyId
    const audienceAgencies = async (v: VisibilityState): Promise<string[]> => {
      if (v.visibility === 'restricted') return [...v.restrictedAgencyIds]
      if (v.visibility === 'front_door') return (await trx.selectFrom('team').select('agency_id').distinct().where('partnership_id', '=', P).where('is_front_door', '=', true).execute()).map((t) => t.agency_id)
      if (v.visibility === 'team') {
        // the agencies working with the child now (their relationships), or, when there are none, every other agency
        const involved = await sql<{ agency_id: string }>`
          select distinct coalesce(r.holder_agency_id, t.agency_id, m.agency_id) as agency_id
          from relationship r
          left join team t on t.id = r.holder_team_id
          left join membership m on m.id = r.holder_membership_id
          where r.partnership_id = ${P}::uuid and r.child_id = ${e.childId}::uuid and r.starts_at <= ${now} and (r.ends_at is null or r.ends_at > ${now})`.execute(trx)
        const ids = involved.rows.map((r) => r.agency_id).filter((a) => a && a !== own)
        if (ids.length) return ids
        return (await trx.selectFrom('agency').select('id').where('partnership_id', '=', P).execute()).map((a) => a.id)
      }
      return []
    }
    const before = new Set(await audienceAgencies(e))
    const after = (await audienceAgencies(to)).filter((a) => a !== own)
    const added = after.filter((a) => !before.has(a))
    return [...new Set(added.length ? added : after)]
  }

  /** Who is told of a new request: the authoring team's managers and information governance (not the requester). */
  async function approversOf(trx: Transaction<DB>, authorTeamId: string, now: Date): Promise<string[]> {
    const rows = await currentMembershipsQuery(trx, P, now)
      .select('m.id')
      .where('m.practitioner_id', '<>', actor.practitionerId)
      .where((eb) => eb.or([eb('m.role', '=', 'ig_officer'), eb.and([eb('m.team_id', '=', authorTeamId), eb('m.role', 'in', ENTRY_MANAGER_ROLES)])]))
      .execute()
    return rows.map((r) => r.id)
  }

  /**
   * May the actor decide this entry request? Information governance (what the entry is, never its content), or a
   * manager of the authoring team who sees the entry. The same practitioner as the requester is refused by decide().
   */
  async function mayDecideEntry(trx: Transaction<DB>, entryId: string, now: Date): Promise<boolean> {
    if (!hasPermission(actor.role, 'approval:decide')) return false
    if (actor.role === 'ig_officer') return true
    if (!ENTRY_MANAGER_ROLES.includes(actor.role) || !actor.teamId) return false
    const e = await trx.selectFrom('entry as e').select('e.id').where('e.partnership_id', '=', P).where('e.id', '=', entryId).where('e.author_team_id', '=', actor.teamId).where(entryVisible(actor, now)).executeTakeFirst()
    return Boolean(e)
  }

  /** An approval the actor may see: theirs, decided by them, or one they may decide. */
  async function visibleApproval(trx: Transaction<DB>, id: string, now: Date, lock = false): Promise<{ approval: Approval; mayDecide: boolean } | undefined> {
    const a = await loadApproval(trx, actor, id, lock)
    // Only entry approvals (seal/unseal) are decided here; other kinds (subject access release, retention deletion,
    // bulk export) have their own pages and rules.
    if (!a || a.subject_type !== 'entry') return undefined
    const mayDecide = await mayDecideEntry(trx, a.subject_ids[0]!, now)
    const mine = a.requested_by_practitioner === actor.practitionerId || a.decided_by_practitioner === actor.practitionerId
    return mine || mayDecide ? { approval: a, mayDecide } : undefined
  }

  /** What an approval page shows: the request, and the entry as metadata (its content only to those who see it). */
  async function approvalView(trx: Transaction<DB>, a: Approval, now: Date) {
    const entryId = a.subject_ids[0]!
    const meta = await trx
      .selectFrom('entry as e')
      .innerJoin('child as c', 'c.id', 'e.child_id')
      .innerJoin('agency as ag', 'ag.id', 'e.source_agency_id')
      .leftJoin('membership as m', 'm.id', 'e.author_membership_id')
      .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .leftJoin('team as t', 't.id', 'e.author_team_id')
      .select(['e.id', 'e.child_id', 'c.given_name', 'c.family_name', 'e.type', 'e.occurred_at', 'e.visibility', 'ag.name as agency', 'p.given_name as author_given', 'p.family_name as author_family', 't.name as team'])
      .where('e.partnership_id', '=', P)
      .where('e.id', '=', entryId)
      .executeTakeFirstOrThrow()
    const sees = await visibleEntry(trx, entryId, now)
    const people = await trx
      .selectFrom('membership as m')
      .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .innerJoin('agency as ag', 'ag.id', 'm.agency_id')
      .select(['m.id', 'p.given_name', 'p.family_name', 'm.role', 'ag.name as agency'])
      .where('m.id', 'in', [a.requested_by, ...(a.decided_by ? [a.decided_by] : [])])
      .execute()
    const who = (id: string | null) => {
      const p = people.find((x) => x.id === id)
      return p ? { name: `${p.given_name} ${p.family_name}`, role: p.role, agency: p.agency } : null
    }
    return {
      id: a.id,
      kind: a.kind,
      state: a.state,
      reason: a.reason,
      requestedAt: a.requested_at,
      requestedBy: who(a.requested_by),
      decidedBy: who(a.decided_by),
      decidedAt: a.decided_at,
      decisionReason: a.decision_reason,
      rowVersion: a.row_version,
      mine: a.requested_by_practitioner === actor.practitionerId,
      entry: {
        id: meta.id,
        childId: meta.child_id,
        childName: `${meta.given_name} ${meta.family_name}`,
        type: meta.type,
        occurredAt: meta.occurred_at,
        visibility: meta.visibility,
        agency: meta.agency,
        author: meta.author_given ? `${meta.author_given} ${meta.author_family}` : null,
        team: meta.team,
        /** The content, only for a viewer who may see the entry. */
        summary: sees?.summary ?? null,
      },
    }
  }

  /** Everything the entry's page shows (the caller has checked the entry is visible). */
  async function entryPage(trx: Transaction<DB>, e: EntryRow, now: Date): Promise<EntryPage> {
    const [history, open, agencies, relationshipId, disputes] = await Promise.all([
      trx
        .selectFrom('entry_visibility_change as v')
        .innerJoin('membership as m', 'm.id', 'v.changed_by')
        .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
        .select(['v.id', 'v.kind', 'v.from_visibility', 'v.to_visibility', 'v.to_restricted_agency_ids', 'v.reason', 'v.changed_at', 'v.approval_id', 'v.sharing_decision_id', 'p.given_name', 'p.family_name', 'm.role'])
        .where('v.partnership_id', '=', P)
        .where('v.entry_id', '=', e.id)
        .orderBy('v.changed_at', 'desc')
        .execute(),
      trx
        .selectFrom('approval_request as ar')
        .innerJoin('membership as m', 'm.id', 'ar.requested_by')
        .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
        .select(['ar.id', 'ar.kind', 'ar.reason', 'ar.requested_at', 'ar.row_version', 'ar.requested_by_practitioner', 'p.given_name', 'p.family_name'])
        .where('ar.partnership_id', '=', P)
        .where('ar.state', '=', 'requested')
        .where('ar.subject_type', '=', 'entry')
        .where('ar.subject_ids', '=', sql<string[]>`array[${e.id}]::uuid[]`)
        .executeTakeFirst(),
      trx.selectFrom('agency').select(['id', 'name']).where('partnership_id', '=', P).orderBy('name').execute(),
      relationshipTo(trx, e.childId, now),
      disputesOf(trx, P, e.id),
    ])
    const names = new Map(agencies.map((a) => [a.id, a.name]))
    // an open request to seal or unseal, and its reason, show only to the one who asked and to those who may decide
    // it: the reason often says why the entry must be hidden, and the request itself would tip off the people it is
    // about to be hidden from
    const openShown = open && (open.requested_by_practitioner === actor.practitionerId || (await mayDecideEntry(trx, e.id, now))) ? open : undefined
    return {
      entry: { ...e, restrictedAgencyNames: e.restrictedAgencyIds.map((id) => names.get(id) ?? 'an agency') },
      history: history.map((h) => ({
        id: h.id,
        kind: h.kind,
        from: h.from_visibility,
        to: h.to_visibility,
        toAgencies: h.to_restricted_agency_ids.map((id) => names.get(id) ?? 'an agency'),
        reason: h.reason,
        at: h.changed_at,
        approvalId: h.approval_id,
        sharingDecisionId: h.sharing_decision_id,
        by: `${h.given_name} ${h.family_name}`,
        role: h.role,
      })),
      open: openShown
        ? { id: openShown.id, kind: openShown.kind, reason: openShown.reason, requestedAt: openShown.requested_at, rowVersion: openShown.row_version, by: `${openShown.given_name} ${openShown.family_name}`, mine: openShown.requested_by_practitioner === actor.practitionerId }
        : null,
      agencies: agencies.filter((a) => a.id !== e.sourceAgencyId),
      roles: CASE_ROLES,
      may: { change: mayChange(e), seal: maySealRequest(e) && e.visibility !== 'sealed' && !open, unseal: maySealRequest(e) && e.visibility === 'sealed' && !open },
      relationshipId,
      disputes,
    }
  }

  return {
    /** The entry's page: the entry, its visibility history, an open seal/unseal request, and what the viewer may do. */
    async entry(entryId: string): Promise<EntryPage | null> {
      return auditedTransaction(ctx, actor, 'entry.view', async (trx, now) => {
        const e = await visibleEntry(trx, entryId, now)
        if (!e) return { result: null, audit: { action: 'entry.view', outcome: 'not_found' as const, entityType: 'entry', entityId: entryId } }
        const page = await entryPage(trx, e, now)
        return { result: page, audit: { action: 'entry.view', outcome: 'success', entityType: 'entry', entityId: e.id, childIds: [e.childId], relationshipId: page.relationshipId } }
      })
    },

    /**
     * Widens or narrows an entry's visibility (never to or from `sealed`: that takes two people). Widening records a
     * sharing decision (context 'visibility_change') in the same transaction; narrowing needs only the reason. A
     * widening asked for without its sharing decision is not made: the answer is the page, to record it
     * ('needs-sharing', audited as a view). A change that cannot be made as asked is 'invalid', with the problems by
     * field and the page (audited as refused); nothing is written.
     */
    async changeVisibility(entryId: string, input: VisibilityChangeInput): Promise<ChangeResult | null> {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'entry.visibility', async (trx, now) => {
        const e = await visibleEntry(trx, entryId, now, true)
        if (!e) return { result: null, audit: { action: 'entry.visibility', outcome: 'not_found' as const, entityType: 'entry', entityId: entryId } }
        const to: VisibilityState = { visibility: input.visibility, restrictedAgencyIds: input.visibility === 'restricted' ? [...new Set(input.restrictedAgencyIds)] : [], restrictedRoles: input.visibility === 'restricted' ? [...new Set(input.restrictedRoles)] : [] }
        const kind = changeKind(e, to, e.sourceAgencyId)
        const action = `entry.visibility.${kind}`
        const base = { entityType: 'entry', entityId: e.id, childIds: [e.childId] }
        const invalid = async (fields: FieldProblem[]) => ({
          result: { status: 'invalid' as const, kind, fields, page: await entryPage(trx, e, now) },
          audit: { ...base, action, outcome: 'refused' as const, details: { refused: fields.map((f) => f.message).join('; ').slice(0, 500) } },
        })
        if (!hasPermission(actor.role, 'entry:visibility') || actor.agencyId !== e.sourceAgencyId) return invalid([{ path: 'visibility', message: 'Only the agency that recorded this entry can change who sees it' }])
        if (e.visibility === 'sealed') return invalid([{ path: 'visibility', message: 'This entry is sealed: ask for it to be unsealed (a second person approves)' }])
        if (input.visibility === 'sealed') return invalid([{ path: 'visibility', message: 'Sealing needs a second person: ask for the entry to be sealed instead' }])
        const problems: FieldProblem[] = []
        if (to.visibility === 'restricted') {
          const known = to.restrictedAgencyIds.length && to.restrictedAgencyIds.every(isUuid) ? await trx.selectFrom('agency').select('id').where('partnership_id', '=', P).where('id', 'in', to.restrictedAgencyIds).execute() : []
          if (!to.restrictedAgencyIds.length) problems.push({ path: 'restrictedAgencyIds', message: 'Choose the agencies that may see the entry' })
          else if (known.length !== to.restrictedAgencyIds.length) problems.push({ path: 'restrictedAgencyIds', message: 'Choose the agencies that may see the entry from the list' })
          if (to.restrictedRoles.some((r) => !(CASE_ROLES as readonly string[]).includes(r))) problems.push({ path: 'restrictedRoles', message: 'Choose roles from the list' })
        }
        if (!problems.length && sameVisibility(e, to)) problems.push({ path: 'visibility', message: 'The entry already has this visibility: choose another' })
        const reason = input.reason.trim()
        if (!reason) problems.push({ path: 'reason', message: kind === 'widen' ? 'Record the reasons for sharing more widely' : 'Give the reason for the change' })
        if (problems.length) return invalid(problems)
        const relationshipId = await relationshipTo(trx, e.childId, now)
        if (kind === 'widen' && !input.sharing) {
          // not made: the sharing decision comes first (the page to record it)
          return { result: { status: 'needs-sharing' as const, kind, page: await entryPage(trx, e, now) }, audit: { ...base, action: 'entry.view', outcome: 'success' as const, relationshipId, details: { step: 'widening: the sharing decision', to: to.visibility } } }
        }
        const changeId = randomUUID()
        let sharing: Awaited<ReturnType<typeof recordSharingDecision>> | null = null
        if (kind === 'widen') {
          try {
            sharing = await recordSharingDecision(
              trx,
              actor,
              now,
              {
                ...input.sharing!,
                childId: e.childId,
                shared: true,
                what: `${entryTypeLabel(e.type)} entry of ${formatDate(e.occurredAt)} from ${e.sourceAgencyName}: who can see it widened`,
                entryIds: [e.id],
                withAgencyIds: await recipients(trx, e, to, now),
                reasons: reason,
                context: 'visibility_change',
                contextId: changeId,
              },
              { audit: false },
            )
          } catch (err) {
            // validated before anything is written: the problems go back to the form
            if (err instanceof SharingValidationError) return invalid(err.fields.map((f) => (f.path === 'reasons' ? { ...f, path: 'reason' } : f)))
            throw err
          }
        }
        await applyChange(trx, e, to, kind, reason, now, { id: changeId, ...(sharing ? { sharingDecisionId: sharing.id } : {}) })
        return {
          result: { status: 'done' as const, kind, sharingDecisionId: sharing?.id ?? null },
          audit: {
            ...base,
            action,
            outcome: 'success',
            relationshipId,
            details: { change: changeId, from: e.visibility, to: to.visibility, ...(sharing ? { sharingDecision: sharing.id, withinAgreement: sharing.withinAgreement } : {}) },
          },
        }
      })
    },

    /** Asks for the entry to be sealed (or unsealed): the authoring team, with a reason; a second person decides. */
    async requestSeal(entryId: string, which: 'seal' | 'unseal', reason: string): Promise<{ approvalId: string } | null> {
      const action = `entry.${which}.request`
      return auditedTransaction(ctx, actor, action, async (trx, now) => {
        const e = await visibleEntry(trx, entryId, now, true)
        if (!e) return { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'entry', entityId: entryId } }
        if (!maySealRequest(e)) throw new RefusedError(`Only the team that recorded this entry can ask for it to be ${which}ed`)
        if (which === 'seal' && e.visibility === 'sealed') throw new RefusedError('This entry is already sealed')
        if (which === 'unseal' && e.visibility !== 'sealed') throw new RefusedError('This entry is not sealed')
        const restore = which === 'unseal' ? await beforeSeal(trx, e.id) : null
        const approval = await requestApproval(trx, actor, now, {
          kind: which === 'seal' ? 'seal_entry' : 'unseal_entry',
          subjectType: 'entry',
          subjectIds: [e.id],
          childIds: [e.childId],
          payload: restore ? { restore } : { from: { visibility: e.visibility } },
          reason,
        })
        await notifyMemberships(trx, P, await approversOf(trx, e.authorTeamId!, now), { kind: 'approval.requested', childId: e.childId, subjectType: 'approval_request', subjectId: approval.id, link: `/approvals/${approval.id}` }, now)
        return {
          result: { approvalId: approval.id },
          audit: { action, outcome: 'success', entityType: 'entry', entityId: e.id, childIds: [e.childId], relationshipId: await relationshipTo(trx, e.childId, now), details: { approval: approval.id } },
        }
      })
    },

    /** The requests waiting for the actor's decision, and the actor's own (and recently decided) requests. */
    async approvals() {
      return auditedTransaction(ctx, actor, 'approval.list', async (trx, now) => {
        const canDecide = hasPermission(actor.role, 'approval:decide')
        const rows = await trx
          .selectFrom('approval_request as ar')
          .innerJoin('entry as e', (j) => j.on(sql<boolean>`e.id = ar.subject_ids[1]`).on('ar.subject_type', '=', 'entry'))
          .innerJoin('child as c', 'c.id', 'e.child_id')
          .innerJoin('agency as ag', 'ag.id', 'e.source_agency_id')
          .innerJoin('membership as rm', 'rm.id', 'ar.requested_by')
          .innerJoin('practitioner as rp', 'rp.id', 'rm.practitioner_id')
          .select(['ar.id', 'ar.kind', 'ar.state', 'ar.requested_at', 'ar.decided_at', 'ar.requested_by_practitioner', 'ar.decided_by_practitioner', 'e.child_id', 'c.given_name', 'c.family_name', 'e.type', 'ag.name as agency', 'rp.given_name as by_given', 'rp.family_name as by_family'])
          .where('ar.partnership_id', '=', P)
          .where((eb) => {
            const ors = [eb('ar.requested_by_practitioner', '=', actor.practitionerId), eb('ar.decided_by_practitioner', '=', actor.practitionerId)]
            if (canDecide && actor.role === 'ig_officer') ors.push(eb('ar.state', '=', 'requested'))
            if (canDecide && ENTRY_MANAGER_ROLES.includes(actor.role) && actor.teamId) ors.push(eb.and([eb('ar.state', '=', 'requested'), eb('e.author_team_id', '=', actor.teamId), entryVisible(actor, now)(eb as never)]))
            return eb.or(ors)
          })
          .orderBy('ar.requested_at', 'desc')
          .limit(200)
          .execute()
        const items = rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          state: r.state,
          requestedAt: r.requested_at,
          decidedAt: r.decided_at,
          childName: `${r.given_name} ${r.family_name}`,
          entryType: r.type,
          agency: r.agency,
          by: `${r.by_given} ${r.by_family}`,
          mine: r.requested_by_practitioner === actor.practitionerId,
        }))
        const waiting = items.filter((i) => i.state === 'requested' && !i.mine)
        return {
          result: { waiting, mine: items.filter((i) => i.mine), decided: items.filter((i) => !i.mine && i.state !== 'requested') },
          audit: { action: 'approval.list', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))], details: { waiting: waiting.length } },
        }
      })
    },

    /** One request, as its requester, its decider or someone who may decide it sees it; otherwise not found. */
    async approval(id: string) {
      return auditedTransaction(ctx, actor, 'approval.view', async (trx, now) => {
        const found = await visibleApproval(trx, id, now)
        if (!found) return { result: null, audit: { action: 'approval.view', outcome: 'not_found' as const, entityType: 'approval_request', entityId: id } }
        const view = await approvalView(trx, found.approval, now)
        return {
          result: { ...view, mayDecide: found.mayDecide && found.approval.state === 'requested' && !view.mine, mayWithdraw: view.mine && found.approval.state === 'requested' },
          audit: { action: 'approval.view', outcome: 'success', entityType: 'approval_request', entityId: id, childIds: found.approval.child_ids },
        }
      })
    },

    /**
     * Approves or refuses. Approving a seal makes the entry `sealed`; approving an unseal restores what it was before
     * its seal — both recorded in entry_visibility_change with the approval. The requester's own practitioner (in any
     * membership) is refused, and the refusal audited.
     */
    async decide(id: string, input: { decision: 'approve' | 'refuse'; reason: string; rowVersion: number }): Promise<ApprovalResult | null> {
      const action = input.decision === 'approve' ? 'approval.approve' : 'approval.refuse'
      return auditedTransaction<ApprovalResult | null>(ctx, actor, action, async (trx, now) => {
        const found = await visibleApproval(trx, id, now, true)
        if (!found || (!found.mayDecide && found.approval.requested_by_practitioner !== actor.practitionerId)) {
          return { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'approval_request', entityId: id } }
        }
        const a = found.approval
        const base = { action, entityType: 'approval_request', entityId: a.id, childIds: a.child_ids }
        const outcome = await decide(trx, actor, now, a, input)
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true, state: a.state } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        let change: string | null = null
        if (outcome.approval.state === 'approved') {
          const entryId = a.subject_ids[0]!
          const e = await trx.selectFrom('entry').select(['id', 'child_id', 'visibility', 'restricted_agency_ids', 'restricted_roles']).where('partnership_id', '=', P).where('id', '=', entryId).forUpdate().executeTakeFirstOrThrow()
          const current = { id: e.id, childId: e.child_id, visibility: e.visibility, restrictedAgencyIds: e.restricted_agency_ids, restrictedRoles: e.restricted_roles }
          if (a.kind === 'seal_entry') {
            if (e.visibility === 'sealed') throw new RefusedError('The entry is already sealed')
            change = await applyChange(trx, current, { visibility: 'sealed', restrictedAgencyIds: [], restrictedRoles: [] }, 'seal', a.reason, now, { approvalId: a.id })
          } else {
            if (e.visibility !== 'sealed') throw new RefusedError('The entry is no longer sealed')
            change = await applyChange(trx, current, await beforeSeal(trx, entryId), 'unseal', a.reason, now, { approvalId: a.id })
          }
        }
        await notifyMemberships(trx, P, [a.requested_by], { kind: 'approval.decided', childId: a.child_ids[0] ?? null, subjectType: 'approval_request', subjectId: a.id, link: `/approvals/${a.id}` }, now)
        return {
          result: { status: 'decided' as const, state: outcome.approval.state },
          audit: { ...base, outcome: 'success' as const, details: { kind: a.kind, state: outcome.approval.state, entry: a.subject_ids[0], ...(change ? { change } : {}) } },
        }
      })
    },

    /** The requester withdraws their open request. */
    async withdraw(id: string, rowVersion: number): Promise<ApprovalResult | null> {
      return auditedTransaction<ApprovalResult | null>(ctx, actor, 'approval.withdraw', async (trx, now) => {
        const found = await visibleApproval(trx, id, now, true)
        if (!found) return { result: null, audit: { action: 'approval.withdraw', outcome: 'not_found' as const, entityType: 'approval_request', entityId: id } }
        const a = found.approval
        const base = { action: 'approval.withdraw', entityType: 'approval_request', entityId: a.id, childIds: a.child_ids }
        const outcome = await withdraw(trx, actor, now, a, { rowVersion })
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        return { result: { status: 'decided' as const, state: 'withdrawn' }, audit: { ...base, outcome: 'success' as const, details: { kind: a.kind } } }
      })
    },

    /**
     * The partnership's unusual-access report over a period (London dates, inclusive), for information governance.
     * The audit chain is verified first — the seals since the period began, against the keyed checkpoints —; the
     * report says whether it held and, if not, names the first bad row. Reading the report is audited (with that
     * result). Null when the role may not read it.
     */
    async accessReport(period: ReportPeriod, verification: AuditVerification) {
      if (!hasPermission(actor.role, 'access:report')) return null
      const now = ctx.clock.now()
      const [fromAt, toAt] = await londonBounds(ctx.db, period)
      // verified before anything is read for the report: the chain from the last seal before the period to the end
      const chain = await verifyAudit(ctx.db, { ...verification, mode: 'full', now, partnershipId: P, fromSealedAt: new Date(fromAt.getTime() - 60_000) })
      return auditedTransaction(ctx, actor, 'audit.access-report', async (trx) => {
        const thresholds = {
          perRequest: Number(await setting(trx, P, BULK_SETTING_KEYS.perRequest, BULK_DEFAULTS.perRequest)) || BULK_DEFAULTS.perRequest,
          perDay: Number(await setting(trx, P, BULK_SETTING_KEYS.perDay, BULK_DEFAULTS.perDay)) || BULK_DEFAULTS.perDay,
        }
        const figures = await reportFigures(trx, P, fromAt, toAt, thresholds)
        const firstBad = chain.firstBad[0] ?? null
        return {
          result: { period, thresholds, chain: chainSummary(chain), figures },
          audit: {
            action: 'audit.access-report',
            outcome: 'success',
            childIds: figures.withoutRelationship.rows.map((r) => r.childId),
            details: { from: period.from, to: period.to, chainOk: chain.ok, firstBad: firstBad ? { sealSeq: firstBad.sealSeq, auditId: firstBad.auditId } : null, thresholds },
          },
        }
      })
    },
  }
}

/** The period's instants: midnight in London at the start of `from`, and at the end of `to`. */
async function londonBounds(db: Ctx['db'], period: ReportPeriod): Promise<[Date, Date]> {
  const r = await sql<{ f: Date; t: Date }>`select (${period.from}::date)::timestamp at time zone 'Europe/London' as f, ((${period.to}::date + 1)::timestamp at time zone 'Europe/London') as t`.execute(db)
  return [new Date(r.rows[0]!.f), new Date(r.rows[0]!.t)]
}

export interface ChainSummary {
  ok: boolean
  firstBad: { sealSeq: number | null; auditId: number | null; problem: string } | null
  problems: string[]
  unsealed: number
  verifiedFrom: number
  sealedThrough: number
}

function chainSummary(r: VerifyReport): ChainSummary {
  const first = r.firstBad[0] ?? null
  const p = r.partnerships[0]
  return {
    ok: r.ok,
    firstBad: first ? { sealSeq: first.sealSeq, auditId: first.auditId, problem: first.problem } : null,
    problems: r.checkpointProblems,
    unsealed: r.unsealedOverLimit.length,
    verifiedFrom: p ? p.verifiedFrom + 1 : 0,
    sealedThrough: p?.sealedThrough ?? 0,
  }
}

interface Who {
  membershipId: string | null
  name: string
  role: string | null
  agency: string | null
}

/**
 * The report's figures, from the audit rows of the period (and the relationships they name or were held by):
 * break-glass per practitioner; single-record looks through break-glass, a self-claim or no relationship at all
 * (by case roles: information governance and administrators read by role, not by relationship); bulk views.
 */
async function reportFigures(trx: Transaction<DB>, P: string, fromAt: Date, toAt: Date, t: { perRequest: number; perDay: number }) {
  const inPeriod = sql`a.partnership_id = ${P}::uuid and a.at >= ${fromAt} and a.at < ${toAt} and a.actor_kind = 'practitioner'`
  const person = sql`p.given_name || ' ' || p.family_name`
  const breakGlass = await sql<{ membership_id: string; name: string; role: string; agency: string; granted: number; children: number; looks: number }>`
    with granted as (
      select r.holder_membership_id as membership_id, count(*)::int as granted, count(distinct r.child_id)::int as children
      from relationship r
      where r.partnership_id = ${P}::uuid and r.type = 'break_glass' and r.starts_at >= ${fromAt} and r.starts_at < ${toAt}
      group by 1),
    looked as (
      select a.actor_membership_id as membership_id, count(*)::int as looks
      from audit_event a join relationship r on r.id = a.relationship_id and r.type = 'break_glass'
      where ${inPeriod}
      group by 1)
    select m.id as membership_id, ${person} as name, m.role, ag.name as agency,
           coalesce(g.granted, 0) as granted, coalesce(g.children, 0) as children, coalesce(l.looks, 0) as looks
    from granted g full join looked l on l.membership_id = g.membership_id
    join membership m on m.id = coalesce(g.membership_id, l.membership_id)
    join practitioner p on p.id = m.practitioner_id
    join agency ag on ag.id = m.agency_id
    order by granted desc, looks desc, name`.execute(trx)

  const flagged = await sql<{ id: number; at: Date; action: string; child_id: string; child_name: string; membership_id: string; name: string; role: string; agency: string; via: string | null }>`
    select a.id, a.at, a.action, a.child_ids[1] as child_id, c.given_name || ' ' || c.family_name as child_name,
           m.id as membership_id, ${person} as name, m.role, ag.name as agency, g.type as via
    from audit_event a
    join membership m on m.id = a.actor_membership_id
    join practitioner p on p.id = m.practitioner_id
    join agency ag on ag.id = m.agency_id
    join child c on c.id = a.child_ids[1]
    ${grantingRelationshipJoin(sql`a.child_ids[1]`)}
    where ${inPeriod} and a.outcome = 'success' and cardinality(a.child_ids) = 1 and m.role = any(${CASE_ROLES}::text[])
      and (g.type is null or g.type = any(${EXCEPTIONAL}::text[]))
    order by a.at desc
    limit 500`.execute(trx)
  const flaggedCount = await sql<{ via: string | null; n: number }>`
    select g.type as via, count(*)::int as n
    from audit_event a
    join membership m on m.id = a.actor_membership_id
    ${grantingRelationshipJoin(sql`a.child_ids[1]`)}
    where ${inPeriod} and a.outcome = 'success' and cardinality(a.child_ids) = 1 and m.role = any(${CASE_ROLES}::text[])
      and (g.type is null or g.type = any(${EXCEPTIONAL}::text[]))
    group by 1`.execute(trx)

  const bulkRequests = await sql<{ membership_id: string; name: string; role: string; agency: string; action: string; requests: number; most: number; last_at: Date }>`
    select m.id as membership_id, ${person} as name, m.role, ag.name as agency, a.action,
           count(*)::int as requests, max(cardinality(a.child_ids))::int as most, max(a.at) as last_at
    from audit_event a
    join membership m on m.id = a.actor_membership_id
    join practitioner p on p.id = m.practitioner_id
    join agency ag on ag.id = m.agency_id
    where ${inPeriod} and a.outcome = 'success' and cardinality(a.child_ids) >= ${t.perRequest}
    group by m.id, p.given_name, p.family_name, m.role, ag.name, a.action
    order by requests desc, most desc
    limit 200`.execute(trx)
  const bulkDays = await sql<{ membership_id: string; name: string; role: string; agency: string; day: string; children: number }>`
    select d.membership_id, ${person} as name, m.role, ag.name as agency, d.day::text as day, d.children
    from (
      select a.actor_membership_id as membership_id, (a.at at time zone 'Europe/London')::date as day, count(distinct k.child_id)::int as children
      from audit_event a cross join lateral unnest(a.child_ids) as k(child_id)
      where ${inPeriod} and a.outcome = 'success'
      group by 1, 2
      having count(distinct k.child_id) >= ${t.perDay}) d
    join membership m on m.id = d.membership_id
    join practitioner p on p.id = m.practitioner_id
    join agency ag on ag.id = m.agency_id
    order by d.children desc, d.day desc
    limit 200`.execute(trx)

  const who = (r: { membership_id: string; name: string; role: string; agency: string }): Who => ({ membershipId: r.membership_id, name: r.name, role: r.role, agency: r.agency })
  const byAgency = new Map<string, { agency: string; granted: number; looks: number }>()
  for (const r of breakGlass.rows) {
    const x = byAgency.get(r.agency) ?? { agency: r.agency, granted: 0, looks: 0 }
    x.granted += Number(r.granted)
    x.looks += Number(r.looks)
    byAgency.set(r.agency, x)
  }
  const counts = Object.fromEntries(flaggedCount.rows.map((r) => [r.via ?? 'none', Number(r.n)])) as Record<string, number>
  return {
    breakGlass: {
      byPractitioner: breakGlass.rows.map((r) => ({ ...who(r), granted: Number(r.granted), children: Number(r.children), looks: Number(r.looks) })),
      byAgency: [...byAgency.values()].sort((a, b) => b.granted - a.granted || a.agency.localeCompare(b.agency)),
      granted: breakGlass.rows.reduce((n, r) => n + Number(r.granted), 0),
      looks: breakGlass.rows.reduce((n, r) => n + Number(r.looks), 0),
    },
    withoutRelationship: {
      counts: { noRelationship: counts.none ?? 0, break_glass: counts.break_glass ?? 0, self_claimed: counts.self_claimed ?? 0 },
      total: Object.values(counts).reduce((n, v) => n + v, 0),
      rows: flagged.rows.map((r) => ({ auditId: Number(r.id), at: new Date(r.at), action: r.action, childId: r.child_id, childName: r.child_name, ...who(r), via: r.via })),
    },
    bulk: {
      requests: bulkRequests.rows.map((r) => ({ ...who(r), action: r.action, requests: Number(r.requests), most: Number(r.most), lastAt: new Date(r.last_at) })),
      days: bulkDays.rows.map((r) => ({ ...who(r), day: r.day, children: Number(r.children) })),
    },
  }
}
