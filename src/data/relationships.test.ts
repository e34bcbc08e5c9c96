// The front door's sight of a child (front_door_contact), written in one place for the three paths that open it: a
// referral, a risk signal routed to the front door, a concern nobody else could take.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../test/support/app.ts'
import { PARTNERSHIP as P, pupilOf } from '../../test/support/tac.ts'
import { stableUuid } from './ids.ts'
import { grantFrontDoorContact } from './relationships.ts'

describeApp('the front door’s sight of a child (grantFrontDoorContact)', (ctx) => {
  it('held by the front-door team from now, with no end; `unlessHeld` adds none where its source already has one on the child', async () => {
    const db = ctx.s.t.db
    const [childId, other] = [await pupilOf(db, 'brookside', 2), await pupilOf(db, 'brookside', 3)]
    const teamId = stableUuid('northshire:team:csc:front-door')
    const now = ctx.s.clock.now()
    const source = `signal ${randomUUID()}`
    const grant = (child: string, unlessHeld: boolean) =>
      db.transaction().execute((trx) => grantFrontDoorContact(trx, { partnershipId: P, childId: child, teamId, source, reason: 'Risk signal: test', createdBy: null, now, unlessHeld }))
    const rows = (child: string) => db.selectFrom('relationship').selectAll().where('source', '=', source).where('child_id', '=', child).execute()
    await grant(childId, true)
    await grant(childId, true)
    await grant(other, true)
    const held = await rows(childId)
    assert.equal(held.length, 1, 'a signal routed again on the child does not add a second')
    const { type, holder_agency_id, holder_team_id, holder_membership_id, starts_at, ends_at, reason, created_by_membership_id, partnership_id } = held[0]!
    assert.deepEqual(
      { type, holder_agency_id, holder_team_id, holder_membership_id, starts_at: starts_at.toISOString(), ends_at, reason, created_by_membership_id, partnership_id },
      { type: 'front_door_contact', holder_agency_id: null, holder_team_id: teamId, holder_membership_id: null, starts_at: now.toISOString(), ends_at: null, reason: 'Risk signal: test', created_by_membership_id: null, partnership_id: P },
    )
    assert.equal((await rows(other)).length, 1, 'one on another child with the same source is its own')
    // a referral's and a routed concern's open theirs once, under a new source, without asking first
    await grant(childId, false)
    assert.equal((await rows(childId)).length, 2)
  })
})
