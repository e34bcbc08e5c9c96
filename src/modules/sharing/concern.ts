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
import type { Transaction } from 'kysely'
import type { Actor } from '../../data/actor.ts'
import type { DB } from '../../data/schema.ts'
import { safeguardingBasis } from './referral.ts'
import { recordSharingDecision, type RecordedSharingDecision } from './store.ts'

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
  const health = mine.kind === 'health'
  const categories = health ? [...CATEGORIES, 'health'] : CATEGORIES
  const recorded: RecordedSharingDecision[] = []
  for (const to of receiving) {
    const whom =
      c.route === 'holder_leads'
        ? `the safeguarding leads of ${to.name}, which holds the child`
        : c.route === 'team_lead'
          ? `the lead practitioner of the child’s team around the child (${to.name}), as no agency holding the child could take it`
          : `the front door (${to.name}), as no agency holding the child and no team around the child could take it`
    recorded.push(
      await recordSharingDecision(trx, actor, now, {
        childId: c.childId,
        shared: true,
        what: `The concern about the child (${concern.label}): what was seen or heard, the child’s words, when and where, other children named and any marks on a body map`,
        entryIds: concern.entry_id ? [concern.entry_id] : [],
        withAgencyIds: [to.id],
        purpose: 'safeguarding',
        categories,
        ...safeguardingBasis(mine.kind, 'cannot_reasonably_obtain'),
        consent: 'not_sought',
        consentReason:
          'Consent is not the basis for passing on a safeguarding concern and was not sought: practitioners should not seek consent where doing so would place a child at risk (Working Together to Safeguard Children 2023), and a concern goes to whoever can act on it the same day',
        goldenRules: { child_protected: true, family_engaged: false, consent_considered: true, advice_sought: false, identities_protected: true, relevant_accurate: true, recorded: true },
        reasons: `The concern went to ${whom}: the safeguarding leads of ${mine.name}, which raised it, cannot open the child’s record (it does not hold the child, or has no safeguarding lead in post), and a concern is decided by someone who can act on it (Keeping Children Safe in Education; Working Together to Safeguard Children 2023).`,
        outsideAgreementReason:
          'A concern about a child goes without delay to whoever can act on it, and nobody should assume someone else will pass it on (Working Together to Safeguard Children 2023); recorded with the concern for information governance to review',
        context: 'concern',
        contextId: c.concernId,
      }),
    )
  }
  return recorded
}
