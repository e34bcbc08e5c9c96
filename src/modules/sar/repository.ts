// Subject access requests (issue 6, scope 5; rule R19; UK GDPR Art 15, DPA 2018 Sch 3 Pt 5). Each agency is its own
// data controller: a request is to the agency of the information governance officer who logs it, and everything is
// about that agency's data only:
// - logged with who is asking (the child, a parent, or another person with parental responsibility), their name and
//   how their identity was verified, and the child found by exact identifiers (an NHS number, or full name and date
//   of birth — as break-glass: IG sees identity, never a search of case content); received date; due one calendar
//   month later (the SAR clock, escalated to the logging officer when overdue), extendable once by two months for a
//   complex request with the reason (both due dates kept);
// - collated when logged: the agency's record(s) of the child, the entries whose source is the agency (every
//   visibility label, sealed included — the controller holds them; IG decides), concerns raised by the agency,
//   contacts and referrals it made, and its sharing decisions about the child. Family details held on the shared
//   child record have no single controller and are not collated;
// - third parties: other people's names (family members other than the requester, other children) proposed for
//   redaction; practitioners acting in a professional capacity are not redacted. The IG officer decides each item:
//   release, release redacted (the redacted text), or withhold — under the Sch 3 Pt 5 exemption (serious harm / not in
//   the child's best interests) or as third-party data — with a reason;
// - released only when a second information governance officer of the same agency approves (two-person approval,
//   'sar_release'): the approval records the release (what was released and withheld, when, by whom, approved by
//   whom) and closes the request, met or met late; each JSON or PDF export of it is recorded.
// Every call is one audited transaction; a request of another agency is not found.
import { createHash, randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { membershipsWithRolesQuery } from '../../data/memberships.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { exactIdentityMatches, isUuid } from '../../data/repositories/children.ts'
import type { DB, SarItemDecision, SarRequester, SarSourceType } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { entryTypeLabel, formatDate } from '../../platform/http/render.ts'
import { addMonths } from '../calendar/calendar.ts'
import { decide, openApproval, requestApproval, withdraw, type Approval } from '../governance/approvals.ts'
import { namesIn, namesToKeep, namesToRedact, proposeRedactions, type Person } from './redaction.ts'
import { recordDispute, type DisputeInput } from './disputes.ts'

type Trx = Transaction<DB>

export const SAR_RULE = 'SAR'
export const SUBJECT_TYPE = 'subject_access_request'
/** How much longer a complex request may take (UK GDPR Art 12(3)): two further months, three in all. */
export const EXTENSION_MONTHS = 3

export const REQUESTER_LABELS: Record<SarRequester, string> = {
  child: 'The child',
  parent: 'A parent',
  parental_responsibility: 'Another person with parental responsibility',
}
export const DECISION_LABELS: Record<SarItemDecision, string> = {
  release: 'Release',
  release_redacted: 'Release with redactions',
  withhold_exemption: 'Withhold: DPA 2018 Sch 3 Pt 5 (serious harm, not in the child’s best interests)',
  withhold_third_party: 'Withhold: information about other people (third-party data)',
}
/** What the response says in place of a withheld item (never its content). */
export const WITHHELD_WORDING: Record<'withhold_exemption' | 'withhold_third_party', string> = {
  withhold_exemption: 'Withheld under the Data Protection Act 2018, Schedule 3, Part 5 (child abuse data: disclosure would not be in the child’s best interests)',
  withhold_third_party: 'Withheld under the Data Protection Act 2018, Schedule 2, Part 3, paragraph 16 (information about other people)',
}
export const SOURCE_LABELS: Record<SarSourceType, string> = {
  agency_record: 'Our record of the child',
  entry: 'Chronology entry',
  concern: 'Concern',
  referral: 'Contact or referral',
  sharing_decision: 'Information-sharing decision',
}

export type Identifiers = { kind: 'nhs_number'; nhsNumber: string } | { kind: 'name_and_dob'; givenName: string; familyName: string; dateOfBirth: string }

export interface NewSar {
  identifiers: Identifiers
  requesterRelationship: SarRequester
  requesterName: string
  identityVerified: string
  receivedOn: string
}

export type LogResult = { status: 'logged'; id: string } | { status: 'no-match' }
export type ReleaseDecision = { status: 'decided'; state: string } | { status: 'refused'; message: string } | { status: 'conflict' }

export type Withheld = { id: string; title: string; decision: SarItemDecision }

/** When a request is due: extended or not, from the London date it was received. */
export function sarDue(receivedOn: string, months = 1): Date {
  const [y, m, d] = receivedOn.split('-').map(Number)
  // noon UTC on the received date is that date in London; addMonths gives the end of the London day n months later
  return addMonths(new Date(Date.UTC(y!, m! - 1, d!, 12)), months)
}

const lines = (...parts: [string, string | null | undefined][]) =>
  parts
    .filter(([, v]) => v !== null && v !== undefined && String(v).trim() !== '')
    .map(([k, v]) => `${k}: ${String(v).trim()}`)
    .join('\n')

export function sarRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const P = actor.partnershipId
  const A = actor.agencyId
  const mayManage = hasPermission(actor.role, 'sar:manage')

  const exactMatches = (trx: Trx, ids: Identifiers) => exactIdentityMatches(trx, P, ids)

  /** The request, if it is the actor's agency's (otherwise not found). */
  async function load(trx: Trx, id: string, lock = false) {
    if (!mayManage || !isUuid(id)) return undefined
    let q = trx.selectFrom('subject_access_request').selectAll().where('partnership_id', '=', P).where('id', '=', id).where('agency_id', '=', A)
    if (lock) q = q.forUpdate()
    return q.executeTakeFirst()
  }
  type SarRow = NonNullable<Awaited<ReturnType<typeof load>>>
  const dueOf = (r: SarRow) => r.extended_due_at ?? r.due_at

  /** Everything the agency holds about the child, as items with the proposed redactions. */
  async function collate(trx: Trx, requestId: string, childId: string, requesterName: string | null) {
    const [child, otherNames, family, records, entries, concerns, referrals, decisions] = await Promise.all([
      trx.selectFrom('child').select(['given_name', 'family_name']).where('partnership_id', '=', P).where('id', '=', childId).executeTakeFirstOrThrow(),
      trx.selectFrom('child_name').select(['given_name', 'family_name']).where('partnership_id', '=', P).where('child_id', '=', childId).execute(),
      trx
        .selectFrom('family_member as f')
        .leftJoin('child as rc', 'rc.id', 'f.related_child_id')
        .select(['f.name', 'rc.given_name as rc_given', 'rc.family_name as rc_family'])
        .where('f.partnership_id', '=', P)
        .where('f.child_id', '=', childId)
        .execute(),
      trx.selectFrom('agency_record').selectAll().where('partnership_id', '=', P).where('child_id', '=', childId).where('agency_id', '=', A).orderBy('created_at').execute(),
      trx
        .selectFrom('entry')
        .select(['id', 'type', 'category', 'occurred_at', 'summary', 'visibility'])
        .where('partnership_id', '=', P)
        .where('child_id', '=', childId)
        .where('source_agency_id', '=', A)
        // an entry that records a concern is the concern's item
        .where((eb) => eb.not(eb.exists(eb.selectFrom('concern as cc').select('cc.id').whereRef('cc.entry_id', '=', 'entry.id'))))
        .orderBy('occurred_at')
        .execute(),
      trx.selectFrom('concern').selectAll().where('partnership_id', '=', P).where('child_id', '=', childId).where('agency_id', '=', A).orderBy('occurred_at').execute(),
      trx.selectFrom('referral').selectAll().where('partnership_id', '=', P).where('child_id', '=', childId).where('source_agency_id', '=', A).orderBy('received_at').execute(),
      trx.selectFrom('sharing_decision').selectAll().where('partnership_id', '=', P).where('child_id', '=', childId).where('author_agency_id', '=', A).orderBy('created_at').execute(),
    ])
    const people: Person[] = [
      ...family.map((f) => ({ name: f.name })),
      ...family.filter((f) => f.rc_given).map((f) => ({ name: `${f.rc_given} ${f.rc_family}` })),
      ...concerns.flatMap((c) => namesIn(c.other_children)),
    ]
    const childNames = [{ givenName: child.given_name, familyName: child.family_name }, ...otherNames.map((n) => ({ givenName: n.given_name, familyName: n.family_name }))]
    const names = namesToRedact(people, { ...childNames[0]!, otherNames: childNames.slice(1) }, requesterName)
    const keep = namesToKeep(childNames, requesterName)
    const items: { source_type: SarSourceType; source_id: string; occurred_at: Date | null; title: string; content: string }[] = [
      ...records.map((r) => ({
        source_type: 'agency_record' as const,
        source_id: r.id,
        occurred_at: r.created_at,
        title: `${SOURCE_LABELS.agency_record} (reference ${r.source_ref})`,
        content: lines(['Name', `${r.given_name} ${r.family_name}`], ['Date of birth', r.date_of_birth], ['NHS number', r.nhs_number], ['Unique pupil number', r.upn], ['Address', r.address], ['Postcode', r.postcode]),
      })),
      ...entries.map((e) => ({
        source_type: 'entry' as const,
        source_id: e.id,
        occurred_at: e.occurred_at,
        title: `${entryTypeLabel(e.type)}${e.category ? ` (${e.category.replace(/_/g, ' ')})` : ''}, ${formatDate(e.occurred_at)}${e.visibility === 'sealed' ? ' — sealed' : ''}`,
        content: e.summary,
      })),
      ...concerns.map((c) => ({
        source_type: 'concern' as const,
        source_id: c.id,
        occurred_at: c.occurred_at,
        title: `Concern (${c.category.replace(/_/g, ' ')}), ${formatDate(c.occurred_at)}`,
        content: lines(['What was seen or heard', c.seen_or_heard], ['The child’s words', c.child_words], ['Where', c.location], ['Other children', c.other_children]),
      })),
      ...referrals.map((r) => ({
        source_type: 'referral' as const,
        source_id: r.id,
        occurred_at: r.received_at,
        title: `${r.kind === 'referral' ? 'Referral' : 'Contact'} to the front door, ${formatDate(r.received_at)}`,
        content: lines(['Reason', r.reason], ['Level of need', r.level_reason], ['Why parents were not told', r.parents_not_told_reason], ['Decision', r.decision], ['Rationale', r.rationale]),
      })),
      ...decisions.map((d) => ({
        source_type: 'sharing_decision' as const,
        source_id: d.id,
        occurred_at: d.created_at,
        title: `${SOURCE_LABELS.sharing_decision} (${d.shared ? 'shared' : 'not shared'}), ${formatDate(d.created_at)}`,
        content: lines(['What', d.what], ['Purpose', d.purpose], ['Lawful basis', d.lawful_basis], ['Consent', d.consent], ['Reasons', d.reasons]),
      })),
    ]
    if (items.length) {
      await trx
        .insertInto('subject_access_item')
        .values(
          items.map((i) => {
            const proposal = proposeRedactions(i.content, names, keep)
            return { partnership_id: P, id: randomUUID(), request_id: requestId, ...i, proposed_names: proposal.found, proposed_text: proposal.text, decision: null, released_text: null, decision_reason: null, decided_by: null, decided_at: null }
          }),
        )
        .execute()
    }
    return items.length
  }

  async function itemsOf(trx: Trx, requestId: string) {
    return trx.selectFrom('subject_access_item').selectAll().where('partnership_id', '=', P).where('request_id', '=', requestId).orderBy('source_type').orderBy('occurred_at').orderBy('id').execute()
  }

  async function page(trx: Trx, r: SarRow, now: Date) {
    const [child, items, agency, approvals, release, exports, people] = await Promise.all([
      trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth', 'nhs_number']).where('partnership_id', '=', P).where('id', '=', r.child_id).executeTakeFirstOrThrow(),
      itemsOf(trx, r.id),
      trx.selectFrom('agency').select('name').where('id', '=', A).executeTakeFirstOrThrow(),
      trx.selectFrom('approval_request').selectAll().where('partnership_id', '=', P).where('kind', '=', 'sar_release').where('subject_type', '=', SUBJECT_TYPE).where('subject_ids', '=', sql<string[]>`array[${r.id}]::uuid[]`).orderBy('requested_at', 'desc').execute(),
      trx.selectFrom('subject_access_release').selectAll().where('partnership_id', '=', P).where('request_id', '=', r.id).executeTakeFirst(),
      trx
        .selectFrom('subject_access_export as x')
        .innerJoin('subject_access_release as rel', 'rel.id', 'x.release_id')
        .select(['x.id', 'x.format', 'x.exported_by', 'x.exported_at'])
        .where('x.partnership_id', '=', P)
        .where('rel.request_id', '=', r.id)
        .orderBy('x.exported_at')
        .execute(),
      trx.selectFrom('membership as m').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').select(['m.id', 'p.given_name', 'p.family_name']).where('m.partnership_id', '=', P).where('m.agency_id', '=', A).execute(),
    ])
    const who = (id: string | null | undefined) => {
      const p = people.find((x) => x.id === id)
      return p ? `${p.given_name} ${p.family_name}` : null
    }
    const open = approvals.find((a) => a.state === 'requested') ?? null
    const due = dueOf(r)
    return {
      request: { ...r, due, overdue: r.state === 'open' && now > due, loggedBy: who(r.logged_by), extendedBy: who(r.extended_by) },
      child: { ...child, name: `${child.given_name} ${child.family_name}` },
      controller: agency.name,
      items: items.map((i) => ({ ...i, decidedBy: who(i.decided_by) })),
      undecided: items.filter((i) => !i.decision).length,
      approvals: approvals.map((a) => ({ ...a, requestedByName: who(a.requested_by), decidedByName: who(a.decided_by) })),
      openApproval: open ? { ...open, mine: open.requested_by_practitioner === actor.practitionerId, requestedByName: who(open.requested_by) } : null,
      release: release ? { ...release, requestedByName: who(release.requested_by), approvedByName: who(release.approved_by) } : null,
      exports: exports.map((x) => ({ ...x, by: who(x.exported_by) })),
      mayDecideRelease: Boolean(open && open.requested_by_practitioner !== actor.practitionerId && hasPermission(actor.role, 'approval:decide')),
    }
  }
  type Page = Awaited<ReturnType<typeof page>>

  /** The response as released: released items (redactions applied) and withheld items named only by their ground. */
  async function responseDocument(trx: Trx, r: SarRow) {
    const rel = await trx.selectFrom('subject_access_release').selectAll().where('partnership_id', '=', P).where('request_id', '=', r.id).executeTakeFirst()
    if (!rel) return null
    const [child, agency, items] = await Promise.all([
      trx.selectFrom('child').select(['given_name', 'family_name', 'date_of_birth']).where('id', '=', r.child_id).executeTakeFirstOrThrow(),
      trx.selectFrom('agency').select('name').where('id', '=', r.agency_id).executeTakeFirstOrThrow(),
      itemsOf(trx, r.id),
    ])
    return buildDocument(r, rel, child, agency.name, items)
  }

  return {
    /** The agency's requests: open ones first (overdue marked), then closed. */
    async list() {
      return auditedTransaction(ctx, actor, 'sar.list', async (trx, now) => {
        if (!mayManage) return { result: null, audit: { action: 'sar.list', outcome: 'not_found' as const } }
        const rows = await trx
          .selectFrom('subject_access_request as r')
          .innerJoin('child as c', 'c.id', 'r.child_id')
          .select(['r.id', 'r.child_id', 'r.requester_name', 'r.requester_relationship', 'r.received_on', 'r.due_at', 'r.extended_due_at', 'r.state', 'r.outcome', 'r.closed_at', 'c.given_name', 'c.family_name'])
          .where('r.partnership_id', '=', P)
          .where('r.agency_id', '=', A)
          .orderBy('r.state', 'desc')
          .orderBy(sql`coalesce(r.extended_due_at, r.due_at)`)
          .limit(500)
          .execute()
        const items = rows.map((x) => {
          const due = x.extended_due_at ?? x.due_at
          return { ...x, due, childName: `${x.given_name} ${x.family_name}`, overdue: x.state === 'open' && now > due }
        })
        return {
          result: { open: items.filter((i) => i.state === 'open'), closed: items.filter((i) => i.state === 'closed'), overdue: items.filter((i) => i.overdue).length },
          // a list's audit row names the children it showed (the design's rule for every list)
          audit: { action: 'sar.list', outcome: 'success' as const, childIds: [...new Set(rows.map((x) => x.child_id))], details: { returned: items.length } },
        }
      })
    },

    /** Logs a request: the child by exact identifiers, the clock started, the agency's data collated. */
    async log(input: NewSar): Promise<LogResult | null> {
      return auditedTransaction<LogResult | null>(ctx, actor, 'sar.log', async (trx, now) => {
        if (!mayManage) return { result: null, audit: { action: 'sar.log', outcome: 'not_found' as const } }
        const matches = await exactMatches(trx, input.identifiers)
        if (matches.length !== 1) {
          return { result: { status: 'no-match' as const }, audit: { action: 'sar.log', outcome: 'not_found' as const, details: { identifiers: input.identifiers.kind, matches: matches.length } } }
        }
        const childId = matches[0]!
        const id = randomUUID()
        const dueAt = sarDue(input.receivedOn)
        await trx
          .insertInto('subject_access_request')
          .values({
            partnership_id: P,
            id,
            agency_id: A,
            child_id: childId,
            requester_relationship: input.requesterRelationship,
            requester_name: input.requesterName,
            identity_verified: input.identityVerified,
            received_on: input.receivedOn,
            due_at: dueAt,
            extended_due_at: null,
            extension_reason: null,
            extended_by: null,
            extended_at: null,
            outcome: null,
            late_reason: null,
            logged_by: actor.membershipId,
            logged_at: now,
            closed_at: null,
          })
          .execute()
        // the clock has no child: a subject access request is information governance's, not the child's case work
        await clocks.start(trx, { partnershipId: P, rule: SAR_RULE, childId: null, subjectType: SUBJECT_TYPE, subjectId: id, startedAt: now, dueAt, escalateToMembershipId: actor.membershipId })
        const collated = await collate(trx, id, childId, input.requesterRelationship === 'child' ? null : input.requesterName)
        return {
          result: { status: 'logged' as const, id },
          audit: { action: 'sar.log', outcome: 'success' as const, entityType: SUBJECT_TYPE, entityId: id, childIds: [childId], details: { identifiers: input.identifiers.kind, requester: input.requesterRelationship, items: collated, due: dueAt.toISOString() } },
        }
      })
    },

    async view(id: string): Promise<Page | null> {
      return auditedTransaction(ctx, actor, 'sar.view', async (trx, now) => {
        const r = await load(trx, id)
        if (!r) return { result: null, audit: { action: 'sar.view', outcome: 'not_found' as const, entityType: SUBJECT_TYPE, entityId: id } }
        return { result: await page(trx, r, now), audit: { action: 'sar.view', outcome: 'success' as const, entityType: SUBJECT_TYPE, entityId: id, childIds: [r.child_id] } }
      })
    },

    /** A complex request: due three months after it was received instead of one, with the reason (once). */
    async extend(id: string, input: { reason: string; rowVersion: number }): Promise<{ status: 'done'; due: Date } | null> {
      return auditedTransaction(ctx, actor, 'sar.extend', async (trx, now) => {
        const r = await load(trx, id, true)
        if (!r) return { result: null, audit: { action: 'sar.extend', outcome: 'not_found' as const, entityType: SUBJECT_TYPE, entityId: id } }
        if (r.row_version !== input.rowVersion) throw new RefusedError('Someone else has changed this request: reload the page and try again')
        if (r.state !== 'open') throw new RefusedError('The request is closed')
        if (r.extended_due_at) throw new RefusedError('The request has already been extended: it can be extended once')
        if (now > r.due_at) throw new RefusedError('The request is already overdue: it can only be extended within the first month')
        const due = sarDue(r.received_on, EXTENSION_MONTHS)
        await trx
          .updateTable('subject_access_request')
          .set({ extended_due_at: due, extension_reason: input.reason, extended_by: actor.membershipId, extended_at: now, row_version: r.row_version + 1 })
          .where('partnership_id', '=', P)
          .where('id', '=', id)
          .execute()
        // the running clock is replaced by one due at the extended date (the original due date stays on the request)
        await clocks.start(trx, { partnershipId: P, rule: SAR_RULE, childId: null, subjectType: SUBJECT_TYPE, subjectId: id, startedAt: now, dueAt: due, escalateToMembershipId: r.logged_by })
        return { result: { status: 'done' as const, due }, audit: { action: 'sar.extend', outcome: 'success' as const, entityType: SUBJECT_TYPE, entityId: id, childIds: [r.child_id], details: { from: r.due_at.toISOString(), to: due.toISOString() } } }
      })
    },

    /** The IG officer's decision on one item. Refused while a release waits for approval, and after release. */
    async decideItem(id: string, itemId: string, input: { decision: SarItemDecision; releasedText: string; reason: string; rowVersion: number }): Promise<{ status: 'done' } | null> {
      return auditedTransaction(ctx, actor, 'sar.item.decide', async (trx, now) => {
        const r = await load(trx, id, true)
        const item = r && isUuid(itemId) ? await trx.selectFrom('subject_access_item').selectAll().where('partnership_id', '=', P).where('request_id', '=', r.id).where('id', '=', itemId).forUpdate().executeTakeFirst() : undefined
        if (!r || !item) return { result: null, audit: { action: 'sar.item.decide', outcome: 'not_found' as const, entityType: 'subject_access_item', entityId: itemId } }
        if (r.state !== 'open') throw new RefusedError('The request is closed: its response has been released')
        if (await openApproval(trx, P, 'sar_release', SUBJECT_TYPE, [r.id])) throw new RefusedError('The release is waiting for approval: withdraw it first to change a decision')
        if (item.row_version !== input.rowVersion) throw new RefusedError('Someone else has changed this item: reload the page and try again')
        const withhold = input.decision === 'withhold_exemption' || input.decision === 'withhold_third_party'
        await trx
          .updateTable('subject_access_item')
          .set({
            decision: input.decision,
            released_text: input.decision === 'release_redacted' ? input.releasedText : null,
            decision_reason: input.reason || null,
            decided_by: actor.membershipId,
            decided_at: now,
            row_version: item.row_version + 1,
          })
          .where('partnership_id', '=', P)
          .where('id', '=', item.id)
          .execute()
        return {
          result: { status: 'done' as const },
          audit: { action: 'sar.item.decide', outcome: 'success' as const, entityType: 'subject_access_item', entityId: item.id, childIds: [r.child_id], details: { request: r.id, decision: input.decision, withheld: withhold } },
        }
      })
    },

    /** Asks a second IG officer to approve the release (every item decided; a late request needs its reason). */
    async requestRelease(id: string, input: { reason: string; lateReason: string }): Promise<{ status: 'requested'; approvalId: string } | null> {
      return auditedTransaction(ctx, actor, 'sar.release.request', async (trx, now) => {
        const r = await load(trx, id, true)
        if (!r) return { result: null, audit: { action: 'sar.release.request', outcome: 'not_found' as const, entityType: SUBJECT_TYPE, entityId: id } }
        if (r.state !== 'open') throw new RefusedError('The request is closed: its response has been released')
        const items = await itemsOf(trx, r.id)
        const undecided = items.filter((i) => !i.decision).length
        if (undecided) throw new RefusedError(`Decide every item first: ${undecided} ${undecided === 1 ? 'item has' : 'items have'} no decision`)
        if (now > dueOf(r) && !input.lateReason) throw new RefusedError('The request is overdue: record the reason it is late')
        const approval = await requestApproval(trx, actor, now, {
          kind: 'sar_release',
          subjectType: SUBJECT_TYPE,
          subjectIds: [r.id],
          childIds: [r.child_id],
          payload: { lateReason: input.lateReason || null, items: items.length },
          reason: input.reason,
        })
        const others = await membershipsWithRolesQuery(trx, P, A, ['ig_officer'], now).where('m.practitioner_id', '<>', actor.practitionerId).execute()
        await notifyMemberships(trx, P, others.map((o) => o.id), { kind: 'sar.release-requested', childId: null, subjectType: SUBJECT_TYPE, subjectId: r.id, link: `/subject-access/${r.id}` }, now)
        return {
          result: { status: 'requested' as const, approvalId: approval.id },
          audit: { action: 'sar.release.request', outcome: 'success' as const, entityType: SUBJECT_TYPE, entityId: r.id, childIds: [r.child_id], details: { approval: approval.id, items: items.length } },
        }
      })
    },

    /**
     * A second IG officer of the agency approves or refuses the release. Approval releases it: what was released and
     * withheld recorded, the clock met (or met late, with the reason), the request closed.
     */
    async decideRelease(id: string, input: { decision: 'approve' | 'refuse'; reason: string; rowVersion: number }): Promise<ReleaseDecision | null> {
      const action = input.decision === 'approve' ? 'sar.release.approve' : 'sar.release.refuse'
      return auditedTransaction<ReleaseDecision | null>(ctx, actor, action, async (trx, now) => {
        const r = await load(trx, id, true)
        const a: Approval | undefined = r ? await openApproval(trx, P, 'sar_release', SUBJECT_TYPE, [r.id]) : undefined
        if (!r) return { result: null, audit: { action, outcome: 'not_found' as const, entityType: SUBJECT_TYPE, entityId: id } }
        const base = { action, entityType: SUBJECT_TYPE, entityId: r.id, childIds: [r.child_id] }
        if (!a || r.state !== 'open') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        const outcome = await decide(trx, actor, now, a, input)
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        if (outcome.approval.state !== 'approved') {
          await notifyMemberships(trx, P, [a.requested_by], { kind: 'approval.decided', childId: null, subjectType: SUBJECT_TYPE, subjectId: r.id, link: `/subject-access/${r.id}` }, now)
          return { result: { status: 'decided' as const, state: outcome.approval.state }, audit: { ...base, outcome: 'success' as const, details: { approval: a.id, state: outcome.approval.state } } }
        }
        const late = now > dueOf(r)
        const lateReason = (a.payload as { lateReason?: string | null }).lateReason ?? null
        const items = await itemsOf(trx, r.id)
        const released = items.filter((i) => i.decision === 'release' || i.decision === 'release_redacted')
        const withheld: Withheld[] = items.filter((i) => i.decision === 'withhold_exemption' || i.decision === 'withhold_third_party').map((i) => ({ id: i.id, title: SOURCE_LABELS[i.source_type], decision: i.decision! }))
        const releaseId = randomUUID()
        const hash = createHash('sha256')
          .update(JSON.stringify(released.map((i) => [i.id, i.decision === 'release_redacted' ? i.released_text : i.content])))
          .digest('hex')
        await trx
          .insertInto('subject_access_release')
          .values({ partnership_id: P, id: releaseId, request_id: r.id, approval_id: a.id, requested_by: a.requested_by, approved_by: actor.membershipId, released_at: now, released_item_ids: released.map((i) => i.id), withheld: JSON.stringify(withheld), content_hash: hash })
          .execute()
        // the clock is met, or met late with the reason the officer who asked for the release gave; overdue since they
        // asked, without one: refused (the release, the approval above: nothing kept)
        await clocks.meet(trx, P, SUBJECT_TYPE, r.id, now, late ? lateReason : null, 'The request is now overdue: the officer who asked for the release must give the reason it is late (withdraw and ask again)')
        await trx
          .updateTable('subject_access_request')
          .set({ state: 'closed', outcome: late ? 'met_late' : 'met', late_reason: late ? lateReason : null, closed_at: now, row_version: r.row_version + 1 })
          .where('partnership_id', '=', P)
          .where('id', '=', r.id)
          .execute()
        await notifyMemberships(trx, P, [a.requested_by], { kind: 'approval.decided', childId: null, subjectType: SUBJECT_TYPE, subjectId: r.id, link: `/subject-access/${r.id}` }, now)
        return {
          result: { status: 'decided' as const, state: 'approved' },
          audit: { ...base, outcome: 'success' as const, details: { approval: a.id, state: 'approved', release: releaseId, released: released.length, withheld: withheld.length, outcome: late ? 'met_late' : 'met' } },
        }
      })
    },

    /** The officer who asked for the release takes it back (to change a decision). */
    async withdrawRelease(id: string, rowVersion: number): Promise<ReleaseDecision | null> {
      return auditedTransaction<ReleaseDecision | null>(ctx, actor, 'sar.release.withdraw', async (trx, now) => {
        const r = await load(trx, id, true)
        if (!r) return { result: null, audit: { action: 'sar.release.withdraw', outcome: 'not_found' as const, entityType: SUBJECT_TYPE, entityId: id } }
        const base = { action: 'sar.release.withdraw', entityType: SUBJECT_TYPE, entityId: r.id, childIds: [r.child_id] }
        const a = await openApproval(trx, P, 'sar_release', SUBJECT_TYPE, [r.id])
        if (!a) return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        const outcome = await withdraw(trx, actor, now, a, { rowVersion })
        if (outcome.status === 'conflict') return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { conflict: true } } }
        if (outcome.status === 'refused') return { result: { status: 'refused' as const, message: outcome.message }, audit: { ...base, outcome: 'refused' as const, details: { refused: outcome.message } } }
        return { result: { status: 'decided' as const, state: 'withdrawn' }, audit: { ...base, outcome: 'success' as const, details: { approval: a.id } } }
      })
    },

    /** The released response, exported as JSON or PDF: each export recorded. */
    async exportRelease(id: string, format: 'json' | 'pdf'): Promise<ResponseDocument | null> {
      return auditedTransaction(ctx, actor, 'sar.export', async (trx, now) => {
        const r = await load(trx, id)
        const doc = r ? await responseDocument(trx, r) : null
        if (!r || !doc) return { result: null, audit: { action: 'sar.export', outcome: 'not_found' as const, entityType: SUBJECT_TYPE, entityId: id } }
        const exportId = randomUUID()
        await trx.insertInto('subject_access_export').values({ partnership_id: P, id: exportId, release_id: doc.releaseId, format, exported_by: actor.membershipId, exported_at: now }).execute()
        return { result: doc, audit: { action: 'sar.export', outcome: 'success' as const, entityType: SUBJECT_TYPE, entityId: r.id, childIds: [r.child_id], details: { format, export: exportId, release: doc.releaseId, released: doc.items.length, withheld: doc.withheld.length } } }
      })
    },

    /** A dispute of (or request to correct) an entry that is an item of the request, recorded beside the entry. */
    async disputeItem(id: string, itemId: string, input: DisputeInput): Promise<{ status: 'done'; disputeId: string } | null> {
      return auditedTransaction(ctx, actor, 'entry.dispute.record', async (trx, now) => {
        const r = await load(trx, id)
        const item = r && isUuid(itemId) ? await trx.selectFrom('subject_access_item').selectAll().where('partnership_id', '=', P).where('request_id', '=', r.id).where('id', '=', itemId).executeTakeFirst() : undefined
        if (!r || !item || item.source_type !== 'entry') return { result: null, audit: { action: 'entry.dispute.record', outcome: 'not_found' as const, entityType: 'subject_access_item', entityId: itemId } }
        const disputeId = await recordDispute(trx, actor, now, { entryId: item.source_id, childId: r.child_id, itemId: item.id }, input)
        return { result: { status: 'done' as const, disputeId }, audit: { action: 'entry.dispute.record', outcome: 'success' as const, entityType: 'entry', entityId: item.source_id, childIds: [r.child_id], details: { dispute: disputeId, kind: input.kind, request: r.id } } }
      })
    },
  }
}

