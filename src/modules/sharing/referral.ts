// A referral (or contact) to the front door moves information beyond the referrer's agency: it is recorded as a sharing
// decision, derived from the referral itself, in the referral's transaction. Nothing is asked of the referrer beyond
// the referral form:
// - with whom: the agency of the front-door team the referral is queued to (nothing is recorded when that is the
//   referrer's own agency, or for a call from the public recorded by the front door: no agency's information moves);
// - what: the referral (identity, the worry, family) — never its narrative, which stays on the referral;
// - purpose `referral`; lawful basis public task (Art 6(1)(e)), or legitimate interests (6(1)(f)) for a voluntary or
//   other non-statutory agency; a health referrer's information is special-category data shared under Art 9(2)(g) with
//   DPA 2018 Sch 1 para 18 (safeguarding of children);
// - consent: a referral does not rely on consent (golden rule 3) — `not_sought`, with why: the parents know, or the
//   referrer's reason for not telling them (which is also the para 18(2) reason: asking would put the protection at
//   risk; when the parents know, consent cannot reasonably be expected to be obtained in the referral's timescale);
// - golden rules: what the referral form establishes (the child's safety first, the family told or why not, consent
//   considered, only the referral's information, recorded); "advice sought" is not asked, so it is recorded as no;
// - when the agreement does not cover it (an administrator narrowed it), the referral still goes — any agency may
//   refer a child who may need help or protection (Working Together 2023) — and the decision is flagged for review.
import type { Transaction } from 'kysely'
import type { Actor } from '../../data/actor.ts'
import type { AgencyKind, DB } from '../../data/schema.ts'
import { checkAgainstAgreement, recordSharingDecision, type RecordedSharingDecision } from './store.ts'

export interface ReferralSharing {
  referralId: string
  childId: string
  kind: 'contact' | 'referral'
  urgency: string
  queueTeamId: string
  parentsKnow: boolean
  parentsNotToldReason: string | null
  /** A call from the public recorded by the front door: no agency's information moves. */
  fromPublic: boolean
}

const CATEGORIES = ['identity', 'safeguarding', 'family']

/**
 * The lawful basis an agency shares on to safeguard a child (a referral, a concern routed to another agency): public
 * task (Art 6(1)(e)) for a public body; legitimate interests (6(1)(f)) for a voluntary or other non-statutory agency,
 * which has no public task to rest on. A health agency's information is special-category data, shared under Art 9(2)(g)
 * with DPA 2018 Sch 1 para 18 (safeguarding of children) for the para 18(2) reason the caller gives.
 */
export function safeguardingBasis(kind: AgencyKind, para18Reason: 'cannot_reasonably_obtain' | 'would_prejudice') {
  const health = kind === 'health'
  return {
    lawfulBasis: kind === 'voluntary' || kind === 'other' ? '6.1.f' : '6.1.e',
    specialCategory: health,
    art9Condition: health ? '9.2.g' : null,
    schedule1Condition: health ? 'sch1.18' : null,
    para18Reason: health ? para18Reason : null,
  }
}

export async function recordReferralSharing(trx: Transaction<DB>, actor: Actor, now: Date, r: ReferralSharing): Promise<RecordedSharingDecision | null> {
  if (r.fromPublic) return null
  const team = await trx
    .selectFrom('team as t')
    .innerJoin('agency as a', 'a.id', 't.agency_id')
    .select(['t.agency_id', 'a.name'])
    .where('t.id', '=', r.queueTeamId)
    .where('t.partnership_id', '=', actor.partnershipId)
    .executeTakeFirst()
  if (!team || team.agency_id === actor.agencyId) return null
  const mine = await trx.selectFrom('agency').select('kind').where('id', '=', actor.agencyId).executeTakeFirstOrThrow()
  const health = mine.kind === 'health'
  const categories = health ? [...CATEGORIES, 'health'] : CATEGORIES
  const check = await checkAgainstAgreement(trx, actor.partnershipId, now, { fromAgencyId: actor.agencyId, withAgencyIds: [team.agency_id], purpose: 'referral', categories })
  const what = r.kind === 'referral' ? 'The referral: who the child is, what the referrer is worried about and why, the level of need they believe applies, and the family' : 'The contact: who the child is, the information shared and why, and the family'
  const notTold = r.parentsNotToldReason?.trim() || 'the referrer gave no reason'
  return recordSharingDecision(trx, actor, now, {
    childId: r.childId,
    shared: true,
    what,
    withAgencyIds: [team.agency_id],
    purpose: 'referral',
    categories,
    ...safeguardingBasis(mine.kind, r.parentsKnow ? 'cannot_reasonably_obtain' : 'would_prejudice'),
    consent: 'not_sought',
    consentReason: r.parentsKnow
      ? 'The parents or carers know about the referral; consent is not needed to refer a child who may be at risk of harm'
      : `The parents or carers were not told: ${notTold}`,
    goldenRules: { child_protected: true, family_engaged: r.parentsKnow, consent_considered: true, advice_sought: false, identities_protected: true, relevant_accurate: true, recorded: true },
    reasons: `A ${r.kind} to the front door (${team.name}, urgency: ${r.urgency}) so that children’s social care can decide how to help or protect the child. The referrer’s reasons are on the ${r.kind}.`,
    outsideAgreementReason: check.covered ? null : 'Any agency may refer a child who may need help or protection to the front door (Working Together to Safeguard Children 2023); recorded with the referral for information governance to review',
    context: 'referral',
    contextId: r.referralId,
  })
}
