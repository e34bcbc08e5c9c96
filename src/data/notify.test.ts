// Notifying memberships: only practitioners in post are told — their in-app item and the email (one per address, no
// names) — not a disabled account, an ended membership (its item could not be read) or one not yet started; the
// caller learns who was told.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../test/support/app.ts'
import { stableUuid } from './ids.ts'
import { notifyMemberships } from './notify.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('notifying memberships', (ctx) => {
  it('items and emails only for practitioners in post; the memberships told are returned', async () => {
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
    const told = await db.transaction().execute((trx) => notifyMemberships(trx, partnership, [...all, inPost], { kind: 'concern.new', childId: null, link: '/triage' }, now))
    assert.deepEqual([...told].sort(), [inPost, leaving].sort(), 'those in post are told, once each')
    const items = await db.selectFrom('notification').select(['membership_id', 'kind', 'link', 'created_at']).where('membership_id', 'in', all).execute()
    assert.deepEqual(items.map((i) => i.membership_id).sort(), [inPost, leaving].sort(), 'an item for each practitioner in post, none for the others')
    assert.ok(items.every((i) => i.kind === 'concern.new' && i.link === '/triage' && i.created_at.getTime() === now.getTime()))
    assert.deepEqual(await db.transaction().execute((trx) => notifyMemberships(trx, partnership, [ended, disabled], { kind: 'concern.new', link: '/triage' }, now)), [], 'nobody in post: nobody told, and the caller knows')
    const mail = await db.selectFrom('outbox').select(['to_address', 'body']).where('to_address', 'like', '%.notifytest@example.org').execute()
    assert.deepEqual(mail.map((m) => m.to_address).sort(), ['inpost.notifytest@example.org', 'leaving.notifytest@example.org'])
    assert.doesNotMatch(JSON.stringify(mail), /Notifytest/, 'no names in the email')
  })
})
