import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { stableUuid } from '../../data/ids.ts'
import { describeApp } from '../../../test/support/app.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { SoftPasskey } from '../../../test/support/webauthn.ts'
import { demoPractitioners, DEMO_PASSWORD } from '../../data/seed.ts'
import { totpAt } from '../../platform/auth/totp.ts'

const people = demoPractitioners()
const person = (key: string) => people.find((p) => p.key === key)!

describeApp('passkeys', (ctx) => {
  async function password(key: string): Promise<Agent> {
    const a = ctx.s.agent()
    await a.get('/sign-in')
    const r = await a.post('/sign-in', { email: person(key).email, password: DEMO_PASSWORD })
    assert.equal(r.statusCode, 303)
    await a.get('/sign-in/mfa')
    return a
  }
  async function code(key: string): Promise<string> {
    ctx.s.clock.advance(31_000)
    return totpAt(person(key).totpSecret, ctx.s.clock.now())
  }
  async function options(a: Agent, url: string) {
    const r = await a.postJson(url, {})
    assert.equal(r.statusCode, 200, r.body)
    return JSON.parse(r.body) as { challenge: string; rp?: { id: string }; rpId?: string; allowCredentials?: { id: string }[] }
  }
  const practitionerId = async (key: string) =>
    (await ctx.s.t.db.selectFrom('practitioner').select('id').where('email', '=', person(key).email).executeTakeFirstOrThrow()).id
  const audits = async (key: string, action: string) =>
    ctx.s.t.db
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'details', 'entity_id'])
      .where('actor_practitioner_id', '=', await practitionerId(key))
      .where('action', '=', action)
      .orderBy('id')
      .execute()
  /** Password and TOTP for a role that requires a passkey and has none: enrols one, as signIn does. */
  async function enrolAtSignIn(key: string): Promise<{ agent: Agent; passkey: SoftPasskey }> {
    const a = await password(key)
    const r = await a.post('/sign-in/mfa', { code: await code(key) })
    assert.equal(r.statusCode, 303)
    assert.equal(r.headers.location, '/sign-in/passkey/enrol')
    const passkey = new SoftPasskey()
    await a.get('/sign-in/passkey/enrol')
    const o = await options(a, '/sign-in/passkey/enrol/options')
    const done = await a.post('/sign-in/passkey/enrol', { name: 'Office laptop', response: passkey.register(o, ctx.s.origin) })
    assert.equal(done.statusCode, 303, done.body.slice(0, 400))
    // later ctx.s.signIn(key) calls sign in with it
    ctx.s.passkeys.set(key, passkey)
    return { agent: a, passkey }
  }

  it('an information-governance officer without a passkey must add one after the code, before anything else (audited)', async () => {
    const a = await password('ig2')
    const mfa = await a.get('/sign-in/mfa')
    assert.match(mfa.body, /after this code you will be asked to add one/)
    const r = await a.post('/sign-in/mfa', { code: await code('ig2') })
    assert.equal(r.headers.location, '/sign-in/passkey/enrol')
    // nothing else until the passkey is added: every page sends back to the enrolment
    for (const url of ['/', '/settings', '/account/passkeys']) {
      const page = await a.get(url)
      assert.equal(page.statusCode, 302, url)
      assert.equal(page.headers.location, '/sign-in/passkey/enrol')
    }
    const enrol = await a.get('/sign-in/passkey/enrol')
    assert.equal(enrol.statusCode, 200)
    assert.match(enrol.body, /browser with JavaScript/)
    assert.match(enrol.body, /src="\/public\/passkeys.js" nonce="/)
    // a name is needed
    const passkey = new SoftPasskey()
    const o1 = await options(a, '/sign-in/passkey/enrol/options')
    assert.equal(o1.rp?.id, 'localhost')
    const noName = await a.post('/sign-in/passkey/enrol', { name: ' ', response: passkey.register(o1, ctx.s.origin) })
    assert.equal(noName.statusCode, 400)
    assert.match(noName.body, /govuk-error-summary/)
    assert.match(noName.body, /Enter a name for the passkey/)
    // a registration signed for another origin (a look-alike site) is refused
    const o2 = await options(a, '/sign-in/passkey/enrol/options')
    const phished = await a.post('/sign-in/passkey/enrol', { name: 'Laptop', response: passkey.register(o2, 'https://teamaround.example-login.com') })
    assert.equal(phished.statusCode, 401)
    const o3 = await options(a, '/sign-in/passkey/enrol/options')
    const ok = await a.post('/sign-in/passkey/enrol', { name: 'Laptop', response: passkey.register(o3, ctx.s.origin) })
    assert.equal(ok.statusCode, 303)
    assert.equal(ok.headers.location, '/')
    assert.equal((await a.get('/')).statusCode, 200)
    const rows = await ctx.s.t.db.selectFrom('passkey').selectAll().where('practitioner_id', '=', await practitionerId('ig2')).execute()
    assert.equal(rows.length, 1)
    assert.equal(rows[0]!.name, 'Laptop')
    assert.equal(rows[0]!.credential_id, passkey.id)
    const enrolled = await audits('ig2', 'auth.passkey-enrol')
    assert.deepEqual(enrolled.map((e) => e.outcome), ['failure', 'success'])
    assert.equal(enrolled[1]!.entity_id, rows[0]!.id)
    // the code step is recorded, not yet a full sign-in
    const signIns = await audits('ig2', 'auth.sign-in')
    assert.match(JSON.stringify(signIns.at(-1)!.details), /passkey_enrol/)
  })

  it('once enrolled, the code alone is refused for IG and admins; the passkey signs in (audited)', async () => {
    const { passkey } = await enrolAtSignIn('partnership.admin')
    const a = await password('partnership.admin')
    const page = await a.get('/sign-in/mfa')
    assert.match(page.body, /Sign in with your passkey/)
    assert.match(page.body, /browser with JavaScript/)
    assert.doesNotMatch(page.body, /name="code"/)
    const totpOnly = await a.post('/sign-in/mfa', { code: await code('partnership.admin') })
    assert.equal(totpOnly.statusCode, 401)
    assert.match(totpOnly.body, /Your role needs a passkey/)
    assert.equal((await a.get('/')).headers.location, '/sign-in/mfa')
    const refused = await audits('partnership.admin', 'auth.mfa')
    assert.equal(refused.at(-1)!.outcome, 'failure')
    assert.match(JSON.stringify(refused.at(-1)!.details), /requires a passkey/)
    const o = await options(a, '/sign-in/passkey/options')
    assert.deepEqual(o.allowCredentials?.map((c) => c.id), [passkey.id])
    const before = a.cookies.get('__Host-ta_session')
    const r = await a.post('/sign-in/passkey', { response: passkey.authenticate(o, ctx.s.origin) })
    assert.equal(r.statusCode, 303)
    assert.notEqual(a.cookies.get('__Host-ta_session'), before)
    assert.equal((await a.get('/')).statusCode, 200)
    const ok = await audits('partnership.admin', 'auth.sign-in')
    assert.equal(ok.at(-1)!.outcome, 'success')
    assert.match(JSON.stringify(ok.at(-1)!.details), /"factor":"passkey"/)
    const row = await ctx.s.t.db.selectFrom('passkey').select(['sign_count', 'last_used_at']).where('credential_id', '=', passkey.id).executeTakeFirstOrThrow()
    assert.equal(Number(row.sign_count), 1)
    assert.ok(row.last_used_at)
  })

  it('a passkey finishes no sign-in on an account locked since the password step: the session ends, audited', async () => {
    const passkey = ctx.s.passkeys.get('partnership.admin')!
    const a = await password('partnership.admin')
    const o = await options(a, '/sign-in/passkey/options')
    const id = await practitionerId('partnership.admin')
    // locked after the password was accepted (wrong codes from another session, say)
    await ctx.s.t.db.updateTable('practitioner').set({ locked_until: new Date(ctx.s.clock.now().getTime() + 15 * 60_000) }).where('id', '=', id).execute()
    try {
      const r = await a.post('/sign-in/passkey', { response: passkey.authenticate(o, ctx.s.origin) })
      assert.equal(r.statusCode, 401)
      assert.match(r.body, /The email address or password is not right/)
      assert.equal((await a.get('/')).headers.location, '/sign-in')
      const refused = await audits('partnership.admin', 'auth.passkey')
      assert.equal(refused.at(-1)!.outcome, 'failure')
      assert.match(JSON.stringify(refused.at(-1)!.details), /account locked: the session ended/)
      const ended = await ctx.s.t.db.selectFrom('session').select('id_hash').where('practitioner_id', '=', id).where('end_reason', '=', 'locked').execute()
      assert.equal(ended.length, 1)
    } finally {
      await ctx.s.t.db.updateTable('practitioner').set({ locked_until: null }).where('id', '=', id).execute()
    }
  })

  it('a role that requires a passkey, granted while a session made with the code alone is open, ends that session at once', async () => {
    const a = await ctx.s.signIn('sw.north')
    assert.equal((await a.get('/')).statusCode, 200)
    const sw = await ctx.s.t.db.selectFrom('membership').selectAll().where('id', '=', stableUuid('northshire:membership:sw.north:0')).executeTakeFirstOrThrow()
    const now = ctx.s.clock.now()
    const granted = randomUUID()
    await ctx.s.t.db.insertInto('membership').values({ id: granted, partnership_id: sw.partnership_id, practitioner_id: sw.practitioner_id, agency_id: sw.agency_id, team_id: null, role: 'ig_officer', starts_at: now, ends_at: null, created_at: now }).execute()
    try {
      const next = await a.get('/')
      assert.equal(next.statusCode, 302)
      assert.equal(next.headers.location, '/sign-in', 'the session made with the code alone has ended')
      const sessions = await ctx.s.t.db.selectFrom('session').select(['end_reason']).where('practitioner_id', '=', sw.practitioner_id).where('end_reason', '=', 'passkey required').execute()
      assert.equal(sessions.length, 1)
      const audit = await ctx.s.t.db.selectFrom('audit_event').select('outcome').where('action', '=', 'auth.passkey-required').execute()
      assert.equal(audit.at(-1)?.outcome, 'refused')
    } finally {
      await ctx.s.t.db.updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', granted).execute()
    }
  })

  it('refuses a wrong origin, a wrong challenge, a replayed answer, an expired challenge and a cloned key (each audited)', async () => {
    const { passkey } = await enrolAtSignIn('admin.csc')
    const a = await password('admin.csc')
    const fail = async (response: string) => {
      const r = await a.post('/sign-in/passkey', { response })
      assert.equal(r.statusCode, 401)
      assert.match(r.body, /Your passkey could not be used/)
      assert.equal((await a.get('/')).headers.location, '/sign-in/mfa')
    }
    const before = (await audits('admin.csc', 'auth.passkey')).length
    // wrong origin
    await fail(passkey.authenticate(await options(a, '/sign-in/passkey/options'), 'https://teamaround.example-login.com'))
    // a different RP ID (the key used for another site)
    await fail(passkey.authenticate(await options(a, '/sign-in/passkey/options'), ctx.s.origin, { rpId: 'example-login.com' }))
    // wrong challenge: an answer to a challenge this session was not given
    await options(a, '/sign-in/passkey/options')
    await fail(passkey.authenticate({ challenge: Buffer.from('not-the-challenge-at-all-000000').toString('base64url') }, ctx.s.origin))
    // no challenge asked for: the answer cannot be checked
    await fail(passkey.authenticate({ challenge: 'AAAA' }, ctx.s.origin))
    // expired challenge
    const stale = await options(a, '/sign-in/passkey/options')
    ctx.s.clock.advance(6 * 60_000)
    await fail(passkey.authenticate(stale, ctx.s.origin))
    // another session's challenge cannot be answered here
    const other = await password('admin.csc')
    const theirs = await options(other, '/sign-in/passkey/options')
    await options(a, '/sign-in/passkey/options')
    await fail(passkey.authenticate(theirs, ctx.s.origin))
    // replay: a good answer works once; the same answer again (another session, or the same) is refused
    const good = await password('admin.csc')
    const og = await options(good, '/sign-in/passkey/options')
    const response = passkey.authenticate(og, ctx.s.origin)
    assert.equal((await good.post('/sign-in/passkey', { response })).statusCode, 303)
    await options(a, '/sign-in/passkey/options')
    await fail(response)
    // a cloned key: the counter did not move on from the last one used
    const o = await options(a, '/sign-in/passkey/options')
    await fail(passkey.authenticate(o, ctx.s.origin, { keepCounter: true }))
    const failures = (await audits('admin.csc', 'auth.passkey')).slice(before)
    assert.equal(failures.length, 8)
    assert.ok(failures.every((f) => f.outcome === 'failure'))
    assert.ok(failures.some((f) => /counter/.test(JSON.stringify(f.details))))
    assert.ok(failures.some((f) => /origin/i.test(JSON.stringify(f.details))))
    assert.ok(failures.some((f) => /expired/.test(JSON.stringify(f.details))))
  })

  it('a practitioner whose role does not require one may add a passkey (after the code) and then use either', async () => {
    const a = await ctx.s.signIn('sw.south')
    const page = await a.get('/account/passkeys')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /You have not added a passkey/)
    const passkey = new SoftPasskey()
    // wrong code: refused, audited, nothing saved
    let o = await options(a, '/account/passkeys/options')
    const wrong = await a.post('/account/passkeys', { name: 'Phone', code: '000000', response: passkey.register(o, ctx.s.origin) })
    assert.equal(wrong.statusCode, 401)
    assert.match(wrong.body, /The code is not right/)
    // missing fields: the error summary lists both
    const empty = await a.post('/account/passkeys', { name: '', code: '', response: '' })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, /Enter a name for the passkey/)
    assert.match(empty.body, /Enter the 6-digit code/)
    o = await options(a, '/account/passkeys/options')
    const added = await a.post('/account/passkeys', { name: 'Phone', code: await code('sw.south'), response: passkey.register(o, ctx.s.origin) })
    assert.equal(added.statusCode, 303, added.body.slice(0, 300))
    const list = await a.get('/account/passkeys?done=added')
    assert.match(list.body, /Passkey added/)
    assert.match(list.body, />Phone</)
    const enrolAudits = await audits('sw.south', 'auth.passkey-enrol')
    assert.deepEqual(enrolAudits.map((e) => e.outcome), ['failure', 'success'])
    // the code still works for this role ...
    const b = await password('sw.south')
    const mfa = await b.get('/sign-in/mfa')
    assert.match(mfa.body, /Use your passkey, or enter the code/)
    assert.equal((await b.post('/sign-in/mfa', { code: await code('sw.south') })).headers.location, '/')
    // ... and so does the passkey
    const c = await password('sw.south')
    const r = await c.post('/sign-in/passkey', { response: passkey.authenticate(await options(c, '/sign-in/passkey/options'), ctx.s.origin) })
    assert.equal(r.statusCode, 303)
    assert.equal((await c.get('/')).statusCode, 200)
    // and the last passkey can be removed: the role does not require one
    const id = /action="\/account\/passkeys\/([0-9a-f-]{36})\/remove"/.exec(list.body)![1]!
    const removed = await a.post(`/account/passkeys/${id}/remove`)
    assert.equal(removed.statusCode, 303)
    assert.equal((await audits('sw.south', 'auth.passkey-remove')).at(-1)!.outcome, 'success')
  })

  it('the last passkey of a role that requires one cannot be removed; another can; someone else’s is not found', async () => {
    const a = await ctx.s.signIn('ig')
    const page = await a.get('/account/passkeys')
    const ids = [...page.body.matchAll(/action="\/account\/passkeys\/([0-9a-f-]{36})\/remove"/g)].map((m) => m[1]!)
    assert.equal(ids.length, 1)
    const last = await a.post(`/account/passkeys/${ids[0]}/remove`)
    assert.equal(last.statusCode, 400)
    assert.match(last.body, /You cannot remove your only passkey/)
    assert.equal((await audits('ig', 'auth.passkey-remove')).at(-1)!.outcome, 'refused')
    // someone else's passkey: 404, nothing removed
    const other = await ctx.s.signIn('sw.south')
    assert.equal((await other.post(`/account/passkeys/${ids[0]}/remove`)).statusCode, 404)
    assert.equal((await other.post('/account/passkeys/not-a-uuid/remove')).statusCode, 404)
    // a second passkey, then the first can go
    const second = new SoftPasskey()
    const o = await options(a, '/account/passkeys/options')
    const added = await a.post('/account/passkeys', { name: 'Security key', code: await code('ig'), response: second.register(o, ctx.s.origin) })
    assert.equal(added.statusCode, 303, added.body.slice(0, 300))
    // the same authenticator cannot be registered twice
    const again = await a.post('/account/passkeys', { name: 'Again', code: await code('ig'), response: second.register(await options(a, '/account/passkeys/options'), ctx.s.origin) })
    assert.equal(again.statusCode, 401)
    assert.equal((await a.post(`/account/passkeys/${ids[0]}/remove`)).statusCode, 303)
    const rows = await ctx.s.t.db.selectFrom('passkey').select('name').where('practitioner_id', '=', await practitionerId('ig')).execute()
    assert.deepEqual(rows.map((r) => r.name), ['Security key'])
    const removals = await audits('ig', 'auth.passkey-remove')
    assert.deepEqual(removals.map((r) => r.outcome), ['refused', 'success'])
    // the test support signs in with the passkey it registered: point it at the one left
    ctx.s.passkeys.set('ig', second)
    assert.equal((await (await ctx.s.signIn('ig')).get('/')).statusCode, 200)
  })

  it('an administrator’s reset of a lost authenticator removes the passkeys too (the next sign-in enrols again)', async () => {
    const admin = await ctx.s.signIn('admin.csc')
    const pid = await practitionerId('ig')
    await admin.get(`/admin/practitioners/${pid}`)
    const r = await admin.post(`/admin/practitioners/${pid}/reset-mfa`, { reason: 'Laptop and phone stolen; identity checked in person' })
    assert.equal(r.statusCode, 303)
    assert.equal((await ctx.s.t.db.selectFrom('passkey').select('id').where('practitioner_id', '=', pid).execute()).length, 0)
    ctx.s.passkeys.delete('ig')
  })
})
