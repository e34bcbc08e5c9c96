import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { demoPractitioners, DEMO_PASSWORD } from '../../data/seed.ts'
import { totpAt } from '../../platform/auth/totp.ts'

const dsl = demoPractitioners().find((p) => p.key === 'dsl.brookside')!

describeApp('sign-in', (ctx) => {
  it('password then TOTP gives a session; the session id rotates at each step', async () => {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const r1 = await a.post('/sign-in', { email: dsl.email, password: DEMO_PASSWORD })
    assert.equal(r1.statusCode, 303)
    assert.equal(r1.headers.location, '/sign-in/mfa')
    const afterPassword = a.cookies.get('__Host-ta_session')
    assert.ok(afterPassword)
    // password alone gives no access
    const home = await a.get('/')
    assert.equal(home.statusCode, 302)
    assert.equal(home.headers.location, '/sign-in/mfa')
    await a.get('/sign-in/mfa')
    ctx.s.clock.advance(31_000)
    const r2 = await a.post('/sign-in/mfa', { code: await totpAt(dsl.totpSecret, ctx.s.clock.now()) })
    assert.equal(r2.statusCode, 303)
    assert.notEqual(a.cookies.get('__Host-ta_session'), afterPassword)
    const page = await a.get('/')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /My children/)
    assert.match(page.body, /Priya Shah/)
  })

  it('a TOTP code is single use', async () => {
    const code = await totpAt(dsl.totpSecret, ctx.s.clock.now())
    const a = ctx.s.agent()
    await a.get('/sign-in')
    await a.post('/sign-in', { email: dsl.email, password: DEMO_PASSWORD })
    await a.get('/sign-in/mfa')
    // the previous test spent the current step already (same clock): replay refused
    const r = await a.post('/sign-in/mfa', { code })
    assert.equal(r.statusCode, 401)
    assert.match(r.body, /already been used/)
  })

  it('known and unknown addresses get the same answer', async () => {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const known = await a.post('/sign-in', { email: dsl.email, password: 'wrong-password' })
    const unknown = await a.post('/sign-in', { email: 'nobody@northshire.example', password: 'wrong-password' })
    assert.equal(known.statusCode, 401)
    assert.equal(unknown.statusCode, 401)
    const strip = (s: string) => s.replace(/nonce="[^"]+"/g, '').replace(/value="[^"]*"/g, '')
    assert.equal(strip(known.body), strip(unknown.body))
  })

  it('a form without the CSRF token is refused', async () => {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const r = await a.post('/sign-in', { email: dsl.email, password: DEMO_PASSWORD }, { csrf: false })
    assert.equal(r.statusCode, 403)
  })

  it('bad input shows an error summary and keeps what was typed', async () => {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const r = await a.post('/sign-in', { email: 'not-an-email', password: '' })
    assert.equal(r.statusCode, 400)
    assert.match(r.body, /govuk-error-summary/)
    assert.match(r.body, /value="not-an-email"/)
  })

  it('idle for 30 minutes ends the session', async () => {
    const a = await ctx.s.signIn('teacher.brookside')
    assert.equal((await a.get('/')).statusCode, 200)
    ctx.s.clock.advance(31 * 60_000)
    const r = await a.get('/')
    assert.equal(r.statusCode, 302)
    assert.equal(r.headers.location, '/sign-in')
  })

  it('a second enrolment begun before the first finished cannot replace the authenticator set up meanwhile', async () => {
    const db = ctx.s.t.db
    const who = demoPractitioners().find((p) => p.key === 'teacher2.brookside')!
    // not yet enrolled (as after an administrator's reset)
    await db.updateTable('practitioner').set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null }).where('email', '=', who.email).execute()
    const enrolling = async () => {
      const a = ctx.s.agent()
      await a.get('/sign-in')
      assert.equal((await a.post('/sign-in', { email: who.email, password: DEMO_PASSWORD })).headers.location, '/sign-in/mfa/enrol')
      const page = await a.get('/sign-in/mfa/enrol')
      return { a, secret: /id="secret">([^<]+)</.exec(page.body)![1]!.replace(/\s+/g, '') }
    }
    // the practitioner, and someone else who has the (temporary) password, both reach the enrolment page
    const mine = await enrolling()
    const other = await enrolling()
    assert.notEqual(mine.secret, other.secret)
    ctx.s.clock.advance(31_000)
    assert.equal((await mine.a.post('/sign-in/mfa/enrol', { code: await totpAt(mine.secret, ctx.s.clock.now()) })).statusCode, 303)
    ctx.s.clock.advance(31_000)
    const late = await other.a.post('/sign-in/mfa/enrol', { code: await totpAt(other.secret, ctx.s.clock.now()) })
    assert.equal(late.statusCode, 401)
    assert.equal((await other.a.get('/')).statusCode, 302)
    const row = await db.selectFrom('practitioner').select('totp_secret').where('email', '=', who.email).executeTakeFirstOrThrow()
    assert.equal(row.totp_secret, mine.secret)
  })
})

