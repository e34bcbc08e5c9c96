import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { pupilOf } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
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

  it('a right code whose session ended, or whose authenticator was reset, while it was checked signs nobody in and changes nothing', async () => {
    const db = ctx.s.t.db
    const who = demoPractitioners().find((p) => p.key === 'teacher.brookside')!
    /** A session waiting at the code, as the server loaded it when the request began. */
    const waiting = async () => {
      const a = ctx.s.agent()
      await a.get('/sign-in')
      assert.equal((await a.post('/sign-in', { email: who.email, password: DEMO_PASSWORD })).headers.location, '/sign-in/mfa')
      const session = await ctx.s.data.auth.loadSession(a.cookies.get('__Host-ta_session')!)
      assert.equal(session?.state, 'mfa_challenge')
      return session!
    }
    const active = async () => (await db.selectFrom('session as s').innerJoin('practitioner as p', 'p.id', 's.practitioner_id').select('s.id_hash').where('p.email', '=', who.email).where('s.state', '=', 'active').where('s.ended_at', 'is', null).execute()).length
    const before = await active()
    const step = async () => {
      ctx.s.clock.advance(31_000)
      return Math.floor(ctx.s.clock.now().getTime() / 30_000)
    }
    // 1. an administrator resets the authenticator (the secret cleared, every session ended) while the code is checked
    const s1 = await waiting()
    await db.updateTable('session').set({ ended_at: ctx.s.clock.now(), end_reason: 'mfa-reset' }).where('id_hash', '=', s1.idHash).execute()
    const secret = (await db.selectFrom('practitioner').select('totp_secret').where('email', '=', who.email).executeTakeFirstOrThrow()).totp_secret
    await db.updateTable('practitioner').set({ totp_secret: null }).where('email', '=', who.email).execute()
    assert.equal(await ctx.s.data.auth.completeMfa(s1, await step(), null, 'test'), null)
    await db.updateTable('practitioner').set({ totp_secret: secret }).where('email', '=', who.email).execute()
    // 2. the session alone ended (signed out) meanwhile: not brought back, and its end's reason kept
    const s2 = await waiting()
    await db.updateTable('session').set({ ended_at: ctx.s.clock.now(), end_reason: 'signed-out' }).where('id_hash', '=', s2.idHash).execute()
    const lastStep = (await db.selectFrom('practitioner').select('totp_last_step').where('email', '=', who.email).executeTakeFirstOrThrow()).totp_last_step
    assert.equal(await ctx.s.data.auth.completeMfa(s2, await step(), null, 'test'), null)
    assert.equal((await db.selectFrom('session').select('end_reason').where('id_hash', '=', s2.idHash).executeTakeFirstOrThrow()).end_reason, 'signed-out')
    assert.equal((await db.selectFrom('practitioner').select('totp_last_step').where('email', '=', who.email).executeTakeFirstOrThrow()).totp_last_step, lastStep, 'the step is not spent: nothing changed')
    // 3. the authenticator replaced meanwhile (the session still open): the code was checked against the old one
    const s3 = await waiting()
    await db.updateTable('practitioner').set({ totp_secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }).where('email', '=', who.email).execute()
    assert.equal(await ctx.s.data.auth.completeMfa(s3, await step(), null, 'test'), null)
    await db.updateTable('practitioner').set({ totp_secret: secret }).where('email', '=', who.email).execute()
    assert.equal(await active(), before, 'no session signed in')
    // and with nothing changed meanwhile, the same call signs in
    const s4 = await waiting()
    assert.ok(await ctx.s.data.auth.completeMfa(s4, await step(), null, 'test'))
    assert.equal(await active(), before + 1)
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
    // below the account's lockout (five wrong codes), which would end the session first
    const s = await startTestApp(ctx.s.t.engine, { config: { signInRateLimit: 3 } })
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
      for (let i = 0; i < 5; i++) codes.push((await a.post('/sign-in/mfa', { code: wrong, email: `guess${i}@northshire.example` })).statusCode)
      assert.deepEqual(codes.slice(0, 3), [401, 401, 401])
      assert.equal(codes[4], 429)
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

describeApp('second-factor lockout (consecutive wrong codes, counted on the account)', (ctx) => {
  const person = (key: string) => demoPractitioners().find((p) => p.key === key)!
  const db = () => ctx.s.t.db
  /** A six-digit code no step near now accepts. */
  async function wrongCode(key: string): Promise<string> {
    const now = ctx.s.clock.now().getTime()
    const near = await Promise.all([-60_000, -30_000, 0, 30_000, 60_000].map((d) => totpAt(person(key).totpSecret, new Date(now + d))))
    return ['000000', '111111', '222222', '333333', '444444'].find((c) => !near.includes(c))!
  }
  async function rightCode(key: string): Promise<string> {
    ctx.s.clock.advance(31_000)
    return totpAt(person(key).totpSecret, ctx.s.clock.now())
  }
  /** Past the password, at the code. */
  async function atCode(key: string) {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const r = await a.post('/sign-in', { email: person(key).email, password: DEMO_PASSWORD })
    assert.equal(r.statusCode, 303, `${key}: the password is accepted`)
    assert.equal(r.headers.location, '/sign-in/mfa')
    await a.get('/sign-in/mfa')
    return a
  }
  const account = async (key: string) =>
    db().selectFrom('practitioner').select(['id', 'failed_second_factors', 'locked_until']).where('email', '=', person(key).email).executeTakeFirstOrThrow()
  const audits = async (key: string, actions: string[]) =>
    db()
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'details'])
      .where('actor_practitioner_id', '=', (await account(key)).id)
      .where('action', 'in', actions)
      .orderBy('id')
      .execute()
  const strip = (s: string) => s.replace(/nonce="[^"]+"/g, '').replace(/value="[^"]*"/g, '')

  it('five wrong codes — across fresh sign-ins with the password — lock the account and end the session, audited; a right code from a session opened before the lock is refused', async () => {
    const key = 'hv'
    const early = await atCode(key) // opened before the lock, never used until after it
    const a = await atCode(key)
    for (let i = 0; i < 3; i++) {
      const r = await a.post('/sign-in/mfa', { code: await wrongCode(key) })
      assert.equal(r.statusCode, 401)
      assert.match(r.body, /The code is not right/)
    }
    assert.equal((await account(key)).failed_second_factors, 3)
    // signing in again with the password does not start a new count
    const b = await atCode(key)
    assert.equal((await b.post('/sign-in/mfa', { code: await wrongCode(key) })).statusCode, 401)
    // a replayed code counts as wrong: the code that signed someone in moments ago cannot be used again
    const spent = await rightCode(key)
    const other = await atCode(key)
    assert.equal((await other.post('/sign-in/mfa', { code: spent })).statusCode, 303)
    assert.equal((await account(key)).failed_second_factors, 0, 'a second factor that succeeds resets the count')
    for (let i = 0; i < 4; i++) assert.equal((await b.post('/sign-in/mfa', { code: i === 0 ? spent : await wrongCode(key) })).statusCode, 401)
    assert.equal((await account(key)).failed_second_factors, 4)
    // the fifth: locked, the session ended, back to the sign-in page with the password step's own answer
    const locked = await b.post('/sign-in/mfa', { code: await wrongCode(key) })
    assert.equal(locked.statusCode, 401)
    assert.ok(!b.cookies.has('__Host-ta_session'), 'the session cookie is cleared')
    assert.match(locked.body, /The email address or password is not right, or the account cannot sign in at the moment/)
    const again = ctx.s.agent()
    await again.get('/sign-in')
    const refusedPassword = await again.post('/sign-in', { email: 'nobody@northshire.example', password: 'x' })
    assert.equal(strip(locked.body), strip(refusedPassword.body), 'the same page as any refused sign-in: nothing says the account is locked')
    const row = await account(key)
    assert.equal(row.failed_second_factors, 5)
    assert.equal(row.locked_until?.getTime(), ctx.s.clock.now().getTime() + 15 * 60_000)
    // the ended session, and the one opened before the lock, cannot go on — not even with the right code
    const late = await early.post('/sign-in/mfa', { code: await rightCode(key) })
    assert.equal(late.statusCode, 403, 'refused: the form was bound to a session that has ended')
    assert.equal((await early.get('/')).headers.location, '/sign-in')
    assert.equal((await b.get('/sign-in/mfa')).headers.location, '/sign-in')
    // nor the password while the lock lasts — and a wrong password then does not lift it
    const c = ctx.s.agent()
    await c.get('/sign-in')
    assert.equal((await c.post('/sign-in', { email: person(key).email, password: 'wrong' })).statusCode, 401)
    assert.equal((await c.post('/sign-in', { email: person(key).email, password: DEMO_PASSWORD })).statusCode, 401)
    // audited: each failure with its count, the lock, the end of the sessions
    const rows = await audits(key, ['auth.mfa', 'auth.lockout', 'auth.session-end'])
    const failures = rows.filter((r) => r.action === 'auth.mfa')
    assert.deepEqual(failures.map((r) => (r.details as { consecutiveFailures: number }).consecutiveFailures), [1, 2, 3, 4, 1, 2, 3, 4, 5])
    assert.ok(failures.every((r) => r.outcome === 'failure'))
    assert.match((failures[4]!.details as { reason: string }).reason, /already used/)
    const lock = rows.filter((r) => r.action === 'auth.lockout')
    assert.equal(lock.length, 1)
    assert.deepEqual({ ...(lock[0]!.details as object), until: undefined }, { factor: 'totp', consecutiveFailures: 5, minutes: 15, until: undefined })
    const ended = rows.filter((r) => r.action === 'auth.session-end')
    assert.equal(ended.length, 1)
    // the guessing session and the two others still at the code (the one that succeeded is active: left alone)
    assert.deepEqual(ended[0]!.details, { reason: 'account locked', sessionsEnded: 3 })
    assert.equal(rows.at(-1)!.action, 'auth.session-end')
    const sessions = await db().selectFrom('session').select('end_reason').where('practitioner_id', '=', row.id).where('end_reason', '=', 'locked').execute()
    assert.equal(sessions.length, 3)
    assert.equal((await other.get('/')).statusCode, 200)
  })

  it('the lock expires with the clock: then the password and a right code sign in, and the count starts again', async () => {
    const key = 'hv'
    ctx.s.clock.advanceMinutes(16)
    const a = await atCode(key)
    const r = await a.post('/sign-in/mfa', { code: await rightCode(key) })
    assert.equal(r.statusCode, 303)
    assert.equal(r.headers.location, '/')
    assert.equal((await a.get('/')).statusCode, 200)
    assert.equal((await account(key)).failed_second_factors, 0)
  })

  it('four wrong codes then a right one reset the count: four more do not lock', async () => {
    const key = 'gp'
    const a = await atCode(key)
    for (let i = 0; i < 4; i++) assert.equal((await a.post('/sign-in/mfa', { code: await wrongCode(key) })).statusCode, 401)
    assert.equal((await a.post('/sign-in/mfa', { code: await rightCode(key) })).statusCode, 303)
    const b = await atCode(key)
    for (let i = 0; i < 4; i++) assert.equal((await b.post('/sign-in/mfa', { code: await wrongCode(key) })).statusCode, 401)
    assert.equal((await account(key)).failed_second_factors, 4)
    assert.equal((await account(key)).locked_until, null)
    assert.equal((await b.post('/sign-in/mfa', { code: await rightCode(key) })).statusCode, 303)
    assert.equal((await b.get('/')).statusCode, 200)
    assert.equal((await audits(key, ['auth.lockout'])).length, 0)
  })

  it('two wrong codes at once both count', async () => {
    const key = 'senco.academy'
    const [a, b] = [await atCode(key), await atCode(key)]
    const code = await wrongCode(key)
    const rs = await Promise.all([a.post('/sign-in/mfa', { code }), b.post('/sign-in/mfa', { code })])
    assert.deepEqual(rs.map((r) => r.statusCode), [401, 401])
    assert.equal((await account(key)).failed_second_factors, 2)
  })

  it('an account locked by wrong passwords while a session waits at the code: the right code is refused and the session ends', async () => {
    const key = 'pastoral.stannes'
    const a = await atCode(key)
    const someone = ctx.s.agent()
    await someone.get('/sign-in')
    for (let i = 0; i < 5; i++) await someone.post('/sign-in', { email: person(key).email, password: 'wrong' })
    const r = await a.post('/sign-in/mfa', { code: await rightCode(key) })
    assert.equal(r.statusCode, 401)
    assert.match(r.body, /the account cannot sign in at the moment/)
    assert.equal((await a.get('/')).headers.location, '/sign-in')
    const ended = await audits(key, ['auth.session-end'])
    assert.equal(ended.length, 1)
  })

  it('wrong codes at enrolment count too', async () => {
    const who = person('deputy.academy')
    await db().updateTable('practitioner').set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null }).where('email', '=', who.email).execute()
    const a = ctx.s.agent()
    await a.get('/sign-in')
    assert.equal((await a.post('/sign-in', { email: who.email, password: DEMO_PASSWORD })).headers.location, '/sign-in/mfa/enrol')
    const page = await a.get('/sign-in/mfa/enrol')
    const secret = /id="secret">([^<]+)</.exec(page.body)![1]!.replace(/\s+/g, '')
    const now = ctx.s.clock.now().getTime()
    const near = await Promise.all([-60_000, -30_000, 0, 30_000, 60_000].map((d) => totpAt(secret, new Date(now + d))))
    const wrong = ['000000', '111111', '222222', '333333', '444444'].find((c) => !near.includes(c))!
    for (let i = 0; i < 4; i++) assert.equal((await a.post('/sign-in/mfa/enrol', { code: wrong })).statusCode, 401)
    const r = await a.post('/sign-in/mfa/enrol', { code: wrong })
    assert.equal(r.statusCode, 401)
    assert.match(r.body, /the account cannot sign in at the moment/)
    assert.equal((await a.get('/sign-in/mfa/enrol')).headers.location, '/sign-in')
    const rows = await audits('deputy.academy', ['auth.mfa-enrol', 'auth.lockout', 'auth.session-end'])
    assert.deepEqual(rows.map((x) => `${x.action}:${x.outcome}`), [...Array(5).fill('auth.mfa-enrol:failure'), 'auth.lockout:success', 'auth.session-end:success'])
  })

  it('wrong codes asked again for emergency access count too', async () => {
    const key = 'sw.north'
    const a = await ctx.s.signIn(key)
    const child = await db().selectFrom('child').select('nhs_number').where('nhs_number', 'is not', null).limit(1).executeTakeFirstOrThrow()
    await a.get('/access/emergency')
    const form = async () => ({ nhsNumber: child.nhs_number!, reason: 'Child presented at hospital with injuries, out of hours', code: await wrongCode(key) })
    for (let i = 0; i < 4; i++) {
      const r = await a.post('/access/emergency', await form())
      assert.equal(r.statusCode, 400)
      assert.match(r.body, /The code is not right/)
    }
    const r = await a.post('/access/emergency', await form())
    assert.equal(r.statusCode, 401)
    assert.match(r.body, /the account cannot sign in at the moment/)
    assert.equal((await a.get('/')).headers.location, '/sign-in')
    assert.equal((await audits(key, ['auth.lockout'])).length, 1)
  })

  it('wrong codes asked again to add a passkey count too: the fifth locks the account and ends the signed-in session', async () => {
    const key = 'teacher.academy'
    const a = await ctx.s.signIn(key)
    await a.get('/account/passkeys')
    for (let i = 0; i < 4; i++) {
      const r = await a.post('/account/passkeys', { name: 'Laptop', code: await wrongCode(key), response: '{}' })
      assert.equal(r.statusCode, 401)
      assert.match(r.body, /The code is not right/)
    }
    const r = await a.post('/account/passkeys', { name: 'Laptop', code: await wrongCode(key), response: '{}' })
    assert.equal(r.statusCode, 401)
    assert.match(r.body, /the account cannot sign in at the moment/)
    assert.equal((await a.get('/')).headers.location, '/sign-in')
    const rows = await audits(key, ['auth.passkey-enrol', 'auth.lockout', 'auth.session-end'])
    assert.deepEqual(rows.map((x) => `${x.action}:${x.outcome}`), [...Array(5).fill('auth.passkey-enrol:failure'), 'auth.lockout:success', 'auth.session-end:success'])
  })

  it('twenty wrong codes in a row suspend the account until an administrator enables it: every session ends and its administrators are told', async () => {
    const key = 'sw2.north'
    const working = await ctx.s.signIn(key) // signed in before the guessing starts (the count is 0)
    assert.equal((await working.get('/')).statusCode, 200)
    const first = await atCode(key)
    for (let i = 0; i < 5; i++) assert.equal((await first.post('/sign-in/mfa', { code: await wrongCode(key) })).statusCode, 401)
    // after the first lock, one code for each lockout period: each wrong one locks the account again
    for (let n = 6; n < 20; n++) {
      ctx.s.clock.advanceMinutes(16)
      // the signed-in session goes on working meanwhile (a lock leaves it alone; used, it does not go idle)
      assert.equal((await working.get('/')).statusCode, 200)
      assert.equal((await (await atCode(key)).post('/sign-in/mfa', { code: await wrongCode(key) })).statusCode, 401)
    }
    const account19 = await db().selectFrom('practitioner').select(['failed_second_factors', 'disabled_at']).where('email', '=', person(key).email).executeTakeFirstOrThrow()
    assert.deepEqual(account19, { failed_second_factors: 19, disabled_at: null }, 'nineteen: locked, not suspended')
    ctx.s.clock.advanceMinutes(16)
    assert.equal((await working.get('/')).statusCode, 200, 'a lock leaves a signed-in session alone')
    const last = await atCode(key)
    const r = await last.post('/sign-in/mfa', { code: await wrongCode(key) })
    assert.equal(r.statusCode, 401)
    assert.match(r.body, /the account cannot sign in at the moment/)
    const row = await db().selectFrom('practitioner').select(['id', 'failed_second_factors', 'disabled_at']).where('email', '=', person(key).email).executeTakeFirstOrThrow()
    assert.equal(row.failed_second_factors, 20)
    assert.equal(row.disabled_at?.getTime(), ctx.s.clock.now().getTime(), 'suspended: the account is disabled')
    // every session ends, the signed-in one too: whoever guessed has the password
    assert.equal((await working.get('/')).headers.location, '/sign-in')
    const suspend = await audits(key, ['auth.suspend'])
    assert.equal(suspend.length, 1)
    assert.deepEqual(suspend[0]!.details, { factor: 'totp', consecutiveFailures: 20, reason: 'consecutive wrong second-factor codes' })
    const ended = (await audits(key, ['auth.session-end'])).at(-1)!
    assert.deepEqual(ended.details, { reason: 'account suspended', sessionsEnded: 2 })
    // the lock's time passes: the right password and the right code still cannot sign in
    ctx.s.clock.advanceMinutes(16)
    const tryAgain = ctx.s.agent()
    await tryAgain.get('/sign-in')
    assert.equal((await tryAgain.post('/sign-in', { email: person(key).email, password: DEMO_PASSWORD })).statusCode, 401)
    // told: the agency's administrator (the practitioner's own agency) and the partnership's; not another agency's
    const told = await db()
      .selectFrom('notification as n')
      .innerJoin('membership as m', 'm.id', 'n.membership_id')
      .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .select(['p.email', 'n.link'])
      .where('n.kind', '=', 'account.suspended')
      .orderBy('p.email')
      .execute()
    assert.deepEqual(told, [person('admin.csc'), person('partnership.admin')].map((p) => ({ email: p.email, link: `/admin/practitioners/${row.id}` })).sort((x, y) => x.email.localeCompare(y.email)))
    // the administrator enables the account: the counts start again, and the right code signs in
    const admin = await ctx.s.signIn('admin.csc')
    const inbox = await admin.get('/notifications')
    assert.match(inbox.body, /An account has been suspended after repeated wrong sign-in codes/)
    const item = /action="\/notifications\/([0-9a-f-]+)\/open"/.exec(inbox.body)![1]!
    const opened = await admin.post(`/notifications/${item}/open`, {})
    assert.equal(opened.headers.location, `/admin/practitioners/${row.id}`, 'the notification opens the account, where it can be enabled')
    const page = await admin.get(`/admin/practitioners/${row.id}`)
    assert.equal(page.statusCode, 200)
    assert.equal((await admin.post(`/admin/practitioners/${row.id}/enable`, { reason: 'Spoke to Aisha: her phone was replaced; codes were from the old one.' })).statusCode, 303)
    const back = await atCode(key)
    assert.equal((await back.post('/sign-in/mfa', { code: await rightCode(key) })).statusCode, 303)
    assert.equal((await db().selectFrom('practitioner').select('failed_second_factors').where('id', '=', row.id).executeTakeFirstOrThrow()).failed_second_factors, 0)
  })

  it('a suspension that takes a school’s last safeguarding lead out of post tells whoever now stands in for its undecided concerns (the front door), nobody else', async () => {
    const membershipOf = (key: string) => stableUuid(`northshire:membership:${key}:0`)
    await db().updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', membershipOf('deputy.academy')).execute()
    ctx.s.clock.advance(60_000)
    // a concern of the academy's, not routed away: its DSL's
    const childId = await pupilOf(db(), 'academy', 6)
    const raiser = await ctx.s.signIn('senco.academy')
    const idempotencyKey = randomUUID()
    assert.equal((await raiser.post('/concerns', { idempotencyKey, children: [childId], category: 'neglect', seenOrHeard: 'Asleep in lessons all week.', occurredDate: '2026-11-20', immediateDanger: 'no' })).statusCode, 303)
    const k = await db().selectFrom('concern').select(['id', 'routed_to']).where('idempotency_key', '=', idempotencyKey).executeTakeFirstOrThrow()
    assert.deepEqual(k.routed_to, [])
    // the DSL's twentieth wrong code in a row suspends the account
    await db().updateTable('practitioner').set({ failed_second_factors: 19 }).where('email', '=', person('dsl.academy').email).execute()
    ctx.s.clock.advanceMinutes(16)
    assert.equal((await (await atCode('dsl.academy')).post('/sign-in/mfa', { code: await wrongCode('dsl.academy') })).statusCode, 401)
    assert.ok((await db().selectFrom('practitioner').select('disabled_at').where('email', '=', person('dsl.academy').email).executeTakeFirstOrThrow()).disabled_at, 'suspended')
    const told = (await db().selectFrom('notification').select('membership_id').where('kind', '=', 'concern.stand-in').where('subject_id', '=', k.id).execute()).map((n) => n.membership_id)
    assert.ok(told.includes(membershipOf('frontdoor')) && told.includes(membershipOf('frontdoor2')), 'the front door’s workers are told')
    const frontDoorTeam = (await db().selectFrom('membership').select('team_id').where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()).team_id
    const frontDoorMembers = (await db().selectFrom('membership').select('id').where('team_id', '=', frontDoorTeam).execute()).map((m) => m.id)
    assert.ok(told.every((m) => frontDoorMembers.includes(m)), 'nobody else')
    const mail = await db().selectFrom('outbox').select(['body']).where('to_address', '=', person('frontdoor').email).where('body', 'like', '%waiting for you to decide it%').execute()
    assert.equal(mail.length, 1, 'one email, saying only that there is something to look at')
  })
})
