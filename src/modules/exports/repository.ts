// Bulk export with two-person approval (issue 6, scope 3; ASVS 2.3.5). Information governance exports its own
// agency's records of several children at once — the chronologies of the children named in a Child Safeguarding
// Practice Review, a court bundle, an independent reviewer — and because that moves a lot of the most sensitive data
// at once it needs two people:
// - an IG officer asks: the children (their TeamAround ids or NHS numbers, matched exactly among the children the
//   agency holds exportable records of — a child it holds nothing of is "not found", like one that does not exist),
//   what (the chronology entries; concerns optional), the purpose, the lawful basis (UK GDPR Art 6, the sharing
//   module's list, never consent: see CONSENT_BASIS) and the reason. That is a `bulk_export` row and a two-person
//   approval request (kind `bulk_export`, subject_type 'export');
// - a different IG officer of the same agency approves or refuses it (approvals.ts: never the same practitioner);
// - once approved, the requester downloads it as JSON for EXPORT_HOURS after approval. Its content is what the
//   agency holds as controller and may let go (agencyEntryExportable: never sealed, restricted only when its audience
//   includes the requester); nothing says what was left out (no counts of hidden items). Every download is recorded
//   (who, when, how many items per child) and audited naming every child, in the same transaction.
// Every call is one audited transaction; an export of another agency is not found.
import { createHash, randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import { agencyEntryExportable } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { isUuid } from '../../data/repositories/children.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, type Ctx } from '../../data/unit-of-work.ts'
import { entryTypeLabel } from '../../platform/http/render.ts'
import { decide, openApproval, requestApproval, withdraw, type Approval } from '../governance/approvals.ts'
import { LAWFUL_BASES } from '../sharing/codes.ts'
import { membershipNames, membershipsWithRolesQuery } from '../../data/memberships.ts'

type Trx = Transaction<DB>

export const SUBJECT_TYPE = 'export'
/** How long an approved export can be downloaded, from its approval. */
export const EXPORT_HOURS = 24
/** The most children one export may name (the database agrees: bulk_export_children). */
export const MAX_CHILDREN = 50

/** Why a bulk export is needed. */
export const EXPORT_PURPOSES = [
  { code: 'practice_review', label: 'A Child Safeguarding Practice Review', hint: 'A local or national review of a serious incident' },
  { code: 'court', label: 'Court proceedings', hint: 'A court bundle, or disclosure ordered by a court' },
  { code: 'independent_review', label: 'An independent reviewer or inspection', hint: 'For example an independent reviewing officer, Ofsted or an auditor' },
  { code: 'complaint', label: 'A complaint or ombudsman investigation' },
] as const
export type ExportPurpose = (typeof EXPORT_PURPOSES)[number]['code']
export const EXPORT_LAWFUL_BASES = LAWFUL_BASES
/**
 * Consent (Art 6(1)(a)) is never the basis of a bulk export. TeamAround records consent only on a sharing decision —
 * one child, what was shared, with whom, for one of the sharing purposes — so no record can show that consent was
 * given for an export (its purposes are not sharing purposes), nor that it still stands: an export on consent would be
 * backed by nothing. Refused when asked for, when approved and when downloaded (an export asked for before the rule).
 */
export const CONSENT_BASIS = '6.1.a'
const CONSENT_NOT_RECORDED = 'Consent cannot be the lawful basis for a bulk export: no consent recorded in TeamAround covers an export'
export const CONSENT_REFUSED = {
  request: `${CONSENT_NOT_RECORDED}. Choose another basis, such as legal obligation for a court order or public task for a practice review`,
  approve: `${CONSENT_NOT_RECORDED}. Refuse this request: the officer who asked for it can ask again on another basis`,
  download: `${CONSENT_NOT_RECORDED}. Ask for a new export on another basis`,
}
/** The bases the request form offers (a request on consent is refused all the same). */
export const EXPORT_OFFERED_BASES = EXPORT_LAWFUL_BASES.filter((b) => b.code !== CONSENT_BASIS)

export const labelOf = (list: readonly { code: string; label: string }[], code: string) => list.find((x) => x.code === code)?.label ?? code

export type ChildIdentifier = { kind: 'id'; id: string } | { kind: 'nhs_number'; nhsNumber: string }

export interface NewExport {
  children: readonly ChildIdentifier[]
  includeConcerns: boolean
  purpose: ExportPurpose
  lawfulBasis: string
  reason: string
}

export type RequestResult = { status: 'requested'; id: string } | { status: 'no-match'; lines: number[] } | { status: 'basis-refused'; message: string }
export type DecideResult = { status: 'decided'; state: string } | { status: 'refused'; message: string } | { status: 'conflict' }
export type DownloadResult = { status: 'ok'; document: ExportDocument } | { status: 'expired' } | { status: 'not-approved' } | { status: 'basis-refused'; message: string }

export interface ExportDocument {
  export: {
    id: string
    controller: string
    purpose: string
    lawfulBasis: string
    reason: string
    requestedBy: string | null
    requestedAt: string
    approvedBy: string | null
    approvedAt: string
    availableUntil: string
    downloadedAt: string
    contains: string[]
    contentHash: string
  }
  children: {
    id: string
    name: string
    dateOfBirth: string | null
    nhsNumber: string | null
    entries: { id: string; occurredAt: string; recordedAt: string; type: string; category: string | null; significance: string; visibility: string; author: string | null; summary: string; supersedes: string | null }[]
    concerns?: { id: string; occurredAt: string; category: string; seenOrHeard: string; childWords: string | null; location: string | null; otherChildren: string | null; status: string }[]
  }[]
}

export function exportsRepository(ctx: Ctx, actor: Actor) {
  const P = actor.partnershipId
  const A = actor.agencyId
  const mayManage = hasPermission(actor.role, 'export:manage')

  /** The children, of those asked about, that the agency holds an exportable record of (its own record of them, or an exportable entry). */
  async function inScope(trx: Trx, childIds: readonly string[]): Promise<Set<string>> {
    if (!childIds.length) return new Set()
    const rows = await trx
      .selectFrom('child as c')
      .select('c.id')
      .where('c.partnership_id', '=', P)
      .where('c.id', 'in', [...childIds])
      .where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('agency_record as ar').select('ar.id').whereRef('ar.child_id', '=', 'c.id').where('ar.partnership_id', '=', P).where('ar.agency_id', '=', A)),
          eb.exists(eb.selectFrom('entry as e').select('e.id').whereRef('e.child_id', '=', 'c.id').where(agencyEntryExportable(actor))),
        ]),
      )
      .execute()
    return new Set(rows.map((r) => r.id))
  }

  /** Each identifier's child (exactly one match in scope), or undefined. */
  async function resolve(trx: Trx, ids: readonly ChildIdentifier[]): Promise<(string | undefined)[]> {
    const byId = ids.filter((i): i is { kind: 'id'; id: string } => i.kind === 'id' && isUuid(i.id)).map((i) => i.id.toLowerCase())
    const nhs = ids.filter((i): i is { kind: 'nhs_number'; nhsNumber: string } => i.kind === 'nhs_number').map((i) => i.nhsNumber.replace(/\s+/g, ''))
    const byNhs = nhs.length ? await trx.selectFrom('child').select(['id', 'nhs_number']).where('partnership_id', '=', P).where('nhs_number', 'in', nhs).execute() : []
    const scope = await inScope(trx, [...new Set([...byId, ...byNhs.map((r) => r.id)])])
    return ids.map((i) => {
      if (i.kind === 'id') return isUuid(i.id) && scope.has(i.id.toLowerCase()) ? i.id.toLowerCase() : undefined
      const digits = i.nhsNumber.replace(/\s+/g, '')
      const matches = byNhs.filter((r) => r.nhs_number === digits && scope.has(r.id))
      return matches.length === 1 ? matches[0]!.id : undefined
    })
  }

  /** The export, if it is the actor's agency's (otherwise not found), with its approval. */
  async function load(trx: Trx, id: string) {
    if (!mayManage || !isUuid(id)) return undefined
    const x = await trx.selectFrom('bulk_export').selectAll().where('partnership_id', '=', P).where('id', '=', id).where('agency_id', '=', A).executeTakeFirst()
    if (!x) return undefined
    const approval = await trx.selectFrom('approval_request').selectAll().where('partnership_id', '=', P).where('id', '=', x.approval_id).executeTakeFirstOrThrow()
    return { x, approval }
  }
  type Loaded = NonNullable<Awaited<ReturnType<typeof load>>>

  const expiresAt = (a: Approval) => (a.state === 'approved' && a.decided_at ? new Date(a.decided_at.getTime() + EXPORT_HOURS * 3_600_000) : null)

  async function names(trx: Trx, membershipIds: readonly (string | null)[]) {
    const map = await membershipNames(trx, P, membershipIds)
    return (id: string | null) => (id ? (map.get(id) ?? null) : null)
  }

  async function childrenOf(trx: Trx, ids: readonly string[]) {
    const rows = await trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth', 'nhs_number']).where('partnership_id', '=', P).where('id', 'in', [...ids]).execute()
    const byId = new Map(rows.map((r) => [r.id, r]))
    // in the order asked for
    return ids.map((id) => byId.get(id)).filter((r): r is NonNullable<typeof r> => Boolean(r))
  }

  function summary(l: Loaded, now: Date, who: (id: string | null) => string | null) {
    const until = expiresAt(l.approval)
    return {
      id: l.x.id,
      purpose: labelOf(EXPORT_PURPOSES, l.x.purpose),
      lawfulBasis: labelOf(EXPORT_LAWFUL_BASES, l.x.lawful_basis),
      includeConcerns: l.x.include_concerns,
      children: l.x.child_ids.length,
      reason: l.approval.reason,
      state: l.approval.state,
      requestedBy: who(l.x.requested_by),
      requestedAt: l.x.requested_at,
      decidedBy: who(l.approval.decided_by),
      decidedAt: l.approval.decided_at,
      decisionReason: l.approval.decision_reason,
      rowVersion: l.approval.row_version,
      mine: l.x.requested_by === actor.membershipId,
      availableUntil: until,
      expired: Boolean(until && now >= until),
      downloadable: Boolean(until && now < until && l.x.requested_by === actor.membershipId && l.x.lawful_basis !== CONSENT_BASIS),
      mayDecide: l.approval.state === 'requested' && l.approval.requested_by_practitioner !== actor.practitionerId && hasPermission(actor.role, 'approval:decide'),
    }
  }

  return {
    /** The agency's exports: waiting for a decision, ready to download (the actor's own), and the rest. */
    async list() {
      return auditedTransaction(ctx, actor, 'export.list', async (trx, now) => {
        if (!mayManage) return { result: null, audit: { action: 'export.list', outcome: 'not_found' as const } }
        const rows = await trx
          .selectFrom('bulk_export as x')
          .innerJoin('approval_request as a', 'a.id', 'x.approval_id')
          .selectAll('x')
          .select(['a.state', 'a.decided_at', 'a.decided_by', 'a.reason', 'a.requested_by_practitioner', 'a.row_version', 'a.decision_reason'])
          .where('x.partnership_id', '=', P)
          .where('x.agency_id', '=', A)
          .orderBy('x.requested_at', 'desc')
          .limit(500)
          .execute()
        const who = await names(trx, rows.flatMap((r) => [r.requested_by, r.decided_by]))
        const items = rows.map((r) =>
          summary(
            { x: r, approval: { state: r.state, decided_at: r.decided_at, decided_by: r.decided_by, reason: r.reason, requested_by_practitioner: r.requested_by_practitioner, row_version: r.row_version, decision_reason: r.decision_reason } as Approval },
            now,
            who,
          ),
        )
        return {
          result: {
            waiting: items.filter((i) => i.state === 'requested'),
            ready: items.filter((i) => i.downloadable),
            others: items.filter((i) => i.state !== 'requested' && !i.downloadable),
          },
          audit: { action: 'export.list', outcome: 'success' as const, details: { returned: items.length } },
        }
      })
    },

    /** Asks for an export: the children matched exactly, and a two-person approval request; other IG officers told. */
    async request(input: NewExport): Promise<RequestResult | null> {
      return auditedTransaction<RequestResult | null>(ctx, actor, 'export.request', async (trx, now) => {
        if (!mayManage) return { result: null, audit: { action: 'export.request', outcome: 'not_found' as const } }
        if (input.lawfulBasis === CONSENT_BASIS) {
          return { result: { status: 'basis-refused' as const, message: CONSENT_REFUSED.request }, audit: { action: 'export.request', outcome: 'refused' as const, details: { asked: input.children.length, lawfulBasis: input.lawfulBasis } } }
        }
        const resolved = await resolve(trx, input.children)
        const unmatched = resolved.flatMap((r, i) => (r ? [] : [i + 1]))
        if (unmatched.length) {
          return { result: { status: 'no-match' as const, lines: unmatched }, audit: { action: 'export.request', outcome: 'not_found' as const, details: { asked: input.children.length, unmatched: unmatched.length } } }
        }
        const childIds = [...new Set(resolved as string[])]
        const id = randomUUID()
        const approval = await requestApproval(trx, actor, now, {
          kind: 'bulk_export',
          subjectType: SUBJECT_TYPE,
          subjectIds: [id],
          childIds,
          payload: { children: childIds.length, includeConcerns: input.includeConcerns, purpose: input.purpose, lawfulBasis: input.lawfulBasis },
          reason: input.reason,
        })
        await trx
          .insertInto('bulk_export')
          .values({ partnership_id: P, id, agency_id: A, child_ids: childIds, include_concerns: input.includeConcerns, purpose: input.purpose, lawful_basis: input.lawfulBasis, approval_id: approval.id, requested_by: actor.membershipId, requested_at: now })
          .execute()
        const others = await membershipsWithRolesQuery(trx, P, A, ['ig_officer'], now).where('m.practitioner_id', '<>', actor.practitionerId).execute()
        await notifyMemberships(trx, P, others.map((o) => o.id), { kind: 'export.requested', childId: null, subjectType: 'bulk_export', subjectId: id, link: `/exports/${id}` }, now)
        return {
          result: { status: 'requested' as const, id },
          audit: { action: 'export.request', outcome: 'success' as const, entityType: 'bulk_export', entityId: id, childIds, details: { approval: approval.id, children: childIds.length, concerns: input.includeConcerns, purpose: input.purpose, lawfulBasis: input.lawfulBasis } },
        }
      })
    },

    /** One export's page: what was asked for, by whom, its decision, and its downloads. */
    async view(id: string) {
      return auditedTransaction(ctx, actor, 'export.view', async (trx, now) => {
        const l = await load(trx, id)
        if (!l) return { result: null, audit: { action: 'export.view', outcome: 'not_found' as const, entityType: 'bulk_export', entityId: id } }
        const downloads = await trx.selectFrom('bulk_export_download').selectAll().where('partnership_id', '=', P).where('export_id', '=', l.x.id).orderBy('downloaded_at').execute()
        const who = await names(trx, [l.x.requested_by, l.approval.decided_by, ...downloads.map((d) => d.downloaded_by)])
        const children = await childrenOf(trx, l.x.child_ids)
        return {
          result: {
            ...summary(l, now, who),
            childList: children.map((c) => ({ id: c.id, name: `${c.given_name} ${c.family_name}`, dateOfBirth: c.date_of_birth })),
            downloads: downloads.map((d) => ({ at: d.downloaded_at, by: who(d.downloaded_by), total: d.total })),
          },
          audit: { action: 'export.view', outcome: 'success' as const, entityType: 'bulk_export', entityId: l.x.id, childIds: l.x.child_ids },
        }
      })
    },

    /** A second IG officer of the agency approves or refuses it (never the requester, in any of their roles). */
    async decide(id: string, input: { decision: 'approve' | 'refuse'; reason: string; rowVersion: number }): Promise<DecideResult | null> {
      const action = input.decision === 'approve' ? 'export.approve' : 'export.refuse'
      return auditedTransaction<DecideResult | null>(ctx, actor, action, async (trx, now) => {
        const l = await load(trx, id)
        if (!l) return { result: null, audit: { action, outcome: 'not_found' as const, entityType: 'bulk_export', entityId: id } }
        const base = { action, entityType: 'bulk_export', entityId: l.x.id, childIds: l.x.child_ids }
        const a = await openApproval(trx, P, 'bulk_export', SUBJECT_TYPE, [l.x.id])
        if (!a) return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        // asked for on consent before it was refused as a basis: it may be refused, never approved
        if (input.decision === 'approve' && l.x.lawful_basis === CONSENT_BASIS) {
          return { result: { status: 'refused' as const, message: CONSENT_REFUSED.approve }, audit: { ...base, outcome: 'refused' as const, details: { refused: CONSENT_REFUSED.approve, lawfulBasis: l.x.lawful_basis } } }
        }
        const outcome = await decide(trx, actor, now, a, input)
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        await notifyMemberships(trx, P, [a.requested_by], { kind: 'approval.decided', childId: null, subjectType: 'bulk_export', subjectId: l.x.id, link: `/exports/${l.x.id}` }, now)
        const state = outcome.approval.state
        const until = expiresAt(outcome.approval)
        return { result: { status: 'decided' as const, state }, audit: { ...base, outcome: 'success' as const, details: { approval: a.id, state, ...(until ? { availableUntil: until.toISOString() } : {}) } } }
      })
    },

    /** The requester takes the request back before it is decided. */
    async withdraw(id: string, rowVersion: number): Promise<DecideResult | null> {
      return auditedTransaction<DecideResult | null>(ctx, actor, 'export.withdraw', async (trx, now) => {
        const l = await load(trx, id)
        if (!l) return { result: null, audit: { action: 'export.withdraw', outcome: 'not_found' as const, entityType: 'bulk_export', entityId: id } }
        const base = { action: 'export.withdraw', entityType: 'bulk_export', entityId: l.x.id, childIds: l.x.child_ids }
        const a = await openApproval(trx, P, 'bulk_export', SUBJECT_TYPE, [l.x.id])
        if (!a) return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        const outcome = await withdraw(trx, actor, now, a, { rowVersion })
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        return { result: { status: 'decided' as const, state: 'withdrawn' }, audit: { ...base, outcome: 'success' as const, details: { approval: a.id } } }
      })
    },

    /**
     * The approved export, for its requester, within EXPORT_HOURS of approval: the agency's exportable entries (and
     * concerns, when asked for) of each child. Recorded and audited with every child named, in one transaction.
     */
    async download(id: string): Promise<DownloadResult | null> {
      return auditedTransaction<DownloadResult | null>(ctx, actor, 'export.download', async (trx, now) => {
        const l = await load(trx, id)
        // only the requester downloads: anyone else is answered as if it did not exist
        if (!l || l.x.requested_by !== actor.membershipId) return { result: null, audit: { action: 'export.download', outcome: 'not_found' as const, entityType: 'bulk_export', entityId: id } }
        const base = { action: 'export.download', entityType: 'bulk_export', entityId: l.x.id, childIds: l.x.child_ids }
        // an export on consent (asked for, even approved, before consent was refused as a basis) never leaves
        if (l.x.lawful_basis === CONSENT_BASIS) return { result: { status: 'basis-refused' as const, message: CONSENT_REFUSED.download }, audit: { ...base, outcome: 'refused' as const, details: { lawfulBasis: l.x.lawful_basis } } }
        const until = expiresAt(l.approval)
        if (!until) return { result: { status: 'not-approved' as const }, audit: { ...base, outcome: 'refused' as const, details: { state: l.approval.state } } }
        if (now >= until) return { result: { status: 'expired' as const }, audit: { ...base, outcome: 'refused' as const, details: { expired: until.toISOString() } } }
        const [children, entries, concerns, agency] = await Promise.all([
          childrenOf(trx, l.x.child_ids),
          trx
            .selectFrom('entry as e')
            .leftJoin('membership as m', 'm.id', 'e.author_membership_id')
            .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
            .select(['e.id', 'e.child_id', 'e.occurred_at', 'e.recorded_at', 'e.type', 'e.category', 'e.significance', 'e.visibility', 'e.summary', 'e.supersedes_entry_id', 'p.given_name', 'p.family_name'])
            .where('e.child_id', 'in', l.x.child_ids)
            .where(agencyEntryExportable(actor))
            .orderBy('e.occurred_at')
            .orderBy('e.id')
            .execute(),
          l.x.include_concerns
            ? trx
                .selectFrom('concern as c')
                .innerJoin('entry as e', 'e.id', 'c.entry_id')
                .select(['c.id', 'c.child_id', 'c.occurred_at', 'c.category', 'c.seen_or_heard', 'c.child_words', 'c.location', 'c.other_children', 'c.status'])
                .where('c.partnership_id', '=', P)
                .where('c.agency_id', '=', A)
                .where('c.child_id', 'in', l.x.child_ids)
                // a concern goes where its entry may go: never with a sealed or restricted-away entry
                .where(agencyEntryExportable(actor))
                .orderBy('c.occurred_at')
                .orderBy('c.id')
                .execute()
            : Promise.resolve([]),
          trx.selectFrom('agency').select('name').where('id', '=', A).executeTakeFirstOrThrow(),
        ])
        const who = await names(trx, [l.x.requested_by, l.approval.decided_by])
        // a correction names the entry it corrects only when that entry is in the export too: otherwise the id of an
        // entry the requester may not see (sealed, restricted away, another agency's) would show it exists
        const exported = new Set(entries.map((e) => e.id))
        const content = children.map((c) => ({
          id: c.id,
          name: `${c.given_name} ${c.family_name}`,
          dateOfBirth: c.date_of_birth,
          nhsNumber: c.nhs_number,
          entries: entries
            .filter((e) => e.child_id === c.id)
            .map((e) => ({
              id: e.id,
              occurredAt: e.occurred_at.toISOString(),
              recordedAt: e.recorded_at.toISOString(),
              type: entryTypeLabel(e.type),
              category: e.category,
              significance: e.significance,
              visibility: e.visibility,
              author: e.given_name ? `${e.given_name} ${e.family_name}` : null,
              summary: e.summary,
              supersedes: e.supersedes_entry_id && exported.has(e.supersedes_entry_id) ? e.supersedes_entry_id : null,
            })),
          ...(l.x.include_concerns
            ? {
                concerns: concerns
                  .filter((x) => x.child_id === c.id)
                  .map((x) => ({ id: x.id, occurredAt: x.occurred_at.toISOString(), category: x.category, seenOrHeard: x.seen_or_heard, childWords: x.child_words, location: x.location, otherChildren: x.other_children, status: x.status })),
              }
            : {}),
        }))
        const contentHash = createHash('sha256').update(JSON.stringify(content)).digest('hex')
        const items = content.map((c) => ({ childId: c.id, entries: c.entries.length, concerns: c.concerns?.length ?? 0 }))
        const total = items.reduce((n, i) => n + i.entries + i.concerns, 0)
        const downloadId = randomUUID()
        await trx.insertInto('bulk_export_download').values({ partnership_id: P, id: downloadId, export_id: l.x.id, downloaded_by: actor.membershipId, downloaded_at: now, items: JSON.stringify(items), total, content_hash: contentHash }).execute()
        const document: ExportDocument = {
          export: {
            id: l.x.id,
            controller: agency.name,
            purpose: labelOf(EXPORT_PURPOSES, l.x.purpose),
            lawfulBasis: labelOf(EXPORT_LAWFUL_BASES, l.x.lawful_basis),
            reason: l.approval.reason,
            requestedBy: who(l.x.requested_by),
            requestedAt: l.x.requested_at.toISOString(),
            approvedBy: who(l.approval.decided_by),
            approvedAt: l.approval.decided_at!.toISOString(),
            availableUntil: until.toISOString(),
            downloadedAt: now.toISOString(),
            contains: ['chronology entries', ...(l.x.include_concerns ? ['concerns'] : [])],
            contentHash,
          },
          children: content,
        }
        return { result: { status: 'ok' as const, document }, audit: { ...base, outcome: 'success' as const, details: { download: downloadId, children: l.x.child_ids.length, total, contentHash } } }
      })
    },
  }
}
