// Children in one agency's reach, made straight in the database: enough of them to cut a list of "my children" off
// at its limit (MY_CHILDREN_LIMIT), and children with names of their own to find beyond it.
import { randomUUID } from 'node:crypto'
import { stableUuid } from '../../src/data/ids.ts'
import type { TestDb } from './db.ts'

const P = stableUuid('partnership:northshire')

/** `count` children named "Test Zz Many 000"…: after the demo's children by family name. */
export const fillerNames = (count: number): { givenName: string; familyName: string }[] =>
  Array.from({ length: count }, (_, n) => ({ givenName: 'Test', familyName: `Zz Many ${String(n).padStart(3, '0')}` }))

/**
 * Children with these names, reached by the agency's staff through `type` (a police record, or pupils on a school's
 * roll) since 1 January 2026. Their ids, in the order of the names.
 */
export async function addChildrenInReach(db: TestDb['db'], agencyId: string, type: 'agency_record' | 'pupil_at', names: readonly { givenName: string; familyName: string }[]): Promise<string[]> {
  const at = new Date('2026-01-01')
  const children = names.map((n) => ({ id: randomUUID(), partnership_id: P, given_name: n.givenName, family_name: n.familyName, date_of_birth: '2015-03-04', expected_date_of_birth: null, sex: 'female' as const, nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, provisional: false, created_at: at }))
  await db.insertInto('child').values(children).execute()
  await db
    .insertInto('relationship')
    .values(children.map((c) => ({ id: randomUUID(), partnership_id: P, child_id: c.id, type, holder_agency_id: agencyId, holder_team_id: null, holder_membership_id: null, starts_at: at, ends_at: null, source: 'test', reason: type === 'pupil_at' ? 'On roll' : 'Named in an incident', created_by_membership_id: null, created_at: at })))
    .execute()
  return children.map((c) => c.id)
}

/** A child no one has a relationship with: out of everyone's reach. */
export async function addChildOutOfReach(db: TestDb['db'], name: { givenName: string; familyName: string }): Promise<string> {
  const id = randomUUID()
  await db.insertInto('child').values({ id, partnership_id: P, given_name: name.givenName, family_name: name.familyName, date_of_birth: '2015-03-04', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, provisional: false, created_at: new Date('2026-01-01') }).execute()
  return id
}
