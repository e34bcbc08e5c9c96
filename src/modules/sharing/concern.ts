// A concern routed to people of another agency moves the raiser's agency's information (the raiser's agency is its
// controller) to theirs: it is recorded as a sharing decision, derived from the concern, in the concern's transaction,
// one per receiving agency, by the store every such flow uses (recordSharingDecision). Nothing is asked of the raiser
// beyond the concern form:
// - with whom: the agencies of the people the concern was routed to (routeAway in src/modules/concerns/repository.ts:
//   the safeguarding leads of the agency that holds the child, else the lead practitioner of the child's team around
//   the child, else the front door), less the raiser's own — a concern that stays in its agency shares nothing, so
//   the one-statement path (the raiser's own agency's leads only, ADR 0007) records none;
// - what: the concern (its category, what was seen or heard, the child's words, when and where, other children, marks
//   on a body map), named by the decision's context (`concern`, the concern's id) and its chronology entry;
// - purpose `safeguarding`; lawful basis public task (Art 6(1)(e)), or legitimate interests (6(1)(f)) for a voluntary
//   or other non-statutory agency, as for a referral (safeguardingBasis); a health raiser's information is
//   special-category data shared under Art 9(2)(g) with DPA 2018 Sch 1 para 18 (safeguarding of children), the para
//   18(2) reason being that consent cannot reasonably be obtained before a concern is passed on, the same day;
// - consent: not the basis, and not sought (Working Together to Safeguard Children 2023: practitioners should not seek
//   consent where doing so would place a child at risk; golden rule 3);
// - golden rules: what the concern form establishes (the child's safety first, consent considered, only the concern's
//   information, recorded); telling the family and seeking advice are not asked, so they are recorded as no;
// - when the agreement does not cover it, the concern still goes (nobody assumes someone else will pass it on) and
//   the decision is flagged for review.
import { sql, type SqlBool, type Transaction } from 'kysely'
import type { Role } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { AgencyKind, DB } from '../../data/schema.ts'
import { safeguardingBasis } from './referral.ts'
import { recordSharingDecision, type RecordedSharingDecision, type SharingDecisionInput } from './store.ts'

/** How the concern was routed (routeAway's rungs, in order). */
export type ConcernRoute = 'holder_leads' | 'team_lead' | 'front_door'

export interface ConcernSharing {
  concernId: string
  childId: string
  /** The memberships the concern was routed to (its `routed_to`). */
  routedTo: readonly string[]
  route: ConcernRoute
}

const CATEGORIES = ['identity', 'safeguarding']

/**
 * Records, in the caller's transaction, one sharing decision per agency (other than the raiser's) that the concern was
 * routed to. The caller has written the concern (raised by the actor) and checked the child is in the actor's reach.
 */
export async function recordConcernSharing(trx: Transaction<DB>, actor: Actor, now: Date, c: ConcernSharing): Promise<RecordedSharingDecision[]> {
  if (!c.routedTo.length) return []
  const receiving = await trx
    .selectFrom('membership as m')
    .innerJoin('agency as a', 'a.id', 'm.agency_id')
    .select(['a.id', 'a.name'])
    .distinct()
    .where('m.partnership_id', '=', actor.partnershipId)
    .where('m.id', 'in', [...c.routedTo])
    .where('m.agency_id', '<>', actor.agencyId)
    .orderBy('a.name')
    .orderBy('a.id')
    .execute()
  if (!receiving.length) return []
  const [mine, concern] = await Promise.all([
    trx.selectFrom('agency').select(['kind', 'name']).where('id', '=', actor.agencyId).executeTakeFirstOrThrow(),
    trx
      .selectFrom('concern as k')
      .innerJoin('concern_category as cc', (j) => j.onRef('cc.code', '=', 'k.category').onRef('cc.partnership_id', '=', 'k.partnership_id'))
      .select(['k.entry_id', 'cc.label'])
      .where('k.partnership_id', '=', actor.partnershipId)
      .where('k.id', '=', c.concernId)
      .where('k.child_id', '=', c.childId)
      .where('k.raised_by_membership_id', '=', actor.membershipId)
      .executeTakeFirstOrThrow(),
  ])
  const recorded: RecordedSharingDecision[] = []
  for (const to of receiving) {
    const whom =
      c.route === 'holder_leads'
        ? `the safeguarding leads of ${to.name}, which holds the child`
        : c.route === 'team_lead'
          ? `the lead practitioner of the child’s team around the child (${to.name}), as no agency holding the child could take it`
          : `the front door (${to.name}), as no agency holding the child and no team around the child could take it`
    recorded.push(
      await recordSharingDecision(
        trx,
        actor,
        now,
        concernDecision(mine.kind, c, concern, to.id, `The concern went to ${whom}: the safeguarding leads of ${mine.name}, which raised it, cannot open the child’s record (it does not hold the child, or has no safeguarding lead in post), and a concern is decided by someone who can act on it (Keeping Children Safe in Education; Working Together to Safeguard Children 2023).`),
      ),
    )
  }
  return recorded
}

