// A child nobody knows yet: named by the practitioner who raises a concern (src/modules/concerns) or by the front door
// recording a call (src/modules/referrals), created provisional (not yet matched to a known child) in the caller's
// transaction, so nothing is saved if the concern or the referral is not. The caller writes the audit row naming the child (its own action's child ids).
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Actor } from '../actor.ts'
import type { DB } from '../schema.ts'

/** A child not yet known, as named: the date of birth is the namer's best estimate (YYYY-MM-DD, never in the future). */
export interface NewChild {
  givenName: string
  familyName: string
  dateOfBirth: string
}

/**
 * Creates the provisional child and returns its id. `agencyRecord`: the actor's agency holds a record of the child
 * until it is matched (an `agency_record`, what gives that agency's safeguarding leads reach: the concern's case);
 * null writes no relationship, the caller giving sight of the child its own way (the front door's referral: the
 * `front_door_contact` its submit grants every child it names). Either way the child is one of the partnership's
 * identity index (src/modules/search), so the front door's search finds it.
 */
export async function createProvisionalChild(trx: Transaction<DB>, actor: Pick<Actor, 'partnershipId' | 'agencyId' | 'membershipId'>, child: NewChild, now: Date, agencyRecord: { source: string; reason: string } | null): Promise<string> {
  const id = randomUUID()
  await trx
    .insertInto('child')
    .values({ id, partnership_id: actor.partnershipId, given_name: child.givenName, family_name: child.familyName, date_of_birth: child.dateOfBirth, expected_date_of_birth: null, sex: 'unknown', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, provisional: true, created_at: now })
    .execute()
  if (agencyRecord) {
    await trx
      .insertInto('relationship')
      .values({ id: randomUUID(), partnership_id: actor.partnershipId, child_id: id, type: 'agency_record', holder_agency_id: actor.agencyId, holder_team_id: null, holder_membership_id: null, starts_at: now, ends_at: null, source: agencyRecord.source, reason: agencyRecord.reason, created_by_membership_id: actor.membershipId, created_at: now })
      .execute()
  }
  return id
}
