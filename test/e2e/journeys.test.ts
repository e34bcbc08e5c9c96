// Browser journeys in Chromium: sign in with a second step, see "my children" and a child's summary, enrol an
// authenticator, review who has looked at a record, and all of it without JavaScript. axe runs on every page.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { signInAs } from './support/flows.ts'
import { Page, SignInPage, MfaChallengePage, MfaEnrolPage, HomePage, ChildSummaryPage, AccessLogPage, AccessLogFindPage } from './support/pages/index.ts'
import { DEMO_PASSWORD } from './support/server.ts'
import { totpAt } from '../../src/platform/auth/totp.ts'

describe('browser journeys (Chromium, axe on every page)', () => {
  let server: E2eServer
  const browsers: BrowserSession[] = []
  const browser = async (opts: { javaScriptEnabled?: boolean } = {}) => {
    const b = await openBrowser(server.baseUrl, opts)
    browsers.push(b)
    return b
  }

  before(async () => {
    server = await startE2eServer()
  })
  after(async () => {
    for (const b of browsers) await b.close().catch(() => undefined)
    await server?.close()
  })

  it('a DSL signs in with a code, sees their children and why, and opens a child’s summary', async () => {
    const b = await browser()
    const { page, context } = b
    const dsl = server.practitioner('dsl.brookside')

    const signIn = await SignInPage.visit(page)
    assert.equal(await signIn.signedInAs(), null)
    await signIn.signIn(dsl.email, DEMO_PASSWORD)

    const mfa = await Page.verifyOnPage(MfaChallengePage, page)
    // the session cookie is a __Host- Secure cookie, and Chromium keeps it on http://localhost (a secure context)
    const session = (await context.cookies()).find((c) => c.name === '__Host-ta_session')
    assert.ok(session, 'Chromium kept the __Host-ta_session cookie')
    assert.equal(session.secure, true)
    assert.equal(session.httpOnly, true)
    assert.equal(session.sameSite, 'Lax')
    assert.equal(session.path, '/')
    assert.equal(session.domain, 'localhost')
    await mfa.enterCode(await server.nextTotp(dsl.totpSecret))

    const home = await Page.verifyOnPage(HomePage, page)
    assert.match((await home.signedInAs()) ?? '', /^Signed in as Priya Shah, acting as Designated safeguarding lead, Brookside Primary School/)
    const rotated = (await context.cookies()).find((c) => c.name === '__Host-ta_session')
    assert.ok(rotated && rotated.value !== session.value, 'the session id rotates after the second step')
    const children = await home.children()
    assert.ok(children.length > 5, `the DSL sees their pupils (saw ${children.length})`)
    for (const c of children) {
      assert.ok(c.why.length > 0, `${c.name} is listed with why`)
      assert.match(c.href, /^\/children\/[0-9a-f-]{36}$/)
    }
    assert.ok(children.some((c) => c.why.includes('Pupil at your school')))
    // a child with the most going on: the team around the child as well as on roll
    const child = children.find((c) => c.why.includes('Member of the team around the child')) ?? children[0]!

    await home.openChild(child.name)
    const summary = await Page.verifyOnPage(ChildSummaryPage, page, child.name)
    assert.match(await summary.whyYouCanSee(), /^You can see this record because: .*Pupil at your school.*Your look at it is recorded\.$/)
    const identity = await summary.identity()
    for (const key of ['Date of birth', 'Other names', 'Sex', 'NHS number', 'Unique pupil number', 'Ethnicity', 'First language', 'Special educational needs']) {
      assert.ok(key in identity, `identity shows ${key}`)
    }
    assert.match(identity['NHS number']!, /^\d{3} ?\d{3} ?\d{4}$/)
    assert.deepEqual((await summary.sectionHeadings()).slice(0, 5), ['Identity', 'Addresses', 'Family and household', 'Recent entries you can see', 'Who is involved'])
    const involved = await summary.whoIsInvolved()
    assert.ok(involved.some((a) => a.agency === 'Brookside Primary School'), 'the school is involved')
    assert.ok(involved.length >= 2, 'more than one agency is involved with a child who has a team around them')
    // a DSL has no access log link (team managers and IG officers do)
    assert.equal(await page.getByRole('link', { name: 'Who has looked at this record' }).count(), 0)

    await summary.clickBack()
    await Page.verifyOnPage(HomePage, page)
    await home.signOut()
    await Page.verifyOnPage(SignInPage, page)
    assert.equal((await context.cookies()).find((c) => c.name === '__Host-ta_session'), undefined, 'signing out clears the session cookie')

    const paths = b.visited().map((u) => new URL(u).pathname)
    assert.deepEqual(paths, ['/sign-in', '/sign-in/mfa', '/', child.href, '/', '/sign-in'])
    b.assertEveryPageChecked()
  })

  it('a practitioner without an authenticator enrols at sign-in with the key shown on the page', async () => {
    await server.resetTotp('teacher2.brookside')
    const who = server.practitioner('teacher2.brookside')
    const b = await browser()
    const { page } = b

    const signIn = await SignInPage.visit(page)
    await signIn.signIn(who.email, DEMO_PASSWORD)
    const enrol = await Page.verifyOnPage(MfaEnrolPage, page)
    assert.equal(await enrol.qrCode.count(), 1, 'a QR code is shown')
    assert.ok(await enrol.qrCode.isVisible())
    const key = await enrol.key()
    assert.match(key.shown, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/, 'the key is shown in groups of four')
    assert.equal(key.secret.length, 32, 'a 160-bit key')
    assert.notEqual(key.secret, who.totpSecret, 'a new key, not the old one')

    // a wrong code first: the page says so, keeps the same key, and is still accessible
    await enrol.enterCode('000000')
    const again = await Page.verifyOnPage(MfaEnrolPage, page)
    assert.deepEqual(await again.errorMessages(), ['The code is not right. Check the key you typed and the time on your phone, then try again'])
    assert.equal((await again.key()).secret, key.secret)

    // what an authenticator app would show for the key typed in from the page
    server.s.clock.advance(31_000)
    await again.enterCode(await totpAt(key.secret, server.s.clock.now()))
    const home = await Page.verifyOnPage(HomePage, page)
    assert.match((await home.signedInAs()) ?? '', /^Signed in as Tom Fielding, acting as Teacher/)

    // the next sign-in asks for a code from the enrolled key
    await home.signOut()
    const signInAgain = await Page.verifyOnPage(SignInPage, page)
    await signInAgain.signIn(who.email, DEMO_PASSWORD)
    const mfa = await Page.verifyOnPage(MfaChallengePage, page)
    await mfa.enterCode(await server.nextTotp(key.secret))
    await Page.verifyOnPage(HomePage, page)
    b.assertEveryPageChecked()
  })

  it('a team manager sees the DSL’s earlier look at an allocated child in "who has looked at this record"', async () => {
    const child = await server.allocatedChildInTeamNorthWithBrooksideDsl()

    // the DSL looks at the child first
    const dslBrowser = await browser()
    await signInAs(dslBrowser.page, server, 'dsl.brookside')
    const dslView = await ChildSummaryPage.visit(dslBrowser.page, child.id, child.name)
    assert.match(await dslView.whyYouCanSee(), /Member of the team around the child/)
    dslBrowser.assertEveryPageChecked()

    // the manager of the allocated worker's team reviews who has looked
    const b = await browser()
    const { page } = b
    const home = await signInAs(page, server, 'manager.north')
    assert.ok((await home.children()).some((c) => c.href === `/children/${child.id}`), 'the allocated child is on the manager’s list')
    const summary = await ChildSummaryPage.visit(page, child.id, child.name)
    await summary.openAccessLog()
    const log = await Page.verifyOnPage(AccessLogPage, page)
    assert.equal(await log.childName(), child.name)
    const rows = await log.rows()
    const dslLook = rows.find((r) => r.who.startsWith('Priya Shah') && r.what === 'child.view')
    assert.ok(dslLook, `the DSL's view is listed: ${JSON.stringify(rows.slice(0, 6))}`)
    assert.match(dslLook.who, /Designated safeguarding lead, Brookside Primary School/)
    assert.match(dslLook.why, /^(Pupil at your school|Member of the team around the child)\b/, 'the relationship the DSL’s look relied on (its type, then its reason)')
    assert.equal(dslLook.outcome, 'Success')
    // the manager's own look is there too, newest first
    assert.ok(rows[0]!.who.startsWith('Kate Turner'), 'the manager’s own view is the newest')
    b.assertEveryPageChecked()
  })

  it('an information-governance officer finds a record by NHS number and sees who has looked at it', async () => {
    const child = await server.allocatedChildInTeamNorthWithBrooksideDsl()
    const nhs = await server.s.t.privileged((db) => db.selectFrom('child').select('nhs_number').where('id', '=', child.id).executeTakeFirstOrThrow())
    const b = await browser()
    const { page } = b
    const home = await signInAs(page, server, 'ig')
    await home.findWhoHasLookedAtARecord()
    const find = await Page.verifyOnPage(AccessLogFindPage, page)
    await find.find('12345')
    const invalid = await Page.verifyOnPage(AccessLogFindPage, page)
    assert.deepEqual(await invalid.errorMessages(), ['Enter a 10-digit NHS number, like 999 123 4567'])
    await invalid.find(nhs.nhs_number!)
    const log = await Page.verifyOnPage(AccessLogPage, page)
    assert.equal(await log.childName(), child.name)
    assert.ok((await log.rows()).length > 0)
    b.assertEveryPageChecked()
  })

  it('works without JavaScript: sign in, a second step, my children, a child, sign out', async () => {
    const b = await browser({ javaScriptEnabled: false })
    const { page } = b
    const home = await signInAs(page, server, 'sw.north')
    const children = await home.children()
    assert.ok(children.length > 0)
    await home.openChild(children[0]!.name)
    const summary = await Page.verifyOnPage(ChildSummaryPage, page, children[0]!.name)
    assert.ok((await summary.whoIsInvolved()).length > 0)
    // no script ran: the timeout dialog is in the page but closed, so nothing covers the content
    assert.equal(await page.locator('dialog#ta-timeout').count(), 1)
    assert.equal(await page.locator('dialog#ta-timeout').isVisible(), false)
    await summary.signOut()
    await Page.verifyOnPage(SignInPage, page)
    b.assertEveryPageChecked()
  })
})
