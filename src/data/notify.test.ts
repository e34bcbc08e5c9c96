// Notifying memberships: every membership named gets its in-app item, and the email (one per address, no names)
// goes only to practitioners in post — not a disabled account, an ended membership (its item cannot be read) or one
// not yet started.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../test/support/app.ts'
import { stableUuid } from './ids.ts'
import { notifyMemberships } from './notify.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('notifying memberships', (ctx) => {
  it('items for every membership named; emails only to practitioners in post', async () => {
    const db = ctx.s.t.db
    const now = ctx.s.clock.now()
    const day = 86_400_000
    const brookside = id('agency:brookside')
    const partnership = stableUuid('partnership:northshire')
    const person = async (key: string, opts: { disabledAt?: Date; startsAt?: Date; endsAt?: Date }) => {
      const practitionerId = stableUuid(`notify-test:practitioner:${key}`)
      const membershipId = stableUuid(`notify-test:membership:${key}`)
      await db.insertInto('practitioner').values({ id: practitionerId, partnership_id: partnership, email: `${key}.notifytest@example.org`, given_name: key, family_name: 'Notifytest', phone: null, password_hash: 'x', totp_secret: null, disabled_at: opts.disabledAt ?? null, created_at: now }).execute()
      await db.insertInto('membership').values({ id: membershipId, partnership_id: partnership, practitioner_id: practitionerId, agency_id: brookside, team_id: null, role: 'teacher', starts_at: opts.startsAt ?? new Date(now.getTime() - 365 * day), ends_at: opts.endsAt ?? null, created_at: now }).execute()
      return membershipId
    }
    const inPost = await person('inpost', {})
    const leaving = await person('leaving', { endsAt: new Date(now.getTime() + 7 * day) })
    const ended = await person('ended', { endsAt: new Date(now.getTime() - day) })
    const starter = await person('starter', { startsAt: new Date(now.getTime() + 30 * day) })
    const disabled = await person('disabled', { disabledAt: new Date(now.getTime() - day) })
    const all = [inPost, leaving, ended, starter, disabled]
    await db.transaction().execute((trx) => notifyMemberships(trx, partnership, all, { kind: 'concern.new', childId: null, link: '/triage' }, now))
    const items = await db.selectFrom('notification').select('membership_id').where('membership_id', 'in', all).execute()
    assert.deepEqual(items.map((i) => i.membership_id).sort(), [...all].sort(), 'an item for every membership named')
    const mail = await db.selectFrom('outbox').select(['to_address', 'body']).where('to_address', 'like', '%.notifytest@example.org').execute()
    assert.deepEqual(mail.map((m) => m.to_address).sort(), ['inpost.notifytest@example.org', 'leaving.notifytest@example.org'])
    assert.doesNotMatch(JSON.stringify(mail), /Notifytest/, 'no names in the email')
  })
})
