// The team-around-the-child journey in a browser, every page checked with axe (the browser test and the README's
// screenshots share it): Brookside's DSL starts an early help team for a pupil known to no other agency, invites
// the school nurse (who joins), records the mother's agreement, builds the plan, and reviews it twice (the fake
// clock moves six weeks each time, so each review is signed in afresh).
import path from 'node:path'
import { sql } from 'kysely'
import type { BrowserSession } from './browser.ts'
import { signInAs } from './flows.ts'
import { AnyPage, Page, SignInPage } from './pages/index.ts'
import type { E2eServer } from './server.ts'
import { SCREENSHOT_WIDTH } from './screenshots.ts'

export interface TeamJourney {
  tacId: string
  childId: string
  childName: string
  scores: string[]
  planShot: string
  progressShot: string
}

async function signOut(page: BrowserSession['page']): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await Page.verifyOnPage(SignInPage, page)
}

async function quietPupil(server: E2eServer): Promise<{ id: string; name: string }> {
  const row = await server.s.t.privileged(async (db) => {
    const r = await sql<{ id: string; given_name: string; family_name: string }>`
      select c.id, c.given_name, c.family_name from child c
      join relationship p on p.child_id = c.id and p.type = 'pupil_at'
      join agency a on a.id = p.holder_agency_id and a.name = 'Brookside Primary School'
      where not exists (select 1 from relationship o where o.child_id = c.id and o.type <> 'pupil_at')
        and not exists (select 1 from tac_child t where t.child_id = c.id)
      order by c.family_name, c.given_name, c.id limit 1`.execute(db)
    return r.rows[0]
  })
  if (!row) throw new Error('no Brookside pupil known only to the school in the demo data')
  return { id: row.id, name: `${row.given_name} ${row.family_name}` }
}