export interface ResponseDocument {
  releaseId: string
  controller: string
  child: { name: string; dateOfBirth: string | null }
  requester: { name: string; relationship: string }
  receivedOn: string
  dueAt: string
  extendedDueAt: string | null
  releasedAt: string
  contentHash: string
  items: { source: string; title: string; occurredAt: string | null; text: string; redacted: boolean }[]
  withheld: { source: string; withheld: string }[]
}

/** The response from the stored items: only released items' text (redactions applied); withheld ones by ground only. */
export function buildDocument(
  r: { received_on: string; due_at: Date; extended_due_at: Date | null; requester_name: string; requester_relationship: SarRequester },
  rel: { id: string; released_at: Date; released_item_ids: string[]; content_hash: string },
  child: { given_name: string; family_name: string; date_of_birth: string | null },
  controller: string,
  items: readonly { id: string; source_type: SarSourceType; title: string; occurred_at: Date | null; content: string; decision: SarItemDecision | null; released_text: string | null }[],
): ResponseDocument {
  const releasedIds = new Set(rel.released_item_ids)
  return {
    releaseId: rel.id,
    controller,
    child: { name: `${child.given_name} ${child.family_name}`, dateOfBirth: child.date_of_birth },
    requester: { name: r.requester_name, relationship: REQUESTER_LABELS[r.requester_relationship] },
    receivedOn: r.received_on,
    dueAt: r.due_at.toISOString(),
    extendedDueAt: r.extended_due_at?.toISOString() ?? null,
    releasedAt: rel.released_at.toISOString(),
    contentHash: rel.content_hash,
    items: items
      .filter((i) => releasedIds.has(i.id) && (i.decision === 'release' || i.decision === 'release_redacted'))
      .map((i) => ({
        source: SOURCE_LABELS[i.source_type],
        title: i.title,
        occurredAt: i.occurred_at?.toISOString() ?? null,
        text: i.decision === 'release_redacted' ? i.released_text! : i.content,
        redacted: i.decision === 'release_redacted',
      })),
    withheld: items
      .filter((i) => i.decision === 'withhold_exemption' || i.decision === 'withhold_third_party')
      .map((i) => ({ source: SOURCE_LABELS[i.source_type], withheld: WITHHELD_WORDING[i.decision as 'withhold_exemption' | 'withhold_third_party'] })),
  }
}
