// The whole front-door journey in Chromium, one browser per practitioner, every page through a page object (so
// every page is checked with axe): a teacher logs a concern (without JavaScript, the body map's text path), the
// DSL triages it with reasons and refers it (pre-filled), the front door acknowledges, checks and decides with a
// rationale, and the DSL follows the referral's status page to the decision. Used by the browser test and by
// `npm run screenshots`.
import assert from 'node:assert/strict'
import { openBrowser, type BrowserSession } from './browser.ts'
import { signInAs } from './flows.ts'
import { Page } from './pages/index.ts'
import { ConcernFormPage, ConcernPage, TriageQueuePage, ReferralFormPage, ReferralStatusPage, FrontDoorQueuePage, FrontDoorReferralPage } from './pages/front-door.ts'
import type { E2eServer } from './server.ts'

export const SEEN = 'Four oval bruises on her left upper arm, seen when she rolled up her sleeve in PE.'
export const CHILD_WORDS = 'Dad grabbed me when I spilt my drink'
export const DSL_REASONS = 'An injury with a disclosure of physical chastisement: the threshold for a referral is met.'
export const CHECK = 'Police: two domestic incidents at the address this year.'
export const RATIONALE = 'An injury with a disclosure, and domestic abuse at home: a child and family assessment will start this week, with a joint home visit.'

export interface FrontDoorJourney {
  childName: string
  concernId: string
  referralId: string
  teacher: BrowserSession
  dsl: BrowserSession
  frontDoor: BrowserSession
  status: ReferralStatusPage
}

export async function frontDoorJourney(server: E2eServer, opts: { width?: number } = {}): Promise<FrontDoorJourney> {
  const width = opts.width ?? 1280
  // 1. a teacher logs a concern, with JavaScript off
  const teacher = await openBrowser(server.baseUrl, { javaScriptEnabled: false, width })
  const home = await signInAs(teacher.page, server, 'teacher.brookside')
  const pupils = await home.children()
  const child = pupils.find((c) => c.why.includes('Pupil at your school') && !pupils.some((o) => o !== c && o.name === c.name))
  assert.ok(child, 'the teacher has a pupil with a name no other pupil shares')
  const childName = child.name

  const form = await ConcernFormPage.visit(teacher.page)
  await form.submit()
  const invalid = await Page.verifyOnPage(ConcernFormPage, teacher.page)
  assert.deepEqual((await invalid.errorMessages()).sort(), ['Choose the child or children the concern is about', 'Choose the kind of concern', 'Describe what you saw or heard', 'Say whether the child is in immediate danger'].sort())
  await invalid.chooseChild(childName)
  await invalid.fill({ category: 'Physical abuse', seenOrHeard: SEEN, childWords: CHILD_WORDS, time: '09:10', location: 'PE changing room', mark: { region: 'Left arm', description: 'Four oval bruises, blue-purple, fingertip-sized' }, immediateDanger: 'No' })
  await invalid.submit()
  const logged = await Page.verifyOnPage(ConcernPage, teacher.page, childName)
  assert.match((await logged.banner()) ?? '', /Concern logged/)
  const concernId = logged.id()

  // 2. the DSL triages it, with reasons, and refers it to the front door
  const dsl = await openBrowser(server.baseUrl, { width })
  await signInAs(dsl.page, server, 'dsl.brookside')
  const queue = await TriageQueuePage.visit(dsl.page)
  await queue.open(concernId)
  const concern = await Page.verifyOnPage(ConcernPage, dsl.page, childName)
  assert.match(await concern.decisionsAndReasons(), new RegExp(CHILD_WORDS))
  await concern.recordDecision({ actions: ['Refer to the front door'], outcome: 'Escalated (referral, police or early help)', reasons: DSL_REASONS })
  const triaged = await Page.verifyOnPage(ConcernPage, dsl.page, childName)
  await triaged.referToFrontDoor()
  const referral = await Page.verifyOnPage(ReferralFormPage, dsl.page)
  assert.match(await referral.whatYouAreWorriedAbout(), new RegExp(SEEN), 'the referral is pre-filled from the concern')
  await referral.send()
  const missing = await Page.verifyOnPage(ReferralFormPage, dsl.page)
  assert.deepEqual((await missing.errorMessages()).sort(), ['Choose the level of need you believe applies', 'Say why you believe this level applies', 'Say whether the parents or carers know about this referral', 'Choose how urgent it is'].sort())
  await missing.fill({ level: 'Level 3', levelReason: 'Physical injury with a disclosure', parentsKnow: 'No', parentsNotToldReason: 'Telling dad first could put her at risk', urgency: 'Today' })
  await missing.send()
  const sent = await Page.verifyOnPage(ReferralStatusPage, dsl.page, childName)
  const referralId = sent.id()
  assert.match(await sent.status(), /Received/)

  // 3. the front door acknowledges, checks and decides with a rationale
  const frontDoor = await openBrowser(server.baseUrl, { width })
  await signInAs(frontDoor.page, server, 'frontdoor')
  const fdQueue = await FrontDoorQueuePage.visit(frontDoor.page)
  await fdQueue.open(referralId)
  const work = await Page.verifyOnPage(FrontDoorReferralPage, frontDoor.page, childName)
  await work.acknowledge()
  const acknowledged = await Page.verifyOnPage(FrontDoorReferralPage, frontDoor.page, childName)
  assert.match(await acknowledged.caption(), /Acknowledged/)
  await acknowledged.recordCheck('Police', CHECK)
  const checked = await Page.verifyOnPage(FrontDoorReferralPage, frontDoor.page, childName)
  await checked.decide({ decision: 'Child and family assessment', level: 'Level 3', rationale: RATIONALE })
  await Page.verifyOnPage(FrontDoorReferralPage, frontDoor.page, childName)

  // 4. the referrer follows the status page to the decision and its reasons
  await dsl.page.goto(`/referrals/${referralId}`)
  const status = await Page.verifyOnPage(ReferralStatusPage, dsl.page, childName)
  return { childName, concernId, referralId, teacher, dsl, frontDoor, status }
}
