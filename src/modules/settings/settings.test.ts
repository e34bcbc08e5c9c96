import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'

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
