import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { stableUuid } from '../../data/ids.ts'
import { makeTac, membershipOf, pupilOf } from '../../../test/support/tac.ts'
import { totpAt } from '../../platform/auth/totp.ts'
import { hashPassword } from '../../platform/auth/passwords.ts'
import { demoPractitioners, DEMO_PASSWORD } from '../../data/seed.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('practitioner administration', (ctx) => {
  it('an agency admin sees only their agency’s people; another agency’s practitioner is not found', async () => {
    const school = await ctx.s.signIn('admin.brookside')
    const list = await school.get('/admin/practitioners')
    assert.equal(list.statusCode, 200)
    assert.match(list.body, /Priya Shah/)
    assert.doesNotMatch(list.body, /Joanne Clarke/)
    assert.equal((await school.get(`/admin/practitioners/${id('practitioner:frontdoor')}`)).statusCode, 404)
    const teacher = await ctx.s.signIn('teacher.brookside')
    assert.equal((await teacher.get('/admin/practitioners')).statusCode, 403)
  })

  it('adds a practitioner with a temporary password; their first sign-in enrols an authenticator; bad input saves nothing', async () => {
    const admin = await ctx.s.signIn('admin.brookside')
    await admin.get('/admin/practitioners/new')
    const bad = await admin.post('/admin/practitioners', { givenName: '', familyName: 'New', email: 'not-an-email', role: '' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /govuk-error-summary/)
    const badRole = await admin.post('/admin/practitioners', { givenName: 'Sam', familyName: 'New', email: 'sam.new@brookside.example', role: 'emperor' })
    assert.equal(badRole.statusCode, 400)
    assert.equal((await ctx.s.t.db.selectFrom('practitioner').select('id').where('email', '=', 'sam.new@brookside.example').execute()).length, 0)
    const made = await admin.post('/admin/practitioners', { givenName: 'Sam', familyName: 'New', email: 'sam.new@brookside.example', role: 'teacher' })
    assert.equal(made.statusCode, 200)
    // an email address already in use: the summary links to the email field, which says so; what was typed is kept
    const twice = await admin.post('/admin/practitioners', { givenName: 'Samuel', familyName: 'Newer', email: 'Sam.New@brookside.example', role: 'teacher' })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /govuk-error-summary[\s\S]*href="#email"[^>]*>Someone already uses that email address/)
    assert.match(twice.body, /id="email-error"[\s\S]*?Someone already uses that email address/)
    assert.match(twice.body, /value="Samuel"/)
    // a team of another agency: the summary links to the team field, which says so
    const otherTeam = await ctx.s.t.db.selectFrom('team').select('id').where('agency_id', '<>', (await ctx.s.t.db.selectFrom('membership as m').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').select('m.agency_id').where('p.email', '=', 'sam.new@brookside.example').executeTakeFirstOrThrow()).agency_id).executeTakeFirstOrThrow()
    const wrongTeam = await admin.post('/admin/practitioners', { givenName: 'Kim', familyName: 'New', email: 'kim.new@brookside.example', role: 'teacher', teamId: otherTeam.id })
    assert.equal(wrongTeam.statusCode, 400)
    assert.match(wrongTeam.body, /govuk-error-summary[\s\S]*href="#teamId"[^>]*>Choose a team of the agency/)
    assert.match(wrongTeam.body, /id="teamId-error"/)
    const password = /id="temporary-password">([^<]+)</.exec(made.body)![1]!.trim()
    const newbie = ctx.s.agent()
    await newbie.get('/sign-in')
    const r = await newbie.post('/sign-in', { email: 'sam.new@brookside.example', password })
    assert.equal(r.headers.location, '/sign-in/mfa/enrol')
    const enrol = await newbie.get('/sign-in/mfa/enrol')
    const secret = /id="secret">([^<]+)</.exec(enrol.body)![1]!.replace(/\s+/g, '')
    ctx.s.clock.advance(31_000)
    assert.equal((await newbie.post('/sign-in/mfa/enrol', { code: await totpAt(secret, ctx.s.clock.now()) })).statusCode, 303)
    // the temporary password the administrator saw is replaced before anything else: every page leads to the form
    const first = await newbie.get('/')
    assert.deepEqual([first.statusCode, first.headers.location], [303, '/account/password'])
    const api = await newbie.get('/api/v1/me')
    assert.equal(api.statusCode, 403)
    assert.match(String(api.headers['content-type']), /^application\/problem\+json/)
    const form = await newbie.get('/account/password')
    assert.equal(form.statusCode, 200)
    assert.match(form.body, /Choose your own password/)
    const changes = async () => (await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'details']).where('action', '=', 'auth.password-change').orderBy('id').execute()).map((a) => a.outcome)
    // each rule, with the error summary; nothing changed
    const cases: [Record<string, string>, RegExp][] = [
      [{ current: '', password: '', confirm: '' }, /Enter your current password[\s\S]*Enter a new password/],
      [{ current: password, password: 'too-short', confirm: 'too-short' }, /must be 12 characters or more/],
      [{ current: password, password, confirm: password }, /must be different from the current one/],
      [{ current: password, password: 'xx-sam.new-xx-yy', confirm: 'xx-sam.new-xx-yy' }, /must not contain your email address/],
      [{ current: password, password: 'marmalade-otter-lantern', confirm: 'marmalade-otter-lanterns' }, /two new passwords are not the same/],
    ]
    for (const [body, message] of cases) {
      const res = await newbie.post('/account/password', body)
      assert.equal(res.statusCode, 400, JSON.stringify(body))
      assert.match(res.body, /govuk-error-summary/)
      assert.match(res.body, message)
    }
    const wrong = await newbie.post('/account/password', { current: 'not-the-password', password: 'marmalade-otter-lantern', confirm: 'marmalade-otter-lantern' })
    assert.equal(wrong.statusCode, 400)
    assert.match(wrong.body, /Your current password is not right/)
    assert.deepEqual(await changes(), ['refused'])
    // another browser signed in meanwhile with the temporary password: ended by the change
    const elsewhere = ctx.s.agent()
    await elsewhere.get('/sign-in')
    assert.equal((await elsewhere.post('/sign-in', { email: 'sam.new@brookside.example', password })).headers.location, '/sign-in/mfa')
    const done = await newbie.post('/account/password', { current: password, password: 'marmalade-otter-lantern', confirm: 'marmalade-otter-lantern' })
    assert.deepEqual([done.statusCode, done.headers.location], [303, '/?done=password'])
    const home = await newbie.get('/?done=password')
    assert.equal(home.statusCode, 200)
    assert.match(home.body, /Your password has been changed/)
    assert.deepEqual(await changes(), ['refused', 'success'])
    assert.equal((await elsewhere.get('/sign-in/mfa')).headers.location, '/sign-in', 'the other sign-in ended')
    // the temporary password no longer signs in; the new one does
    const later = ctx.s.agent()
    await later.get('/sign-in')
    assert.equal((await later.post('/sign-in', { email: 'sam.new@brookside.example', password })).statusCode, 401)
    assert.equal((await later.post('/sign-in', { email: 'sam.new@brookside.example', password: 'marmalade-otter-lantern' })).headers.location, '/sign-in/mfa')
    const row = await ctx.s.t.db.selectFrom('practitioner').select(['must_change_password', 'password_hash']).where('email', '=', 'sam.new@brookside.example').executeTakeFirstOrThrow()
    assert.equal(row.must_change_password, false)
    assert.match(row.password_hash, /^\$argon2id\$/)
  })

  it('disabling a practitioner ends their sessions at once; resetting an authenticator sends them to enrol again (audited)', async () => {
    const victim = await ctx.s.signIn('pastoral.brookside')
    assert.equal((await victim.get('/')).statusCode, 200)
    const admin = await ctx.s.signIn('admin.brookside')
    const pid = id('practitioner:pastoral.brookside')
    await admin.get(`/admin/practitioners/${pid}`)
    const noReason = await admin.post(`/admin/practitioners/${pid}/disable`, { reason: '' })
    assert.equal(noReason.statusCode, 400)
    // the error is on the disable form's own reason field, not the authenticator form's
    assert.match(noReason.body, /govuk-error-summary[\s\S]*href="#reason-disable"/)
    assert.match(noReason.body, /<p id="reason-disable-error" class="govuk-error-message">/)
    assert.doesNotMatch(noReason.body, /<p id="reason-error"/)
    assert.equal((await admin.post(`/admin/practitioners/${pid}/disable`, { reason: 'Suspended pending investigation' })).statusCode, 303)
    const next = await victim.get('/')
    assert.equal(next.statusCode, 302)
    assert.equal(next.headers.location, '/sign-in')
    await admin.post(`/admin/practitioners/${pid}/enable`, { reason: 'Cleared' })
    assert.equal((await admin.post(`/admin/practitioners/${pid}/reset-mfa`, { reason: 'Phone lost; identity checked in person' })).statusCode, 303)
    const again = ctx.s.agent()
    await again.get('/sign-in')
    const r = await again.post('/sign-in', { email: 'pastoral.brookside@northshire.example', password: 'Northshire-demo-2026' })
    assert.equal(r.headers.location, '/sign-in/mfa/enrol')
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['action', 'details']).where('action', '=', 'practitioner.reset-mfa').executeTakeFirstOrThrow()
    assert.match(JSON.stringify(audit.details), /Phone lost/)
  })

  it('a forgotten password: the administrator sets a temporary one, shown once; sessions end, the lock-out lifts, and at sign-in they choose their own (audited, the password never in the audit)', async () => {
    const db = ctx.s.t.db
    // (not the pastoral worker: the test above reset their authenticator)
    const key = 'head.brookside'
    const who = demoPractitioners().find((p) => p.key === key)!
    const pid = id(`practitioner:${key}`)
    const victim = await ctx.s.signIn(key)
    assert.equal((await victim.get('/')).statusCode, 200)
    const before = await db.selectFrom('practitioner').select(['password_hash', 'totp_secret']).where('id', '=', pid).executeTakeFirstOrThrow()
    // locked out after wrong passwords
    await db.updateTable('practitioner').set({ failed_sign_ins: 5, locked_until: new Date(ctx.s.clock.now().getTime() + 3_600_000) }).where('id', '=', pid).execute()
    const admin = await ctx.s.signIn('admin.brookside')
    const page = await admin.get(`/admin/practitioners/${pid}`)
    assert.match(page.body, /action="\/admin\/practitioners\/[^"]+\/reset-password"/)
    // no reason: the error is on this form's own reason field; nothing changed
    const noReason = await admin.post(`/admin/practitioners/${pid}/reset-password`, { reason: '  ' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /govuk-error-summary[\s\S]*href="#reason-password"/)
    assert.match(noReason.body, /<p id="reason-password-error" class="govuk-error-message">/)
    assert.equal((await db.selectFrom('practitioner').select('password_hash').where('id', '=', pid).executeTakeFirstOrThrow()).password_hash, before.password_hash)
    assert.equal((await victim.get('/')).statusCode, 200, 'still signed in')
    const done = await admin.post(`/admin/practitioners/${pid}/reset-password`, { reason: 'Forgot it after leave; identity checked by phone call-back' })
    assert.equal(done.statusCode, 200)
    assert.match(done.body, /Give them their temporary password/)
    assert.match(String(done.headers['cache-control']), /no-store/)
    const temporary = /id="temporary-password">([^<]+)</.exec(done.body)![1]!.trim()
    assert.ok(temporary.length >= 16)
    // their sessions ended; the authenticator is kept; the old password no longer signs in
    assert.equal((await victim.get('/')).headers.location, '/sign-in')
    const after = await db.selectFrom('practitioner').select(['password_hash', 'totp_secret', 'must_change_password', 'failed_sign_ins', 'locked_until']).where('id', '=', pid).executeTakeFirstOrThrow()
    assert.equal(after.totp_secret, before.totp_secret)
    assert.deepEqual([after.must_change_password, after.failed_sign_ins, after.locked_until], [true, 0, null])
    assert.match(after.password_hash, /^\$argon2id\$/)
    const old = ctx.s.agent()
    await old.get('/sign-in')
    assert.equal((await old.post('/sign-in', { email: who.email, password: DEMO_PASSWORD })).statusCode, 401)
    // the temporary one, with their own authenticator, leads to choosing their own before anything else
    const back = ctx.s.agent()
    await back.get('/sign-in')
    assert.equal((await back.post('/sign-in', { email: who.email, password: temporary })).headers.location, '/sign-in/mfa')
    await back.get('/sign-in/mfa')
    ctx.s.clock.advance(31_000)
    assert.equal((await back.post('/sign-in/mfa', { code: await totpAt(who.totpSecret, ctx.s.clock.now()) })).statusCode, 303)
    assert.deepEqual([(await back.get('/')).statusCode, (await back.get('/')).headers.location], [303, '/account/password'])
    await back.get('/account/password')
    const changed = await back.post('/account/password', { current: temporary, password: 'heron-quilt-pebble-9', confirm: 'heron-quilt-pebble-9' })
    assert.deepEqual([changed.statusCode, changed.headers.location], [303, '/?done=password'])
    assert.equal((await back.get('/')).statusCode, 200)
    const audit = await db.selectFrom('audit_event').select(['outcome', 'entity_id', 'actor_practitioner_id', 'details']).where('action', '=', 'practitioner.reset-password').execute()
    assert.deepEqual(
      audit.map((a) => [a.outcome, a.entity_id, a.actor_practitioner_id]),
      [['success', pid, id('practitioner:admin.brookside')]],
    )
    assert.match(JSON.stringify(audit[0]!.details), /identity checked by phone/)
    assert.doesNotMatch(JSON.stringify(await db.selectFrom('audit_event').select('details').execute()), new RegExp(temporary.replace(/[-]/g, '\\-')))
    // their own password an administrator changes on the Password page, not here; another agency's practitioner is not found
    const self = await admin.post(`/admin/practitioners/${id('practitioner:admin.brookside')}/reset-password`, { reason: 'Mine' })
    assert.equal(self.statusCode, 400)
    assert.match(self.body, /href="#reason-password">Change your own password from the Password link/)
    assert.equal((await admin.post(`/admin/practitioners/${id('practitioner:frontdoor')}/reset-password`, { reason: 'Not mine to reset' })).statusCode, 404)
    // the demo password again, for the tests after this one
    await db.updateTable('practitioner').set({ password_hash: await hashPassword(DEMO_PASSWORD), must_change_password: false }).where('id', '=', pid).execute()
  })

  it('ending a membership removes that reach at the next request; a leaver’s children move to a colleague with history kept', async () => {
    const childId = (await ctx.s.t.db.selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', id('membership:sw.north:0')).where('ends_at', 'is', null).executeTakeFirstOrThrow()).child_id
    const leaver = await ctx.s.signIn('sw.north')
    assert.equal((await leaver.get(`/children/${childId}`)).statusCode, 200)
    const colleague = await ctx.s.signIn('sw2.north')
    const before = (await colleague.get(`/children/${childId}`)).statusCode
    const admin = await ctx.s.signIn('admin.csc')
    await admin.get(`/admin/practitioners/${id('practitioner:sw.north')}`)
    const moved = await admin.post(`/admin/memberships/${id('membership:sw.north:0')}/reassign`, { to: id('membership:sw2.north:0'), reason: 'Leaving the authority' })
    assert.equal(moved.statusCode, 303)
    assert.equal((await colleague.get(`/children/${childId}`)).statusCode, 200)
    if (before !== 200) assert.notEqual(before, 200)
    const ended = await ctx.s.t.db.selectFrom('relationship').select(['ends_at']).where('child_id', '=', childId).where('holder_membership_id', '=', id('membership:sw.north:0')).execute()
    assert.ok(ended.length >= 1 && ended.every((r) => r.ends_at !== null), 'old relationships kept, ended')
    assert.equal((await leaver.get(`/children/${childId}`)).statusCode, 404)
    // a reason too long is refused, never cut short, and the role is not ended
    const tooLong = await admin.post(`/admin/memberships/${id('membership:sw.north:0')}/end`, { reason: 'x'.repeat(2001) })
    assert.equal(tooLong.statusCode, 400)
    // on the practitioner's page, linked to that role's row
    assert.match(tooLong.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#membership-${id('membership:sw.north:0')}"[^>]*>The reason must be 2,000 characters or fewer`))
    assert.match(tooLong.body, new RegExp(`<tr class="govuk-table__row" id="membership-${id('membership:sw.north:0')}"`))
    assert.equal((await ctx.s.t.db.selectFrom('membership').select('ends_at').where('id', '=', id('membership:sw.north:0')).executeTakeFirstOrThrow()).ends_at, null)
    assert.equal((await admin.post(`/admin/memberships/${id('membership:sw.north:0')}/end`, { reason: 'Left' })).statusCode, 303)
    // sent again (a second click, an old tab): the page says so, on the same page
    const again = await admin.post(`/admin/memberships/${id('membership:sw.north:0')}/end`, { reason: 'Left' })
    assert.equal(again.statusCode, 400)
    assert.match(again.body, /govuk-error-summary[\s\S]*This membership has already ended/)
    assert.equal((await leaver.get('/')).statusCode, 302)
    // the children move only to someone in post: not an ended membership, one not yet started, or a disabled account
    const held = async () => (await ctx.s.t.db.selectFrom('relationship').select('id').where('holder_membership_id', '=', id('membership:sw2.north:0')).where('ends_at', 'is', null).execute()).length
    const heldBefore = await held()
    assert.ok(heldBefore > 0)
    const now = ctx.s.clock.now()
    const csc = (await ctx.s.t.db.selectFrom('membership').select(['agency_id', 'partnership_id']).where('id', '=', id('membership:sw2.north:0')).executeTakeFirstOrThrow())
    const person = async (key: string, opts: { disabledAt: Date | null; startsAt: Date }) => {
      const practitionerId = stableUuid(`admin-test:practitioner:${key}`)
      const membershipId = stableUuid(`admin-test:membership:${key}`)
      await ctx.s.t.db.insertInto('practitioner').values({ id: practitionerId, partnership_id: csc.partnership_id, email: `${key}.admintest@example.org`, given_name: key, family_name: 'Admintest', phone: null, password_hash: 'x', totp_secret: null, disabled_at: opts.disabledAt, created_at: now }).execute()
      await ctx.s.t.db.insertInto('membership').values({ id: membershipId, partnership_id: csc.partnership_id, practitioner_id: practitionerId, agency_id: csc.agency_id, team_id: null, role: 'social_worker', starts_at: opts.startsAt, ends_at: null, created_at: now }).execute()
      return membershipId
    }
    const targets = [
      id('membership:sw.north:0'),
      await person('Disabled', { disabledAt: now, startsAt: new Date('2020-01-01T00:00:00Z') }),
      await person('Starter', { disabledAt: null, startsAt: new Date(now.getTime() + 30 * 86_400_000) }),
    ]
    for (const to of targets) {
      const refused = await admin.post(`/admin/memberships/${id('membership:sw2.north:0')}/reassign`, { to, reason: 'Leaving the authority' })
      assert.equal(refused.statusCode, 400, to)
      assert.match(refused.body, /govuk-error-summary/)
      assert.match(refused.body, /not in post/)
    }
    assert.equal(await held(), heldBefore, 'nothing moved')
    // a reason too long: the error is on that role's reason field, and what was chosen and typed is kept
    const m = id('membership:sw2.north:0')
    const shown = await admin.get(`/admin/practitioners/${id('practitioner:sw2.north')}`)
    const shownTo = new RegExp(`id="to-${m}"[^]*?<option value="([0-9a-f-]{36})"`).exec(shown.body)![1]!
    const long = await admin.post(`/admin/memberships/${m}/reassign`, { to: shownTo, reason: `Leaving ${'x'.repeat(2000)}` })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, new RegExp(`href="#reason-${m}"[^>]*>The reason must be 2,000 characters or fewer`))
    assert.match(long.body, new RegExp(`id="reason-${m}-error"`))
    assert.match(long.body, new RegExp(`value="Leaving x{2000}"`))
    // ...in that role's form only: the authenticator form's reason stays empty
    assert.doesNotMatch(long.body, /<input class="govuk-input" id="reason" name="reason" type="text" value="Leaving/)
    assert.equal(long.body.match(/value="Leaving x{2000}"/g)?.length, 1)
    // a field sent twice (a hand-made request) is said to be so, on that role's field, and nothing moves
    const twiceTo = await admin.post(`/admin/memberships/${m}/reassign`, { to: [shownTo, shownTo], reason: 'Leaving the authority' })
    assert.equal(twiceTo.statusCode, 400)
    assert.match(twiceTo.body, new RegExp(`href="#to-${m}"[^>]*>The colleague was sent more than once: enter it once`))
    const twiceReason = await admin.post(`/admin/memberships/${m}/reassign`, { to: shownTo, reason: ['Leaving', 'the authority'] })
    assert.equal(twiceReason.statusCode, 400)
    assert.match(twiceReason.body, new RegExp(`href="#reason-${m}"[^>]*>The reason was sent more than once: enter it once`))
    assert.equal(await held(), heldBefore, 'nothing moved')
    assert.match(long.body, new RegExp(`<option value="${shownTo}" selected>`))
    assert.equal(await held(), heldBefore, 'nothing moved')
    // a school admin cannot touch social care's memberships
    const school = await ctx.s.signIn('admin.brookside')
    assert.equal((await school.post(`/admin/memberships/${id('membership:sw2.north:0')}/end`, { reason: 'x' })).statusCode, 404)
  })

  it('a leaver’s teams around the child pass to the colleague: the leaver leaves, the colleague joins in the same role and takes the lead, in the chronology', async () => {
    const db = ctx.s.t.db
    const childId = await pupilOf(db, 'brookside', 7)
    const tacId = await makeTac(db, { childIds: [childId], lead: 'sw.south', members: ['nurse'] })
    const admin = await ctx.s.signIn('admin.csc')
    await admin.get(`/admin/practitioners/${id('practitioner:sw.south')}`)
    const moved = await admin.post(`/admin/memberships/${membershipOf('sw.south')}/reassign`, { to: membershipOf('sw2.north'), reason: 'Leaving the authority' })
    assert.equal(moved.statusCode, 303)
    const tac = await db.selectFrom('tac').select('lead_membership_id').where('id', '=', tacId).executeTakeFirstOrThrow()
    assert.equal(tac.lead_membership_id, membershipOf('sw2.north'), 'the colleague leads the team')
    const members = await db.selectFrom('tac_member').select(['membership_id', 'status', 'team_role']).where('tac_id', '=', tacId).execute()
    assert.equal(members.find((m) => m.membership_id === membershipOf('sw.south'))?.status, 'left')
    assert.deepEqual(members.find((m) => m.membership_id === membershipOf('sw2.north')), { membership_id: membershipOf('sw2.north'), status: 'joined', team_role: 'Lead practitioner' })
    assert.equal(members.find((m) => m.membership_id === membershipOf('nurse'))?.status, 'joined', 'the others stay')
    const entries = (await db.selectFrom('entry').select('type').where('child_id', '=', childId).where('detail_id', '=', tacId).execute()).map((e) => e.type).sort()
    assert.deepEqual(entries, ['tac_lead_changed', 'tac_member_joined', 'tac_member_left'])
    // the colleague can work in the team; their relationship to the child is the team's, so it ends if they leave it
    const colleague = await ctx.s.signIn('sw2.north')
    assert.equal((await colleague.get(`/teams/${tacId}`)).statusCode, 200)
    const rel = await db.selectFrom('relationship').select('source').where('child_id', '=', childId).where('holder_membership_id', '=', membershipOf('sw2.north')).where('ends_at', 'is', null).execute()
    assert.deepEqual(rel.map((r) => r.source), [`tac:${tacId}`])
    const audit = await db.selectFrom('audit_event').select(['details', 'child_ids']).where('action', '=', 'relationship.reassign').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.ok((audit.details as { teams: string[] }).teams.includes(tacId))
    assert.ok(audit.child_ids.includes(childId))
  })

  it('a disabled practitioner who leads a team is flagged on their page, with the way to move the team to a colleague', async () => {
    const db = ctx.s.t.db
    const childId = await pupilOf(db, 'brookside', 9)
    const tacId = await makeTac(db, { childIds: [childId], lead: 'manager.north', members: ['nurse'] })
    await db.updateTable('practitioner').set({ disabled_at: ctx.s.clock.now() }).where('id', '=', id('practitioner:manager.north')).execute()
    const admin = await ctx.s.signIn('admin.csc')
    const page = await admin.get(`/admin/practitioners/${id('practitioner:manager.north')}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Leads 1 team around the child/)
    assert.match(page.body, /govuk-warning-text[\s\S]*have a lead who cannot act/)
    assert.match(page.body, new RegExp(`action="/admin/memberships/${membershipOf('manager.north')}/reassign"`))
    const moved = await admin.post(`/admin/memberships/${membershipOf('manager.north')}/reassign`, { to: membershipOf('sw2.north'), reason: 'Long-term absence' })
    assert.equal(moved.statusCode, 303)
    assert.equal((await db.selectFrom('tac').select('lead_membership_id').where('id', '=', tacId).executeTakeFirstOrThrow()).lead_membership_id, membershipOf('sw2.north'))
    const after = await admin.get(`/admin/practitioners/${id('practitioner:manager.north')}`)
    assert.doesNotMatch(after.body, /Leads \d+ teams? around the child/)
    assert.doesNotMatch(after.body, /govuk-warning-text/)
  })

  it('an agency administrator cannot disable, re-enable, reset the authenticator or password of, or end the role of a partnership administrator in their agency', async () => {
    const pid = id('practitioner:partnership.admin')
    const admin = await ctx.s.signIn('admin.csc')
    const page = await admin.get(`/admin/practitioners/${pid}`)
    assert.equal(page.statusCode, 200, 'in the agency administrator’s scope: they hold a membership in the agency')
    const before = await ctx.s.t.db.selectFrom('practitioner').select(['disabled_at', 'totp_secret', 'password_hash']).where('id', '=', pid).executeTakeFirstOrThrow()
    for (const [path, field] of [['disable', 'reason-disable'], ['enable', 'reason-disable'], ['reset-mfa', 'reason'], ['reset-password', 'reason-password']] as const) {
      const res = await admin.post(`/admin/practitioners/${pid}/${path}`, { reason: 'Tidying up accounts' })
      assert.equal(res.statusCode, 400, path)
      assert.match(res.body, new RegExp(`href="#${field}">A partnership administrator’s account is managed by another partnership administrator`), path)
    }
    const membership = await ctx.s.t.db.selectFrom('membership').select('id').where('practitioner_id', '=', pid).where('role', '=', 'partnership_admin').executeTakeFirstOrThrow()
    const end = await admin.post(`/admin/memberships/${membership.id}/end`, { reason: 'Left' })
    assert.equal(end.statusCode, 400)
    assert.match(end.body, /Only a partnership administrator can end the partnership administrator role/)
    const after = await ctx.s.t.db.selectFrom('practitioner').select(['disabled_at', 'totp_secret', 'password_hash']).where('id', '=', pid).executeTakeFirstOrThrow()
    assert.deepEqual(after, before, 'nothing changed')
    assert.equal((await ctx.s.t.db.selectFrom('membership').select('ends_at').where('id', '=', membership.id).executeTakeFirstOrThrow()).ends_at, null)
  })

  it('an administrator cannot give themselves a role (refused, audited, nothing saved); giving one to someone else works', async () => {
    const db = ctx.s.t.db
    const admin = await ctx.s.signIn('admin.brookside')
    const me = id('practitioner:admin.brookside')
    const held = async (pid: string) => (await db.selectFrom('membership').select('role').where('practitioner_id', '=', pid).execute()).map((m) => m.role).sort()
    await admin.get(`/admin/practitioners/${me}`)
    const self = await admin.post(`/admin/practitioners/${me}/memberships`, { role: 'dsl' })
    assert.equal(self.statusCode, 400)
    assert.match(self.body, /govuk-error-summary[\s\S]*You cannot give yourself a role/)
    assert.deepEqual(await held(me), ['agency_admin'])
    const refused = await db.selectFrom('audit_event').select('outcome').where('action', '=', 'membership.add').where('outcome', '=', 'refused').execute()
    assert.ok(refused.length >= 1)
    const other = id('practitioner:teacher2.brookside')
    await admin.get(`/admin/practitioners/${other}`)
    assert.equal((await admin.post(`/admin/practitioners/${other}/memberships`, { role: 'pastoral_worker' })).statusCode, 303)
    assert.deepEqual(await held(other), ['pastoral_worker', 'teacher'])
    // a field that is not one value (JSON lets a crafted form send a list) is an error on the page, not a server error
    const team = (await db.selectFrom('team').select('id').where('agency_id', '=', id('agency:brookside')).executeTakeFirstOrThrow()).id
    for (const body of [{ role: 'dsl', teamId: [team] }, { role: ['dsl'] }]) {
      const r = await admin.postJson(`/admin/practitioners/${other}/memberships`, body)
      assert.equal(r.statusCode, 400, JSON.stringify(body))
      assert.match(r.body, /govuk-error-summary/)
    }
    assert.deepEqual(await held(other), ['pastoral_worker', 'teacher'])
  })
})
