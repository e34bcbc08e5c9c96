// Page objects for the front-door flow: logging a concern, the DSL's triage, the referral form, the referrer's
// status page, and the front door's queue and referral page. Each is found by its h1 and checked with axe.
import type { Locator, Page as PwPage } from 'playwright-core'
import { Page } from './page.ts'

const clean = (s: string) => s.replace(/\s+/g, ' ').trim()

/** A radio or checkbox inside the fieldset whose legend is `legend`. */
function choice(page: PwPage, legend: string, label: string, role: 'radio' | 'checkbox' = 'radio'): Locator {
  return page.getByRole('group', { name: legend }).getByRole(role, { name: label, exact: true })
}

export class ConcernFormPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Log a concern about a child')
  }

  static async visit(page: PwPage, childId?: string): Promise<ConcernFormPage> {
    await page.goto(childId ? `/concerns/new?child=${childId}` : '/concerns/new')
    return Page.verifyOnPage(ConcernFormPage, page)
  }

  async chooseChild(name: string): Promise<void> {
    await choice(this.page, 'Which children is this about?', name, 'checkbox').check()
  }

  async fill(v: { category: string; seenOrHeard: string; childWords?: string; time?: string; location?: string; mark?: { region: string; description: string }; immediateDanger: 'Yes' | 'No' }): Promise<void> {
    await choice(this.page, 'What kind of concern is it?', v.category).check()
    await this.page.getByLabel('What did you see or hear?').fill(v.seenOrHeard)
    if (v.childWords) await this.page.getByLabel('What did the child say, in their own words? (optional)').fill(v.childWords)
    if (v.time) await this.page.getByLabel('Time (optional)').fill(v.time)
    if (v.location) await this.page.getByLabel('Where? (optional)').fill(v.location)
    if (v.mark) {
      await this.page.locator('#mark1Region').selectOption({ label: v.mark.region })
      await this.page.locator('#mark1Description').fill(v.mark.description)
    }
    await choice(this.page, 'Is the child in immediate danger?', v.immediateDanger).check()
  }

  async submit(): Promise<void> {
    await this.page.getByRole('button', { name: 'Log the concern' }).click()
  }
}

export class ConcernPage extends Page {
  constructor(page: PwPage, childName: string) {
    super(page, childName)
  }

  async banner(): Promise<string | null> {
    const b = this.page.locator('.govuk-notification-banner')
    return (await b.count()) ? clean(await b.innerText()) : null
  }

  /** The concern's id, from the address. */
  id(): string {
    return new URL(this.page.url()).pathname.split('/')[2]!
  }

  async decisionsAndReasons(): Promise<string> {
    return clean(await this.mainContent.innerText())
  }

  async recordDecision(v: { actions: string[]; outcome: string; reasons: string }): Promise<void> {
    for (const a of v.actions) await choice(this.page, 'Actions', a, 'checkbox').check()
    await choice(this.page, 'Outcome', v.outcome).check()
    await this.page.getByLabel('Reasons for your decision').fill(v.reasons)
    await this.page.getByRole('button', { name: 'Record the decision' }).click()
  }

  async referToFrontDoor(): Promise<void> {
    await this.page.getByRole('link', { name: 'Refer to the front door' }).click()
  }
}

export class TriageQueuePage extends Page {
  constructor(page: PwPage) {
    super(page, 'Concerns to triage')
  }

  static async visit(page: PwPage): Promise<TriageQueuePage> {
    await page.goto('/triage')
    return Page.verifyOnPage(TriageQueuePage, page)
  }

  async open(concernId: string): Promise<void> {
    await this.page.locator(`a[href="/concerns/${concernId}"]`).click()
  }
}

export class ReferralFormPage extends Page {
  constructor(page: PwPage) {
    super(page, 'Refer to the front door')
  }

  async whatYouAreWorriedAbout(): Promise<string> {
    return this.page.getByLabel('What are you worried about, and why?').inputValue()
  }

  async fill(v: { level: string; levelReason: string; parentsKnow: 'Yes' | 'No'; parentsNotToldReason?: string; urgency: string }): Promise<void> {
    await this.page.getByRole('group', { name: 'Which level of need do you believe applies?' }).getByRole('radio', { name: new RegExp(`^${v.level}\\b`) }).check()
    await this.page.getByLabel('Why this level?').fill(v.levelReason)
    await choice(this.page, 'Do the parents or carers know about this referral?', v.parentsKnow).check()
    if (v.parentsNotToldReason) await this.page.getByLabel('If they have not been told, why not?').fill(v.parentsNotToldReason)
    await this.page.getByRole('group', { name: 'How urgent is it?' }).getByRole('radio', { name: new RegExp(`^${v.urgency}`) }).check()
  }

  async send(): Promise<void> {
    await this.page.getByRole('button', { name: 'Send to the front door' }).click()
  }
}

export class ReferralStatusPage extends Page {
  constructor(page: PwPage, childName: string) {
    super(page, childName)
  }

  id(): string {
    return new URL(this.page.url()).pathname.split('/')[2]!
  }

  async steps(): Promise<string[]> {
    return (await this.page.locator('.ta-steps li').allInnerTexts()).map(clean)
  }

  async status(): Promise<string> {
    return clean(await this.page.locator('p', { hasText: 'Status:' }).innerText())
  }

  async decision(): Promise<{ heading: string; text: string } | null> {
    const card = this.page.locator('.ta-card', { has: this.page.getByRole('heading', { name: /^The decision:/ }) })
    if (!(await card.count())) return null
    return { heading: clean(await card.getByRole('heading', { level: 2 }).innerText()), text: clean(await card.innerText()) }
  }

  async challenge(reason: string): Promise<void> {
    await this.page.getByLabel('Why do you disagree?').fill(reason)
    await this.page.getByRole('button', { name: 'Challenge the decision' }).click()
  }
}

export class FrontDoorQueuePage extends Page {
  constructor(page: PwPage) {
    super(page, 'Front door queue')
  }

  static async visit(page: PwPage): Promise<FrontDoorQueuePage> {
    await page.goto('/front-door')
    return Page.verifyOnPage(FrontDoorQueuePage, page)
  }

  async open(referralId: string): Promise<void> {
    await this.page.locator(`a[href="/front-door/referrals/${referralId}"]`).click()
  }
}

export class FrontDoorReferralPage extends Page {
  constructor(page: PwPage, childName: string) {
    super(page, childName)
  }

  async caption(): Promise<string> {
    return clean(await this.page.locator('.govuk-caption-l').first().innerText())
  }

  async acknowledge(): Promise<void> {
    await this.page.getByRole('button', { name: 'Acknowledge' }).click()
  }

  async recordCheck(agency: string, finding: string): Promise<void> {
    await this.page.getByLabel('Agency checked').fill(agency)
    await this.page.getByLabel('What the check found').fill(finding)
    await this.page.getByRole('button', { name: 'Record the check' }).click()
  }

  async decide(v: { decision: string; level: string; rationale: string }): Promise<void> {
    await this.page.getByRole('group', { name: 'What happens next?' }).getByRole('radio', { name: new RegExp(`^${v.decision}`) }).check()
    await this.page.getByRole('group', { name: 'Level of need found' }).getByRole('radio', { name: new RegExp(`^${v.level}\\b`) }).check()
    await this.page.getByLabel('Rationale').fill(v.rationale)
    await this.page.getByRole('button', { name: 'Record the decision' }).click()
  }
}
