import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { membershipOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import type { Actor } from '../../data/actor.ts'
import type { Role } from '../../access/policy.ts'

describeApp('calendars and lists are data an administrator can change', (ctx) => {
  it('a partnership admin adds a bank holiday, and working-day clocks count it from then on', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    const page = await admin.get('/settings')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Boxing Day \(substitute day\)/)
    assert.equal((await admin.post('/settings/bank-holidays', { date: '2026-11-24', name: '' })).statusCode, 400)
    assert.equal((await admin.post('/settings/bank-holidays', { date: '24/11/2026', name: 'x' })).statusCode, 400)
    // a name longer than a line is refused at its field, and a field sent twice is refused, not saved as "a,b"
    const long = await admin.post('/settings/bank-holidays', { date: '2026-11-24', name: 'A'.repeat(201) })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, /href="#bh-name">The name of the bank holiday must be 200 characters or fewer/)
    const twice = await admin.post('/settings/bank-holidays', { date: '2026-11-24', name: ['Extra', 'day'] })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /The field “name” was sent more than once: enter it once/)
    assert.equal((await ctx.s.t.db.selectFrom('bank_holiday').select('on_date').where('on_date', '=', '2026-11-24').execute()).length, 0, 'nothing saved')
    assert.equal((await admin.post('/settings/bank-holidays', { date: '2026-11-24', name: 'Example extra bank holiday' })).statusCode, 303)
    const { clockPort } = await import('../calendar/clocks.ts')
    const partnership = await ctx.s.t.db.selectFrom('partnership').select('id').executeTakeFirstOrThrow()
    const d = await ctx.s.t.db.transaction().execute((trx) => clockPort.addWorkingDays(trx, partnership.id, new Date('2026-11-23T10:00:00Z'), 1))
    assert.equal(d.toISOString(), '2026-11-25T17:00:00.000Z')
    assert.equal((await admin.post('/settings/bank-holidays/2026-11-24/remove')).statusCode, 303)
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['action', 'outcome']).where('action', 'like', 'settings.bank-holiday%').execute()
    assert.equal(audit.filter((a) => a.action === 'settings.bank-holiday.add' && a.outcome === 'success').length, 1)
    assert.equal(audit.filter((a) => a.action === 'settings.bank-holiday.remove' && a.outcome === 'success').length, 1)
  })

  it('a school’s admin sets its start of day and terms; not another agency’s', async () => {
    const school = await ctx.s.signIn('admin.brookside')
    await school.get('/settings')
    assert.equal((await school.post('/settings/start-of-day', { time: '8:45' })).statusCode, 400)
    assert.equal((await school.post('/settings/start-of-day', { time: '08:40' })).statusCode, 303)
    assert.equal((await school.post('/settings/terms', { name: 'Overlap', startsOn: '2026-11-10', endsOn: '2026-11-12' })).statusCode, 400)
    assert.equal((await school.post('/settings/terms', { name: 'Summer 3', startsOn: '2027-07-22', endsOn: '2027-07-23' })).statusCode, 303)
    assert.equal((await school.post('/settings/bank-holidays', { date: '2027-07-22', name: 'Not mine to add' })).statusCode, 400)
    const csc = await ctx.s.signIn('admin.csc')
    const page = await csc.get('/settings')
    assert.match(page.body, /nothing here for your agency/)
  })

  it('a refused settings form keeps what was typed, in that form only', async () => {
    const school = await ctx.s.signIn('admin.brookside')
    await school.get('/settings')
    const term = await school.post('/settings/terms', { name: 'Spring 2 (2027)', startsOn: '2027-02-22', endsOn: '2027-02-30' })
    assert.equal(term.statusCode, 400)
    assert.match(term.body, /govuk-error-summary[\s\S]*href="#endsOn"/)
    assert.match(term.body, /id="term-name" name="name" type="text" value="Spring 2 \(2027\)"/)
    assert.match(term.body, /id="startsOn" name="startsOn" type="text" value="2027-02-22"/)
    assert.match(term.body, /id="endsOn" name="endsOn" type="text" value="2027-02-30"/)
    const closure = await school.post('/settings/closures', { date: '2027-13-01', reason: 'Polling station' })
    assert.equal(closure.statusCode, 400)
    assert.match(closure.body, /id="closure-date" name="date" type="text" value="2027-13-01"/)
    assert.match(closure.body, /id="closure-reason" name="reason" type="text" value="Polling station"/)
    assert.doesNotMatch(closure.body, /id="term-name" name="name" type="text" value="[^"]/, 'the other forms stay empty')
    const time = await school.post('/settings/start-of-day', { time: '8.50' })
    assert.equal(time.statusCode, 400)
    assert.match(time.body, /id="time" name="time" type="text" value="8.50"/)
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    const holiday = await admin.post('/settings/bank-holidays', { date: '27/12/2027', name: 'Christmas Day (substitute day)' })
    assert.equal(holiday.statusCode, 400)
    assert.match(holiday.body, /id="bh-name" name="name" type="text" value="Christmas Day \(substitute day\)"/)
  })

  it('two overlapping terms saved at the same moment (two administrators of the school): one is saved, the other is refused as overlapping', async () => {
    const first = await ctx.s.signIn('admin.brookside')
    const second = await ctx.s.signIn('admin.brookside')
    await first.get('/settings')
    await second.get('/settings')
    const brookside = (await ctx.s.t.db.selectFrom('agency').select('id').where('name', 'like', 'Brookside%').executeTakeFirstOrThrow()).id
    // a few rounds, each its own pair of overlapping weeks in a summer no term covers: each pair races afresh
    for (const [i, week] of ['2028-08-07', '2028-08-21', '2028-09-04', '2028-09-18', '2028-10-02'].entries()) {
      const day = (offset: number) => new Date(Date.parse(`${week}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10)
      const [a, b] = await Promise.all([
        first.post('/settings/terms', { name: `Race ${i} (first)`, startsOn: day(0), endsOn: day(4) }),
        second.post('/settings/terms', { name: `Race ${i} (second)`, startsOn: day(2), endsOn: day(6) }),
      ])
      assert.deepEqual([a.statusCode, b.statusCode].sort(), [303, 400], `round ${i}: one saved, one refused`)
      const refused = a.statusCode === 400 ? a : b
      assert.match(refused.body, /govuk-error-summary/)
      assert.match(refused.body, /The term overlaps another term/)
      const saved = await ctx.s.t.db.selectFrom('school_term').select('name').where('school_agency_id', '=', brookside).where('starts_on', '<=', day(6)).where('ends_on', '>=', day(0)).execute()
      assert.equal(saved.length, 1, `round ${i}: one term for those days, not two overlapping (${saved.map((s) => s.name).join(', ')})`)
    }
  })

  it('the same closure day saved twice at the same moment is recorded once; the other is told it is already recorded', async () => {
    const first = await ctx.s.signIn('admin.brookside')
    const second = await ctx.s.signIn('admin.brookside')
    await first.get('/settings')
    await second.get('/settings')
    for (const day of ['2028-01-10', '2028-01-17', '2028-01-24']) {
      const [a, b] = await Promise.all([first.post('/settings/closures', { date: day, reason: 'Heating failure' }), second.post('/settings/closures', { date: day, reason: 'Boiler broken' })])
      assert.deepEqual([a.statusCode, b.statusCode].sort(), [303, 400], day)
      assert.match((a.statusCode === 400 ? a : b).body, /The school is already recorded as closed on that day/)
      assert.equal((await ctx.s.t.db.selectFrom('school_closure').select('id').where('on_date', '=', day).where('reason', 'in', ['Heating failure', 'Boiler broken']).execute()).length, 1, day)
    }
  })

  it('the page\'s form key is each form\'s own: a term and a closure sent from one page are both saved; a term sent twice is one', async () => {
    const school = await ctx.s.signIn('admin.brookside')
    const page = await school.get('/settings')
    const key = /name="formKey" value="([^"]+)"/.exec(page.body)?.[1]
    assert.ok(key)
    const terms = async () => Number((await ctx.s.t.db.selectFrom('school_term').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const closures = async () => Number((await ctx.s.t.db.selectFrom('school_closure').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const [t0, c0] = [await terms(), await closures()]
    assert.equal((await school.post('/settings/closures', { formKey: key, date: '2027-02-15', reason: 'Staff training day' })).statusCode, 303)
    const term = { formKey: key, name: 'Summer 4', startsOn: '2027-08-02', endsOn: '2027-08-03' }
    assert.equal((await school.post('/settings/terms', term)).statusCode, 303)
    assert.equal((await school.post('/settings/terms', term)).statusCode, 303)
    assert.deepEqual([await terms(), await closures()], [t0 + 1, c0 + 1])
    // a key of any length the form may carry is never a server error (the stored key is a hash of it and the form)
    assert.equal((await school.post('/settings/closures', { formKey: 'k'.repeat(255), date: '2027-02-16', reason: 'Second training day' })).statusCode, 303)
  })

  it('a closure recorded by mistake can be removed (audited); the same day twice is refused; another school’s is not found', async () => {
    const school = await ctx.s.signIn('admin.brookside')
    await school.get('/settings')
    assert.equal((await school.post('/settings/closures', { date: '2027-03-08', reason: 'Typed the wrong day' })).statusCode, 303)
    const twice = await school.post('/settings/closures', { date: '2027-03-08', reason: 'Again' })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /The school is already recorded as closed on that day/)
    const brookside = (await ctx.s.t.db.selectFrom('agency').select('id').where('name', 'like', 'Brookside%').executeTakeFirstOrThrow()).id
    const closure = await ctx.s.t.db.selectFrom('school_closure').select('id').where('school_agency_id', '=', brookside).where('on_date', '=', '2027-03-08').executeTakeFirstOrThrow()
    const page = await school.get('/settings')
    assert.match(page.body, new RegExp(`action="/settings/closures/${closure.id}/remove"`))
    const other = await ctx.s.t.db.selectFrom('school_closure').select('id').where('school_agency_id', '!=', brookside).executeTakeFirstOrThrow()
    assert.equal((await school.post(`/settings/closures/${other.id}/remove`)).statusCode, 404, 'another school’s closure is not found')
    assert.equal((await school.post(`/settings/closures/${closure.id}/remove`)).statusCode, 303)
    assert.equal(await ctx.s.t.db.selectFrom('school_closure').select('id').where('id', '=', closure.id).executeTakeFirst(), undefined)
    assert.ok(await ctx.s.t.db.selectFrom('school_closure').select('id').where('id', '=', other.id).executeTakeFirst())
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'details']).where('action', '=', 'settings.closure.remove').orderBy('id').execute()
    assert.deepEqual(audit.map((a) => a.outcome), ['not_found', 'success'])
    assert.equal((audit[1]!.details as { date?: string }).date, '2027-03-08')
  })

  it('a term typed with the wrong year (2072 for 2027) never leaves school-day clocks without a due time', async () => {
    const school = await ctx.s.signIn('admin.brookside')
    await school.get('/settings')
    assert.equal((await school.post('/settings/terms', { name: 'Autumn 1 (typo)', startsOn: '2072-09-01', endsOn: '2072-10-22' })).statusCode, 303)
    const { loadCalendar, clockPort } = await import('../calendar/clocks.ts')
    const { addSchoolDays } = await import('../calendar/calendar.ts')
    const partnership = await ctx.s.t.db.selectFrom('partnership').select('id').executeTakeFirstOrThrow()
    const brookside = await ctx.s.t.db.selectFrom('agency').select('id').where('name', 'like', 'Brookside%').executeTakeFirstOrThrow()
    // the summer after the school's real terms: the years up to the mistyped term are dates not entered, not a
    // 45-year holiday — before, an Operation Encompass notice found no school day within a year (a 500) and a file
    // transfer's 5 school days could not be counted
    const at = new Date('2027-09-07T12:00:00Z')
    const next = await ctx.s.t.db.transaction().execute((trx) => clockPort.nextSchoolDayStart(trx, partnership.id, brookside.id, at))
    assert.equal(next.toISOString().slice(0, 10), '2027-09-08')
    const cal = await loadCalendar(ctx.s.t.db, partnership.id, [brookside.id])
    assert.equal(addSchoolDays(cal, brookside.id, at, 5).toISOString(), '2027-09-14T16:00:00.000Z')
  })

  it('a partnership admin adds and withdraws a concern category; the concern form offers only active ones', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    assert.equal((await admin.post('/settings/categories', { label: 'Young carer' })).statusCode, 303)
    assert.equal((await admin.post('/settings/categories/attendance/active', { active: 'no' })).statusCode, 303)
    const teacher = await ctx.s.signIn('teacher.brookside')
    const form = await teacher.get('/concerns/new')
    assert.match(form.body, /Young carer/)
    assert.doesNotMatch(form.body, /value="attendance"/)
  })

  it('the last concern category offered cannot be withdrawn: a concern could no longer be recorded', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    const active = async () => (await ctx.s.t.db.selectFrom('concern_category').select('code').where('active', '=', true).orderBy('sort').execute()).map((c) => c.code)
    const codes = await active()
    assert.ok(codes.length > 1)
    for (const code of codes.slice(0, -1)) assert.equal((await admin.post(`/settings/categories/${code}/active`, { active: 'no' })).statusCode, 303)
    const last = await admin.post(`/settings/categories/${codes.at(-1)}/active`, { active: 'no' })
    assert.equal(last.statusCode, 400)
    assert.match(last.body, /Keep at least one concern category offered/)
    assert.deepEqual(await active(), codes.slice(-1))
    const teacher = await ctx.s.signIn('teacher.brookside')
    assert.match((await teacher.get('/concerns/new')).body, new RegExp(`value="${codes.at(-1)}"`))
    for (const code of codes.slice(0, -1)) assert.equal((await admin.post(`/settings/categories/${code}/active`, { active: 'yes' })).statusCode, 303)
  })
})

describeApp('a partnership administrator renames a concern category: its code stays, every page follows the new name', (ctx) => {
  const P = stableUuid('partnership:northshire')
  const brookside = stableUuid('northshire:agency:brookside')
  const db = () => ctx.s.t.db
  const label = async (code: string, partnershipId = P) => (await db().selectFrom('concern_category').select('label').where('partnership_id', '=', partnershipId).where('code', '=', code).executeTakeFirstOrThrow()).label
  const from = (body: string) => /name="from" value="([^"]*)"/.exec(body)?.[1]
  const renameAudit = () => db().selectFrom('audit_event').select(['outcome', 'entity_type', 'entity_id', 'details', 'actor_membership_id']).where('action', '=', 'settings.category.rename').orderBy('id').execute()
  let childId: string

  it('setup: a Brookside pupil has an entry under “Child-on-child abuse”, and the chronology names it so', async () => {
    childId = (await db().selectFrom('relationship').select('child_id').where('type', '=', 'pupil_at').where('holder_agency_id', '=', brookside).orderBy('child_id').executeTakeFirstOrThrow()).child_id
    const at = new Date(ctx.s.clock.now().getTime() - 86_400_000)
    await db()
      .insertInto('entry')
      .values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'incident', category: 'child_on_child', occurred_at: at, recorded_at: at, author_membership_id: null, author_team_id: null, source_agency_id: brookside, significance: 'medium', summary: 'Pushed in the playground by older pupils', visibility: 'team' })
      .execute()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/chronology`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<option value="child_on_child">Child-on-child abuse<\/option>/)
    assert.match(page.body, /\(Child-on-child abuse\)<br>Pushed in the playground/)
  })

  it('the “Change” link opens the name; saved, the chronology’s filter and rows use the new name at once, the code is kept, and the rename is audited', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    const settings = await admin.get('/settings')
    assert.match(settings.body, /href="\/settings\/categories\/child_on_child\/rename">Change<span class="govuk-visually-hidden"> the name of Child-on-child abuse<\/span>/)
    const form = await admin.get('/settings/categories/child_on_child/rename')
    assert.equal(form.statusCode, 200)
    assert.match(form.body, /id="label" name="label" type="text" value="Child-on-child abuse"/)
    assert.equal(from(form.body), 'Child-on-child abuse')
    assert.match(form.body, /name="formKey" value="[^"]+"/)
    const saved = await admin.post('/settings/categories/child_on_child/rename', { from: 'Child-on-child abuse', label: '  Peer-on-peer abuse  ' })
    assert.equal(saved.statusCode, 303)
    assert.equal(saved.headers.location, '/settings?done=category#categories')
    assert.equal(await label('child_on_child'), 'Peer-on-peer abuse', 'trimmed, and the same code')
    assert.match((await admin.get('/settings?done=category')).body, /names the category by its new name[\s\S]*>Peer-on-peer abuse <a class="govuk-link" href="\/settings\/categories\/child_on_child\/rename"/)

    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/chronology`)
    assert.match(page.body, /<option value="child_on_child">Peer-on-peer abuse<\/option>/)
    assert.match(page.body, /\(Peer-on-peer abuse\)<br>Pushed in the playground/)
    assert.doesNotMatch(page.body, /Child-on-child abuse/)
    const filtered = await dsl.get(`/children/${childId}/chronology?category=child_on_child`)
    assert.match(filtered.body, /<option value="child_on_child" selected>Peer-on-peer abuse<\/option>/)

    const audit = await renameAudit()
    assert.equal(audit.length, 1)
    assert.deepEqual([audit[0]!.outcome, audit[0]!.entity_type, audit[0]!.entity_id, audit[0]!.actor_membership_id], ['success', 'concern_category', 'child_on_child', membershipOf('partnership.admin')])
    assert.deepEqual(audit[0]!.details, { code: 'child_on_child', from: 'Child-on-child abuse', to: 'Peer-on-peer abuse' })
  })

  it('an empty name, one too long and another category’s name (whatever its case) are refused at the field, in an error summary, the typed name kept and nothing saved', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings/categories/attendance/rename')
    const cases: [string, RegExp][] = [
      ['', /Enter the category’s name/],
      ['   ', /Enter the category’s name/],
      ['A'.repeat(101), /The category’s name must be 100 characters or fewer/],
      ['neglect', /There is already a category called “Neglect”: enter a different name/],
      [' DOMESTIC ABUSE ', /There is already a category called “Domestic abuse”: enter a different name/],
      ['peer-on-peer ABUSE', /There is already a category called “Peer-on-peer abuse”: enter a different name/],
      // punctuation does not make another name, and punctuation alone is none
      ['Neglect!!', /There is already a category called “Neglect”: enter a different name/],
      ['Peer on peer abuse', /There is already a category called “Peer-on-peer abuse”: enter a different name/],
      ['!!!', /Enter a category name that includes letters or numbers/],
    ]
    for (const [typed, message] of cases) {
      const res = await admin.post('/settings/categories/attendance/rename', { from: 'Attendance', label: typed })
      assert.equal(res.statusCode, 400, JSON.stringify(typed))
      assert.match(res.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#label">${message.source}`), JSON.stringify(typed))
      assert.match(res.body, new RegExp(`govuk-error-message[\\s\\S]*${message.source}`))
      assert.ok(res.body.includes(`id="label" name="label" type="text"${typed ? ` value="${typed}"` : ''}`), `the form keeps ${JSON.stringify(typed)}`)
      assert.equal(from(res.body), 'Attendance')
    }
    const twice = await admin.post('/settings/categories/attendance/rename', { from: 'Attendance', label: ['School attendance', 'Absence'] })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /The field “label” was sent more than once/)
    assert.equal(await label('attendance'), 'Attendance', 'nothing saved')
    // a change of case alone is this category's own name: saved
    assert.equal((await admin.post('/settings/categories/attendance/rename', { from: 'Attendance', label: 'ATTENDANCE' })).statusCode, 303)
    assert.equal(await label('attendance'), 'ATTENDANCE')
    // and a new category cannot take a renamed one's name (its code is another)
    const add = await admin.post('/settings/categories', { label: 'peer-on-peer abuse' })
    assert.equal(add.statusCode, 400)
    assert.match(add.body, /There is already a category called “Peer-on-peer abuse”/)
    assert.equal((await db().selectFrom('concern_category').select('code').where('partnership_id', '=', P).where('code', '=', 'peer_on_peer_abuse').execute()).length, 0)
    // but a renamed category's old name is free: a new category takes it, under a code of its own
    const missing = await label('missing')
    assert.equal((await admin.post('/settings/categories/missing/rename', { from: missing, label: 'Away from home' })).statusCode, 303)
    const again = await admin.post('/settings/categories', { label: 'Missing' })
    assert.equal(again.statusCode, 303, again.body.slice(0, 300))
    const rows = await db().selectFrom('concern_category').select(['code', 'label']).where('partnership_id', '=', P).where('code', 'like', 'missing%').orderBy('code').execute()
    assert.deepEqual(rows, [{ code: 'missing', label: 'Away from home' }, { code: 'missing_2', label: 'Missing' }])
  })

  it('a form opened before someone else renamed the category is not saved: the page says so and keeps the typed name; sent again, it is saved; the same form sent twice renames once', async () => {
    const first = await ctx.s.signIn('partnership.admin')
    const second = await ctx.s.signIn('partnership.admin')
    const opened = await first.get('/settings/categories/online_safety/rename')
    assert.equal(from(opened.body), 'Online safety')
    await second.get('/settings')
    assert.equal((await second.post('/settings/categories/online_safety/rename', { from: 'Online safety', label: 'Online harm' })).statusCode, 303)
    const stale = await first.post('/settings/categories/online_safety/rename', { from: 'Online safety', label: 'Online safety and harm' })
    assert.equal(stale.statusCode, 409)
    assert.match(stale.body, /Someone else renamed this category while you were editing/)
    assert.match(stale.body, /It is now called “Online harm”/)
    assert.ok(stale.body.includes('id="label" name="label" type="text" value="Online safety and harm"'), 'the typed name is kept')
    assert.equal(from(stale.body), 'Online harm', 'saving again renames from the current name')
    assert.equal(await label('online_safety'), 'Online harm', 'nothing of theirs overwritten')
    assert.equal((await first.post('/settings/categories/online_safety/rename', { from: 'Online harm', label: 'Online safety and harm' })).statusCode, 303)
    assert.equal(await label('online_safety'), 'Online safety and harm')
    assert.ok((await renameAudit()).some((a) => a.outcome === 'refused' && (a.details as { stale?: boolean; current?: string }).current === 'Online harm'), 'the stale form is audited as refused')

    const page = await first.get('/settings/categories/self_harm/rename')
    const key = /name="formKey" value="([^"]+)"/.exec(page.body)![1]!
    const before = (await renameAudit()).length
    const form = { formKey: key, from: 'Self-harm', label: 'Self-harm and self-injury' }
    assert.equal((await first.post('/settings/categories/self_harm/rename', form)).statusCode, 303)
    const again = await first.post('/settings/categories/self_harm/rename', form)
    assert.equal(again.statusCode, 303)
    assert.equal(again.headers.location, '/settings?done=category#categories')
    assert.equal(await label('self_harm'), 'Self-harm and self-injury')
    assert.equal((await renameAudit()).length, before + 1, 'one rename')
  })

  it('only the partnership administrator renames: an agency administrator and a teacher are refused, and nothing changes', async () => {
    for (const key of ['admin.brookside', 'admin.csc', 'teacher.brookside']) {
      const other = await ctx.s.signIn(key)
      await other.get('/')
      assert.equal((await other.get('/settings/categories/neglect/rename')).statusCode, 404, key)
      const res = await other.post('/settings/categories/neglect/rename', { from: 'Neglect', label: 'Neglect (renamed)' })
      assert.equal(res.statusCode, 404, key)
      assert.doesNotMatch((await other.get('/settings')).body, /categories\/neglect\/rename/, key)
    }
    assert.equal(await label('neglect'), 'Neglect')
    // and the data layer refuses them too, whatever route reaches it
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf('admin.brookside')).executeTakeFirstOrThrow()
    const actor: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
    await assert.rejects(ctx.s.data.forActor(actor).settings.renameCategory('neglect', 'Neglect (renamed)', 'Neglect'), /Only a partnership administrator/)
    assert.equal(await label('neglect'), 'Neglect')
  })

  it('another partnership’s category (or none) is not found, and is left as it was', async () => {
    const other = randomUUID()
    await db().insertInto('partnership').values({ id: other, partnership_id: other, name: 'Southshire', code: `south-${other.slice(0, 8)}`, created_at: new Date() }).execute()
    await db()
      .insertInto('concern_category')
      .values([
        { partnership_id: other, code: 'southshire_only', label: 'Southshire only', sort: 1 },
        { partnership_id: other, code: 'radicalisation', label: 'Radicalisation (Southshire)', sort: 2 },
      ])
      .execute()
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    for (const code of ['southshire_only', 'no_such_category', 'Not-A-Code']) {
      assert.equal((await admin.get(`/settings/categories/${code}/rename`)).statusCode, 404, code)
      assert.equal((await admin.post(`/settings/categories/${code}/rename`, { from: 'Southshire only', label: 'Taken over' })).statusCode, 404, code)
    }
    assert.equal(await label('southshire_only', other), 'Southshire only')
    // a code both partnerships have: the administrator renames their own partnership's category, never the other's
    const form = await admin.get('/settings/categories/radicalisation/rename')
    assert.equal(form.statusCode, 200)
    assert.equal(from(form.body), 'Radicalisation')
    assert.equal((await admin.post('/settings/categories/radicalisation/rename', { from: 'Radicalisation', label: 'Radicalisation and extremism' })).statusCode, 303)
    assert.equal(await label('radicalisation'), 'Radicalisation and extremism')
    assert.equal(await label('radicalisation', other), 'Radicalisation (Southshire)')
    assert.deepEqual((await renameAudit()).filter((a) => a.outcome === 'not_found').map((a) => a.entity_id), ['southshire_only', 'no_such_category'], 'the codes not found are audited as such (a malformed one never reaches the data)')
  })
})
