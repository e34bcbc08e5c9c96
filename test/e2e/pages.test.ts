// Browser checks of single pages in Chromium: the sign-in page with validation errors, the error page, the idle
// timeout warning, axe itself, and the README screenshots (into a temporary directory, never docs/).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startE2eServer, DEMO_PASSWORD, type E2eServer } from './support/server.ts'
import { openBrowser, type BrowserSession } from './support/browser.ts'
import { checkAccessibility } from './support/axe.ts'
import { signInAs } from './support/flows.ts'
import { takeScreenshots, SCREENSHOT_WIDTH } from './support/screenshots.ts'
import { Page, AnyPage, SignInPage, MfaChallengePage, HomePage, ChildSummaryPage, ErrorPage } from './support/pages/index.ts'

describe('browser pages (Chromium, axe on every page)', () => {
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

  it('the sign-in page shows validation errors accessibly, keeps the address typed, and moves focus to the summary', async () => {
    const b = await browser()
    const { page, context } = b
    const signIn = await SignInPage.visit(page)
    // before sign-in the CSRF binding is a __Host- Secure cookie too, kept by Chromium on http://localhost
    const pre = (await context.cookies()).find((c) => c.name === '__Host-ta_pre')
    assert.ok(pre?.secure && pre.httpOnly, 'the __Host-ta_pre cookie is kept')

    await signIn.signIn('', '')
    const empty = await Page.verifyOnPage(SignInPage, page)
    assert.deepEqual(await empty.errorMessages(), ['Enter your email address', 'Enter your password'])
    assert.match((await empty.fieldError('email')) ?? '', /Enter your email address/)
    assert.match((await empty.fieldError('password')) ?? '', /Enter your password/)
    assert.match(await page.title(), /^Error: Sign in to TeamAround – TeamAround$/)
    // GOV.UK Frontend's script focuses the error summary, so a screen reader announces it
    await page.waitForFunction('document.activeElement && document.activeElement.classList.contains("govuk-error-summary")')
    // each message links to its field
    await page.locator('.govuk-error-summary').getByRole('link', { name: 'Enter your email address' }).click()
    await page.waitForFunction('document.activeElement && document.activeElement.id === "email"')

    await empty.signIn('not an address', 'x')
    const format = await Page.verifyOnPage(SignInPage, page)
    assert.deepEqual(await format.errorMessages(), ['Enter an email address in the correct format, like name@example.org'])
    assert.equal(await page.getByLabel('Email address').inputValue(), 'not an address', 'what was typed is kept')

    await format.signIn(server.practitioner('teacher.brookside').email, 'not the password')
    const wrong = await Page.verifyOnPage(SignInPage, page)
    assert.deepEqual(await wrong.errorMessages(), ['The email address or password is not right, or the account cannot sign in at the moment'])

    // and a wrong code at the second step
    await wrong.signIn(server.practitioner('teacher.brookside').email, DEMO_PASSWORD)
    const mfa = await Page.verifyOnPage(MfaChallengePage, page)
    await mfa.enterCode('12')
    const badCode = await Page.verifyOnPage(MfaChallengePage, page)
    assert.deepEqual(await badCode.errorMessages(), ['The code is not right or has already been used. Wait for a new code and try again'])
    b.assertEveryPageChecked()
  })

  it('the error page: a 404 for a child that does not exist, and for an unknown address', async () => {
    const b = await browser()
    const { page } = b
    await signInAs(page, server, 'dsl.brookside')

    const missing = await page.goto(`/children/${randomUUID()}`)
    assert.equal(missing?.status(), 404)
    const notFound = await Page.verifyOnPage(ErrorPage, page, 'Page not found')
    assert.match(await notFound.detail(), /it may not exist or you may not have a current reason to see it/)
    assert.match((await notFound.signedInAs()) ?? '', /^Signed in as Priya Shah/)

    const nonsense = await page.goto('/no-such-page')
    assert.equal(nonsense?.status(), 404)
    await Page.verifyOnPage(ErrorPage, page, 'Page not found')
    await page.getByRole('link', { name: 'Go to TeamAround’s home page' }).or(page.getByRole('link', { name: "Go to TeamAround's home page" })).click()
    await Page.verifyOnPage(HomePage, page)

    // signed out, the 404 page is the same page without the header's "signed in as"
    await new HomePage(page).signOut()
    await Page.verifyOnPage(SignInPage, page)
    const signedOut = await page.goto('/no-such-page')
    assert.equal(signedOut?.status(), 404)
    const anon = await Page.verifyOnPage(ErrorPage, page, 'Page not found')
    assert.equal(await anon.signedInAs(), null)
    b.assertEveryPageChecked()
  })

  it('the idle timeout warning: the dialog is in the page, opens before the session ends, and "Stay signed in" extends it', async () => {
    const b = await browser()
    const { page } = b
    await signInAs(page, server, 'sw.north')
    // the browser's clock is under the test's control from the next page on: no waiting 28 minutes
    await page.clock.install()
    await HomePage.visit(page)

    const dialog = page.locator('dialog#ta-timeout')
    assert.equal(await dialog.count(), 1)
    assert.equal(await dialog.getAttribute('aria-labelledby'), 'ta-timeout-title')
    assert.equal((await page.locator('#ta-timeout-title').innerText()).trim(), 'You will be signed out soon')
    assert.equal(await dialog.getAttribute('data-idle-minutes'), '30')
    const csrf = await dialog.getAttribute('data-csrf')
    assert.ok(csrf && csrf.length > 20, 'the dialog carries the CSRF token for its request')
    assert.equal(await dialog.isVisible(), false, 'closed until the warning is due')
    assert.equal((await dialog.locator('button[data-ta-stay]').innerText()).trim(), 'Stay signed in')

    // the endpoint: 204 with the CSRF header, refused without it (the request shares the browser's cookies)
    const extended = await page.request.post('/session/extend', { headers: { 'x-csrf-token': csrf } })
    assert.equal(extended.status(), 204)
    const forged = await page.request.post('/session/extend', { headers: { 'x-csrf-token': 'forged' } })
    assert.equal(forged.status(), 403)

    // two minutes before the 30-minute idle limit the warning opens as a modal dialog, and it is accessible
    await page.clock.fastForward('27:00')
    assert.equal(await dialog.isVisible(), false, 'not yet at 27 minutes')
    await page.clock.fastForward('01:01')
    await dialog.waitFor({ state: 'visible' })
    assert.notEqual(await dialog.getAttribute('open'), null)
    await checkAccessibility(page)

    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/session/extend'),
      page.getByRole('button', { name: 'Stay signed in' }).click(),
    ])
    assert.equal(response.status(), 204)
    assert.equal(response.request().method(), 'POST')
    await dialog.waitFor({ state: 'hidden' })
    // still signed in
    await HomePage.visit(page)
    b.assertEveryPageChecked()
  })

  it('every page a child’s summary links to (chronology, concern, referral, …) is axe-clean', async () => {
    const b = await browser()
    const { page } = b
    const home = await signInAs(page, server, 'dsl.brookside')
    const child = (await home.children()).find((c) => c.why.includes('Member of the team around the child'))!
    await home.openChild(child.name)
    await Page.verifyOnPage(ChildSummaryPage, page, child.name)
    const links = [...new Set(await page.locator('main a[href^="/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? '')))].filter(Boolean)
    assert.ok(links.length >= 2, `the child page links on (${links.join(', ')})`)
    for (const href of links) {
      const response = await page.goto(href)
      assert.ok(response && response.status() < 500, `${href} answered ${response?.status()}`)
      await Page.verifyOnPage(AnyPage, page)
    }
    b.assertEveryPageChecked()
  })

  it('axe failures name each violation, its impact and the elements', async () => {
    const b = await browser()
    await b.page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1><img src="data:,"></main></body></html>')
    await assert.rejects(checkAccessibility(b.page), (e: Error) => {
      assert.match(e.message, /^axe found 1 accessibility violation on about:blank:/)
      assert.match(e.message, /- image-alt \(critical\): Images must have alternative text/)
      assert.match(e.message, /\n {4}img — /)
      return true
    })
  })

  it('takes the README screenshots (1280 px wide, full page) — here into a temporary directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teamaround-screenshots-'))
    try {
      const shots = await takeScreenshots(server, dir)
      for (const file of [shots.home, shots.child]) {
        const png = fs.readFileSync(file)
        assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG')
        assert.equal(png.readUInt32BE(16), SCREENSHOT_WIDTH, `${path.basename(file)} is ${SCREENSHOT_WIDTH} px wide`)
        assert.ok(png.readUInt32BE(20) > 900, `${path.basename(file)} is the full page, taller than the window`)
      }
      assert.deepEqual(fs.readdirSync(dir).sort(), ['child-page.png', 'home.png'])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
