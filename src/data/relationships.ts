// Relationships written for a capability rather than by a practitioner's own choice: one place that writes each
// kind, so every path gives the same holder, start and end.
import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { DB } from './schema.ts'

/**
 * Gives a front-door team sight of a child (a `front_door_contact`, held by the team: domain-model.md), from now and
 * with no end of its own. What opened it is its `source` (`referral <id>`, `signal <id>`, `concern submission <id>`),
 * by which it is found again: a referral's decision sets its end (10 working days on), a signal that follows its
 * entries to another child takes it along; a signal's and a routed concern's do not end on their own.
 * `createdBy` is the practitioner whose act opened it, or null for the system (a risk signal firing).
 * `unlessHeld`: a risk signal is routed again on the child its entries moved to, and brought its relationship with
 * it, so it adds one only when none with this source is on the child already. A referral and a concern submission
 * open theirs once, when created (a fresh id in the source), so they insert without asking first.
 */
export async function grantFrontDoorContact(
  trx: Transaction<DB>,
  g: { partnershipId: string; childId: string; teamId: string; source: string; reason: string; createdBy: string | null; now: Date; unlessHeld?: boolean },
): Promise<void> {
  if (g.unlessHeld) {
    const held = await trx.selectFrom('relationship').select('id').where('partnership_id', '=', g.partnershipId).where('child_id', '=', g.childId).where('type', '=', 'front_door_contact').where('source', '=', g.source).executeTakeFirst()
    if (held) return
  }
  await trx
    .insertInto('relationship')
    .values({ id: randomUUID(), partnership_id: g.partnershipId, child_id: g.childId, type: 'front_door_contact', holder_agency_id: null, holder_team_id: g.teamId, holder_membership_id: null, starts_at: g.now, ends_at: null, source: g.source, reason: g.reason, created_by_membership_id: g.createdBy, created_at: g.now })
    .execute()
}