export async function teamJourney(server: E2eServer, b: BrowserSession, outDir: string): Promise<TeamJourney> {
  const { page } = b
  await page.setViewportSize({ width: SCREENSHOT_WIDTH, height: 900 })
  const child = await quietPupil(server)
  await signInAs(page, server, 'dsl.brookside')
  await page.goto(`/children/${child.id}`)
  await Page.verifyOnPage(AnyPage, page, child.name)
  await page.getByRole('link', { name: 'Team around the child', exact: true }).click()
  await Page.verifyOnPage(AnyPage, page, 'Team around the child')
  await page.getByLabel('Early help').check()
  await page.getByLabel('The lead’s role in the team (optional)').fill('Lead practitioner (DSL)')
  await page.getByLabel('Why is a team needed?').fill('Attendance has fallen to 82% since September; mum has asked for help with morning routines.')
  await page.getByRole('button', { name: 'Start the team' }).click()
  await Page.verifyOnPage(AnyPage, page, /^Team around /)
  const tacId = new URL(page.url()).pathname.split('/')[2]!

  // invite the school nurse
  const invite = page.locator('#membershipId')
  const nurseOption = (await invite.locator('option').allInnerTexts()).find((o) => o.startsWith('Claire Dawson'))
  if (!nurseOption) throw new Error('the school nurse is not offered')
  await invite.selectOption({ label: nurseOption })
  await page.locator('#teamRole').fill('School nurse: health and sleep')
  await page.locator('#duties').fill('A health review, and advice to mum on sleep routines')
  await page.getByRole('button', { name: 'Send invitation' }).click()
  await Page.verifyOnPage(AnyPage, page, /^Team around /)
  // the family
  await page.locator('#name').fill('Jo Smith')
  await page.locator('#relationship').fill('Mother')
  await page.locator('#views').fill('Mornings are hard since the baby arrived. I want help, not judgement.')
  await page.locator('#agreement').check()
  await page.getByRole('button', { name: 'Add family member' }).click()
  await Page.verifyOnPage(AnyPage, page, /^Team around /)

  // the plan: an outcome and an action with its owner, date, place and cost
  await page.getByRole('link', { name: 'Plan', exact: true }).click()
  await Page.verifyOnPage(AnyPage, page, 'Joint agency plan')
  await page.getByRole('link', { name: 'Add an outcome' }).click()
  await Page.verifyOnPage(AnyPage, page, 'Add an outcome')
  await page.getByLabel('What will be different for the child').fill(`${child.name.split(' ')[0]} gets to school on time every day, ready to learn`)
  await page.locator('input[name="measure"][value="scale"]').check()
  await page.getByRole('button', { name: 'Save the outcome' }).click()
  await Page.verifyOnPage(AnyPage, page, 'Joint agency plan')
  await page.getByRole('link', { name: /^Add an action/ }).first().click()
  await Page.verifyOnPage(AnyPage, page, 'Add an action')
  await page.getByLabel('What will be done').fill('Morning routine sessions at home with the family support worker')
  const owner = page.locator('#owner')
  const ownerOption = (await owner.locator('option').allInnerTexts()).find((o) => o.includes('Priya Shah'))
  if (!ownerOption) throw new Error('the DSL is not offered as an action owner')
  await owner.selectOption({ label: ownerOption })
  await page.locator('#dueOn').fill('2026-12-18')
  await page.locator('#place').fill('At home')
  await page.locator('#cost').fill('240')
  await page.getByRole('button', { name: 'Save the action' }).click()
  await Page.verifyOnPage(AnyPage, page, 'Joint agency plan')
  const planShot = path.join(outDir, 'plan.png')

  // the nurse accepts the invitation from her teams page
  await signOut(page)
  await signInAs(page, server, 'nurse')
  await page.goto('/teams')
  await Page.verifyOnPage(AnyPage, page, 'Teams around the child')
  await page.getByRole('link', { name: /^Invitation: team around/ }).click()
  await Page.verifyOnPage(AnyPage, page, 'Invitation to a team around the child')
  await page.getByLabel('Join the team').check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await Page.verifyOnPage(AnyPage, page, /^Team around /)
  await signOut(page)

  // two reviews, six weeks apart
  const scores = ['3', '7']
  const dates = [
    ['2027-01-05', '2027-02-16'],
    ['2027-02-16', '2027-03-30'],
  ] as const
  for (const [i, [heldOn, next]] of dates.entries()) {
    server.s.clock.set(`${heldOn}T15:00:00Z`)
    await signInAs(page, server, 'dsl.brookside')
    await page.goto(`/teams/${tacId}/reviews/new`)
    await Page.verifyOnPage(AnyPage, page, 'Record a review')
    await page.locator('#heldOn').fill(heldOn)
    await page.locator('input[name^="score_"]').first().fill(scores[i]!)
    await page.locator('select[name^="status_"]').first().selectOption(i === 0 ? 'in_progress' : 'done')
    await page.locator('#childView').fill(i === 0 ? 'I am late because the baby cries.' : 'I like the breakfast club.')
    await page.locator('#familyView').fill(i === 0 ? 'Still hard, but the sessions help.' : 'Mornings are calmer now.')
    await page.locator('#summary').fill(i === 0 ? 'Some progress; keep going.' : 'Good progress: attendance 95% this half term.')
    await page.locator('#nextReviewOn').fill(next)
    await page.getByRole('button', { name: 'Record the review' }).click()
    await Page.verifyOnPage(AnyPage, page, /\S/)
    if (i === 0) await signOut(page)
  }
  await page.goto(`/teams/${tacId}/plan`)
  await Page.verifyOnPage(AnyPage, page, 'Joint agency plan')
  await page.screenshot({ path: planShot, fullPage: true })
  await page.goto(`/teams/${tacId}/progress`)
  await Page.verifyOnPage(AnyPage, page, /\S/)
  const chart = page.locator('main svg').first()
  await chart.waitFor()
  const progressShot = path.join(outDir, 'progress.png')
  await chart.screenshot({ path: progressShot })
  const table = page.locator('main table').first()
  const cells = (await table.locator('tbody td').allInnerTexts()).map((t) => t.trim())
  const found = scores.filter((s) => cells.includes(s))
  return { tacId, childId: child.id, childName: child.name, scores: found, planShot, progressShot }
}
