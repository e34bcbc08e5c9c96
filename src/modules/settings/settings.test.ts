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
})