describeApp('sign-in throttling (the default limit)', (ctx) => {
  it('repeated attempts on one address are throttled (429) with the same page for known and unknown addresses', async () => {
    const { startTestApp } = await import('../../../test/support/app.ts')
    const s = await startTestApp(ctx.s.t.engine, { config: { signInRateLimit: 5 } })
    try {
      const a = s.agent()
      await a.get('/sign-in')
      const codes: number[] = []
      for (let i = 0; i < 7; i++) codes.push((await a.post('/sign-in', { email: 'nobody@northshire.example', password: 'x' })).statusCode)
      assert.deepEqual(codes.slice(0, 5), [401, 401, 401, 401, 401])
      assert.equal(codes[6], 429)
      // another address from the same machine is not blocked by the first one's limit
      assert.equal((await a.post('/sign-in', { email: dsl.email, password: 'wrong' })).statusCode, 401)
    } finally {
      await s.close()
    }
  })

  it('wrong authenticator codes are counted per practitioner: a made-up field or a fresh sign-in does not start a new count', async () => {
    const { startTestApp } = await import('../../../test/support/app.ts')
    const s = await startTestApp(ctx.s.t.engine, { config: { signInRateLimit: 5 } })
    try {
      const now = s.clock.now().getTime()
      const near = await Promise.all([-30_000, 0, 30_000].map((d) => totpAt(dsl.totpSecret, new Date(now + d))))
      const wrong = ['000000', '111111', '222222', '333333'].find((c) => !near.includes(c))!
      const a = s.agent()
      await a.get('/sign-in')
      assert.equal((await a.post('/sign-in', { email: dsl.email, password: DEMO_PASSWORD })).statusCode, 303)
      await a.get('/sign-in/mfa')
      const codes: number[] = []
      // an `email` field sent with the code once chose the count the attempt went to
      for (let i = 0; i < 7; i++) codes.push((await a.post('/sign-in/mfa', { code: wrong, email: `guess${i}@northshire.example` })).statusCode)
      assert.deepEqual(codes.slice(0, 5), [401, 401, 401, 401, 401])
      assert.equal(codes[6], 429)
      // a new session from the password carries on the same count
      const b = s.agent()
      await b.get('/sign-in')
      assert.equal((await b.post('/sign-in', { email: dsl.email, password: DEMO_PASSWORD })).statusCode, 303)
      await b.get('/sign-in/mfa')
      assert.equal((await b.post('/sign-in/mfa', { code: wrong })).statusCode, 429)
    } finally {
      await s.close()
    }
  })

  it('five wrong passwords lock the account for 15 minutes, even with the right password', async () => {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const nurse = demoPractitioners().find((p) => p.key === 'nurse')!
    for (let i = 0; i < 5; i++) await a.post('/sign-in', { email: nurse.email, password: 'wrong' })
    assert.equal((await a.post('/sign-in', { email: nurse.email, password: DEMO_PASSWORD })).statusCode, 401)
    ctx.s.clock.advanceMinutes(16)
    assert.equal((await a.post('/sign-in', { email: nurse.email, password: DEMO_PASSWORD })).statusCode, 303)
  })
})