/** The decision recorded when a concern moves to an agency: the same terms whether routed when logged or handed on later. */
function concernDecision(kind: AgencyKind, c: { concernId: string; childId: string }, concern: { entry_id: string | null; label: string }, toAgencyId: string, reasons: string): SharingDecisionInput {
  const health = kind === 'health'
  return {
    childId: c.childId,
    shared: true,
    what: `The concern about the child (${concern.label}): what was seen or heard, the child’s words, when and where, other children named and any marks on a body map`,
    entryIds: concern.entry_id ? [concern.entry_id] : [],
    withAgencyIds: [toAgencyId],
    purpose: 'safeguarding',
    categories: health ? [...CATEGORIES, 'health'] : CATEGORIES,
    ...safeguardingBasis(kind, 'cannot_reasonably_obtain'),
    consent: 'not_sought',
    consentReason:
      'Consent is not the basis for passing on a safeguarding concern and was not sought: practitioners should not seek consent where doing so would place a child at risk (Working Together to Safeguard Children 2023), and a concern goes to whoever can act on it the same day',
    goldenRules: { child_protected: true, family_engaged: false, consent_considered: true, advice_sought: false, identities_protected: true, relevant_accurate: true, recorded: true },
    reasons,
    outsideAgreementReason:
      'A concern about a child goes without delay to whoever can act on it, and nobody should assume someone else will pass it on (Working Together to Safeguard Children 2023); recorded with the concern for information governance to review',
    context: 'concern',
    contextId: c.concernId,
  }
}

/**
 * A concern handed on (concernsWaitingOn's `tell`, in the transaction that ended a membership, disabled or suspended an
 * account): none of those it waited for is in post, and people of an agency it had not gone to stand in now — the front
 * door, or the leads of the agency that holds the child. The raiser's agency's information moves to theirs, so it is a
 * sharing decision, one per agency that has not had the concern before (none for the raiser's own agency, and none
 * again for an agency a decision already names: the front door told twice has had it once). Recorded on the raiser's
 * behalf (their agency is the controller; the routing rule, not the administrator, chose the recipient), with the
 * same terms as routing it when it was logged; the entry checked as the concern's own, not against the raiser's reach,
 * which may have ended. Its audit is the caller's row (the change that handed it on names the decisions). Returns the
 * decisions' ids.
 */
export async function recordConcernHandOn(trx: Transaction<DB>, partnershipId: string, now: Date, c: { concernId: string; childId: string; toMemberships: readonly string[] }): Promise<string[]> {
  if (!c.toMemberships.length) return []
  const concern = await trx
    .selectFrom('concern as k')
    .innerJoin('concern_category as cc', (j) => j.onRef('cc.code', '=', 'k.category').onRef('cc.partnership_id', '=', 'k.partnership_id'))
    .innerJoin('membership as m', 'm.id', 'k.raised_by_membership_id')
    .innerJoin('agency as a', 'a.id', 'k.agency_id')
    .select(['k.entry_id', 'k.agency_id', 'k.raised_by_membership_id', 'cc.label', 'm.practitioner_id', 'm.team_id', 'm.role', 'a.kind', 'a.name'])
    .where('k.partnership_id', '=', partnershipId)
    .where('k.id', '=', c.concernId)
    .where('k.child_id', '=', c.childId)
    .executeTakeFirst()
  if (!concern) return []
  const receiving = await trx
    .selectFrom('membership as m')
    .innerJoin('agency as a', 'a.id', 'm.agency_id')
    .select(['a.id', 'a.name'])
    .distinct()
    .where('m.partnership_id', '=', partnershipId)
    .where('m.id', 'in', [...c.toMemberships])
    .where('m.agency_id', '<>', concern.agency_id)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sharing_decision as sd')
            .select('sd.id')
            .where('sd.partnership_id', '=', partnershipId)
            .where('sd.context', '=', 'concern')
            .where('sd.context_id', '=', c.concernId)
            .where('sd.shared', '=', true)
            .where(sql<SqlBool>`a.id = any(sd.with_agency_ids)`),
        ),
      ),
    )
    .orderBy('a.name')
    .orderBy('a.id')
    .execute()
  const raiser: Actor = { kind: 'practitioner', partnershipId, practitionerId: concern.practitioner_id, membershipId: concern.raised_by_membership_id, agencyId: concern.agency_id, teamId: concern.team_id, role: concern.role as Role, requestId: '' }
  const ids: string[] = []
  for (const to of receiving) {
    const reasons = `Handed on: everyone the concern waited for has left (their membership ended or their account was disabled), so by the partnership’s routing rule it now waits for ${to.name}, whose people in post can act on it; a concern is never left waiting for nobody (Keeping Children Safe in Education; Working Together to Safeguard Children 2023).`
    const made = await recordSharingDecision(trx, raiser, now, concernDecision(concern.kind, c, concern, to.id, reasons), { audit: false, entriesChecked: true })
    ids.push(made.id)
  }
  return ids
}
