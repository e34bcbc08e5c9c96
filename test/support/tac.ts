// A team around the child made directly in the test database (for capability tests that need one without
// walking the team pages): the team, its children, joined members with their `team_member` relationships; and the
// demo fixtures such tests share (a membership's id, a pupil, disabling an account).
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { stableUuid } from '../../src/data/ids.ts'
import type { DB, TacLevel } from '../../src/data/schema.ts'

export const PARTNERSHIP = stableUuid('partnership:northshire')
/** The membership id of a demo practitioner's n-th membership (e.g. 'sw.north'). */
export const membershipOf = (key: string, n = 0) => stableUuid(`northshire:membership:${key}:${n}`)

export async function makeTac(
  db: Kysely<DB>,
  opts: { childIds: string[]; level?: TacLevel; lead: string; members?: string[]; at?: Date; mace?: boolean },
): Promise<string> {
  const at = opts.at ?? new Date('2026-11-02T10:00:00Z')
  const id = randomUUID()
  const lead = membershipOf(opts.lead)
  await db.insertInto('tac').values({ id, partnership_id: PARTNERSHIP, level: opts.level ?? 'early_help', mace: opts.mace ?? false, lead_membership_id: lead, started_by_membership_id: lead, started_at: at, reason: 'Test team', created_at: at }).execute()
  await db.insertInto('tac_child').values(opts.childIds.map((child_id) => ({ partnership_id: PARTNERSHIP, tac_id: id, child_id }))).execute()
  await db.insertInto('level_change').values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: id, from_level: null, to_level: opts.level ?? 'early_help', kind: 'start', reason: 'Test team', decided_by: lead, decided_at: at }).execute()
  for (const key of [opts.lead, ...(opts.members ?? [])]) {
    const m = membershipOf(key)
    await db.insertInto('tac_member').values({ id: randomUUID(), partnership_id: PARTNERSHIP, tac_id: id, membership_id: m, team_role: key === opts.lead ? 'Lead practitioner' : 'Member', status: 'joined', invited_by: lead, invited_at: at, joined_at: at }).execute()
    await db
      .insertInto('relationship')
      .values(opts.childIds.map((child_id) => ({ id: randomUUID(), partnership_id: PARTNERSHIP, child_id, type: 'team_member' as const, holder_agency_id: null, holder_team_id: null, holder_membership_id: m, starts_at: at, ends_at: null, source: `tac:${id}`, reason: 'Member of the team around the child', created_by_membership_id: lead, created_at: at })))
      .execute()
  }
  return id
}

/** A demo child on roll at a school (e.g. 'brookside') known to no other agency (no other relationship at all). */
export async function pupilOf(db: Kysely<DB>, school: string, offset = 0): Promise<string> {
  const r = await db
    .selectFrom('relationship as r')
    .select('r.child_id')
    .where('r.type', '=', 'pupil_at')
    .where('r.holder_agency_id', '=', stableUuid(`northshire:agency:${school}`))
    // on roll now: a test that ends a pupil's place (a pupil who leaves) must not change which pupil another test gets
    .where('r.ends_at', 'is', null)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('relationship as o').select('o.id').whereRef('o.child_id', '=', 'r.child_id').where('o.type', '!=', 'pupil_at'))))
    .orderBy('r.child_id')
    .offset(offset)
    .limit(1)
    .executeTakeFirstOrThrow()
  return r.child_id
}

/** Disables the account of a membership's practitioner (an administrator's "disable"), as of `at`. */
export async function disablePractitionerOf(db: Kysely<DB>, membershipId: string, at: Date): Promise<void> {
  const { practitioner_id } = await db.selectFrom('membership').select('practitioner_id').where('id', '=', membershipId).executeTakeFirstOrThrow()
  await db.updateTable('practitioner').set({ disabled_at: at }).where('id', '=', practitioner_id).execute()
}
