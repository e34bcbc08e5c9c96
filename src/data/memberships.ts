// Memberships as the rest of the data layer asks for them: who currently holds a role (started, not ended, the
// practitioner not disabled), those of some roles in an agency, and practitioners' names for membership ids.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from './schema.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Current memberships in the partnership — `membership as m` joined to `practitioner as p`, nothing selected yet. */
export function currentMembershipsQuery(db: Db, partnershipId: string, now: Date) {
  return db
    .selectFrom('membership as m')
    .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
    .where('m.partnership_id', '=', partnershipId)
    .where('p.disabled_at', 'is', null)
    .where('m.starts_at', '<=', now)
    .where((eb) => eb.or([eb('m.ends_at', 'is', null), eb('m.ends_at', '>', now)]))
}

/** Whether a membership is in post now: started, not ended, its practitioner's account not disabled. */
export async function inPost(db: Db, partnershipId: string, membershipId: string, now: Date): Promise<boolean> {
  return Boolean(await currentMembershipsQuery(db, partnershipId, now).select('m.id').where('m.id', '=', membershipId).executeTakeFirst())
}

/** A practitioner's memberships in post now (what disabling their account takes out of post). */
export async function membershipsInPostOf(db: Db, partnershipId: string, practitionerId: string, now: Date): Promise<string[]> {
  return (await currentMembershipsQuery(db, partnershipId, now).select('m.id').where('m.practitioner_id', '=', practitionerId).execute()).map((m) => m.id)
}

/**
 * The joined members of a team around the child who are in post — those who can be chosen for its work (chair,
 * invitee, action owner, lead). `membership as m`, `practitioner as p` and `tac_member as tm`, nothing selected yet.
 */
export function tacMembersInPostQuery(db: Db, partnershipId: string, tacId: string, now: Date) {
  return currentMembershipsQuery(db, partnershipId, now)
    .innerJoin('tac_member as tm', (j) => j.onRef('tm.membership_id', '=', 'm.id').on('tm.partnership_id', '=', partnershipId))
    .where('tm.tac_id', '=', tacId)
    .where('tm.status', '=', 'joined')
}

/** Current memberships with one of these roles in an agency (e.g. a school's DSLs), with their email: a query to run or compose. */
export function membershipsWithRolesQuery(db: Db, partnershipId: string, agencyId: string, roles: readonly string[], now: Date) {
  return currentMembershipsQuery(db, partnershipId, now).select(['m.id', 'p.email']).where('m.agency_id', '=', agencyId).where('m.role', 'in', roles)
}

/** Current memberships with one of these roles in an agency (e.g. a school's DSLs). */
export function membershipsWithRoles(trx: Db, partnershipId: string, agencyId: string, roles: readonly string[], now: Date) {
  return membershipsWithRolesQuery(trx, partnershipId, agencyId, roles, now).execute()
}

/** "Given Family" for each membership id given (ended memberships included: a name on a past record stays). */
export async function membershipNames(db: Db, partnershipId: string, membershipIds: readonly (string | null | undefined)[]): Promise<Map<string, string>> {
  const ids = [...new Set(membershipIds.filter((m): m is string => Boolean(m)))]
  if (!ids.length) return new Map()
  const rows = await db.selectFrom('membership as m').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').select(['m.id', 'p.given_name', 'p.family_name']).where('m.partnership_id', '=', partnershipId).where('m.id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, `${r.given_name} ${r.family_name}`]))
}
