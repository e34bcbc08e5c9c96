import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { disablePractitionerOf, membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import type { Agent } from '../../../test/support/agent.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'
import { clockPort } from '../calendar/clocks.ts'
import { GOLDEN_RULES } from '../sharing/codes.ts'
import { requestDueAt } from './rules.ts'
import { hasPermission, isRole } from '../../access/policy.ts'
import { childInReach, membershipReachesChild } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'

const agency = (k: string) => stableUuid(`northshire:agency:${k}`)
const team = (a: string, t: string) => stableUuid(`northshire:team:${a}:${t}`)
const POLICE = agency('police')
const HEALTH = agency('health')
const GP = agency('gp')
const BROOKSIDE = agency('brookside')
const CSC = agency('csc')
const ALL_RULES = GOLDEN_RULES.map((r) => r.code)

/** The answer form's sharing decision: public task, no consent sought (with why), every golden rule held. */
const SHARING = {
  purpose: 'request_answer',
  categories: 'police',
  lawfulBasis: '6.1.e',
  specialCategory: 'no',
  consent: 'not_sought',
  consentReason: 'Asking the parents first could put the child at risk while the front door decides',
  goldenRules: ALL_RULES,
  reasons: 'The front door needs what we hold to decide its response to a contact',
  outsideAgreementReason: 'The partnership agreement is still being drafted; the front door needs this today',
}

/** Health information is special-category data: Article 9(2)(g) with Schedule 1 paragraph 18, and why without consent. */
const HEALTH_SHARING = { ...SHARING, categories: 'health', specialCategory: 'yes', art9Condition: '9.2.g', schedule1Condition: 'sch1.18', para18Reason: 'would_prejudice' }

describeApp('information requests between agencies', (ctx) => {
  const db = () => ctx.s.t.db
  let childId: string
  let child2Id: string
  const ids: Record<string, string> = {}

  const requestsOf = (c: string) => db().selectFrom('information_request').selectAll().where('child_id', '=', c).orderBy('created_at').execute()
  const requestTo = async (c: string, agencyId: string) => (await requestsOf(c)).filter((q) => q.to_agency_id === agencyId).at(-1)!
  const clockOf = (requestId: string) => db().selectFrom('clock').selectAll().where('subject_type', '=', 'information_request').where('subject_id', '=', requestId).executeTakeFirstOrThrow()
  const auditOf = (action: string, key?: string) => {
    let q = db().selectFrom('audit_event').selectAll().where('action', '=', action)
    if (key) q = q.where('actor_membership_id', '=', membershipOf(key))
    return q.orderBy('id', 'desc').execute()
  }
  const notificationsOf = (key: string, kind: string) => db().selectFrom('notification').selectAll().where('membership_id', '=', membershipOf(key)).where('kind', '=', kind).execute()

  async function makeChild(given: string, nhs: string): Promise<string> {
    const id = randomUUID()
    const at = new Date('2026-11-01T09:00:00Z')
    await db().insertInto('child').values({ id, partnership_id: P, given_name: given, family_name: 'Requestson', date_of_birth: '2017-04-03', expected_date_of_birth: null, sex: 'female', nhs_number: nhs, upn: null, ethnicity: null, first_language: null, disability: null, created_at: at }).execute()
    await db().insertInto('child_address').values({ id: randomUUID(), partnership_id: P, child_id: id, line1: '14 Orchard Close', line2: null, town: 'Northford', postcode: 'NS3 4QZ', from_date: '2024-01-01', to_date: null, confidential_reason: null, visible_to_roles: null }).execute()
    const rel = (type: 'front_door_contact' | 'pupil_at', holder: { team?: string; agency?: string }) => ({
      id: randomUUID(),
      partnership_id: P,
      child_id: id,
      type,
      holder_agency_id: holder.agency ?? null,
      holder_team_id: holder.team ?? null,
      holder_membership_id: null,
      starts_at: at,
      ends_at: null,
      source: 'test',
      reason: 'test',
      created_by_membership_id: null,
      created_at: at,
    })
    await db().insertInto('relationship').values([rel('front_door_contact', { team: team('csc', 'front-door') }), rel('pupil_at', { agency: BROOKSIDE })]).execute()
    return id
  }

  async function answerAs(agent: Agent, requestId: string, form: Record<string, string | string[]>) {
    await agent.get(`/information-requests/${requestId}`)
    return agent.post(`/information-requests/${requestId}/answer`, form)
  }

  it('the front door asks three agencies at once: one request each, on a 3-working-day clock, each agency’s answering roles told', async () => {
    childId = await makeChild('Ivy', '9990001234')
    child2Id = await makeChild('Rosa', '9990005678')
    const fd = await ctx.s.signIn('frontdoor')
    const page = await fd.get(`/children/${childId}/information-requests`)
    assert.equal(page.statusCode, 200, page.body.slice(0, 300))
    assert.match(page.body, /Ask agencies what they know/)
    assert.match(page.body, /Northshire Police/)
    assert.match(page.body, /Brookside Primary School/)
    assert.match(page.body, /Answered by its designated safeguarding leads and deputy designated safeguarding leads/)
    assert.match(page.body, /Answered by its school nurses, health visitors and GPs/)
    assert.doesNotMatch(page.body, new RegExp(`value="${CSC}"`), 'the asking agency is not offered')
    // Monday 23 November 10:00: standard = 3 working days → Thursday 26 November 17:00
    assert.match(page.body, /26 November 2026 at 5(:00)?pm/)
    assert.match(page.body, /23 November 2026 at 5(:00)?pm/, 'urgent: by the end of today')

    const res = await fd.post(`/children/${childId}/information-requests`, { agencies: [POLICE, BROOKSIDE, HEALTH], question: 'We have a contact about Ivy. What do you know about the household in the last 12 months?', urgency: 'standard' })
    assert.equal(res.statusCode, 303, res.body.slice(0, 500))
    assert.match(res.headers.location as string, /asked=3/)
    const rows = await requestsOf(childId)
    assert.equal(rows.length, 3)
    assert.equal(new Set(rows.map((q) => q.batch_id)).size, 1, 'asked together')
    for (const q of rows) {
      assert.equal(q.status, 'open')
      assert.equal(q.urgency, 'standard')
      assert.equal(q.requested_by, membershipOf('frontdoor'))
      assert.equal(q.due_at.toISOString(), '2026-11-26T17:00:00.000Z')
      const clock = await clockOf(q.id)
      assert.equal(clock.rule, 'IR')
      assert.equal(clock.state, 'running')
      assert.equal(clock.due_at.toISOString(), '2026-11-26T17:00:00.000Z')
      assert.equal(clock.escalate_to_membership_id, q.escalate_to_membership_id)
    }
    ids.police = (await requestTo(childId, POLICE)).id
    ids.school = (await requestTo(childId, BROOKSIDE)).id
    ids.health = (await requestTo(childId, HEALTH)).id
    // escalation: the school's headteacher; the police and health have no manager here → the requester's team manager
    assert.equal((await requestTo(childId, BROOKSIDE)).escalate_to_membership_id, membershipOf('head.brookside'))
    assert.equal((await requestTo(childId, POLICE)).escalate_to_membership_id, membershipOf('manager.frontdoor'))
    assert.equal((await requestTo(childId, HEALTH)).escalate_to_membership_id, membershipOf('manager.frontdoor'))

    // each agency's answering roles are told (and nobody else)
    for (const key of ['police.mash', 'police.missing', 'dsl.brookside', 'deputy.brookside', 'nurse', 'hv']) {
      const n = await notificationsOf(key, 'request.asked')
      assert.ok(n.some((x) => x.child_id === childId), `${key} is told`)
    }
    assert.equal((await notificationsOf('gp', 'request.asked')).filter((x) => x.child_id === childId).length, 0, 'the GP practice was not asked')
    assert.equal((await notificationsOf('teacher.brookside', 'request.asked')).length, 0)
    const mail = await db().selectFrom('outbox').select('body').where('to_address', '=', 'police.mash@northshire.example').orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    assert.doesNotMatch(mail.body, /Ivy|Requestson/, 'no personal data in email')

    // the asking is in the chronology (not the question), and audited
    const asked = await db().selectFrom('entry').selectAll().where('child_id', '=', childId).where('type', '=', 'information_request').executeTakeFirstOrThrow()
    assert.equal(asked.visibility, 'front_door')
    assert.match(asked.summary, /Asked .*Northshire Police/)
    assert.doesNotMatch(asked.summary, /household/)
    const [audit] = await auditOf('request.ask', 'frontdoor')
    assert.equal(audit!.outcome, 'success')
    assert.deepEqual(audit!.child_ids, [childId])
    assert.deepEqual([...(audit!.details as { requests: string[] }).requests].sort(), rows.map((q) => q.id).sort())
    assert.equal((await auditOf('request.ask-page', 'frontdoor'))[0]!.outcome, 'success')

    const mine = await fd.get('/information-requests')
    assert.equal(mine.statusCode, 200)
    assert.match(mine.body, /Ivy Requestson/)
    assert.equal((await auditOf('request.mine', 'frontdoor'))[0]!.outcome, 'success')
  })

  it('the police see the request in their inbox — only what identifies the child and the question, not the chronology', async () => {
    const police = await ctx.s.signIn('police.mash')
    const inbox = await police.get('/information-requests/inbox')
    assert.equal(inbox.statusCode, 200)
    assert.match(inbox.body, /Requests for information/)
    assert.match(inbox.body, new RegExp(`/information-requests/${ids.police}`))
    assert.match(inbox.body, /26 November 2026 at 5(:00)?pm/)
    assert.doesNotMatch(inbox.body, new RegExp(ids.school!), 'the school’s request is the school’s')
    const [inboxAudit] = await auditOf('request.inbox', 'police.mash')
    assert.ok((inboxAudit!.details as { open: string[] }).open.includes(ids.police!))

    const page = await police.get(`/information-requests/${ids.police}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Ivy Requestson/)
    assert.match(page.body, /3 April 2017/)
    assert.match(page.body, /9990001234/)
    assert.match(page.body, /14 Orchard Close, Northford, NS3 4QZ/)
    assert.match(page.body, /What do you know about the household/)
    assert.match(page.body, /Joanne Clarke/)
    assert.match(page.body, /Answer for Northshire Police/)
    assert.doesNotMatch(page.body, /Withdraw the request/)
    const [view] = await auditOf('request.view', 'police.mash')
    assert.equal(view!.outcome, 'success')
    assert.deepEqual(view!.child_ids, [childId])
    assert.equal((view!.details as { as: string }).as, 'answerer')
    // the request opens no chronology
    assert.equal((await police.get(`/children/${childId}`)).statusCode, 404)
    assert.equal((await police.get(`/children/${childId}/chronology`)).statusCode, 404)
  })

  it('a different agency (or a role with no part in it) gets the same 404 as a request that does not exist', async () => {
    const absent = `/information-requests/${randomUUID()}`
    for (const key of ['gp', 'sw.north', 'dsl.academy', 'teacher.brookside', 'ig']) {
      const a = await ctx.s.signIn(key)
      const missing = await a.get(absent)
      const other = await a.get(`/information-requests/${ids.police}`)
      assert.equal(other.statusCode, 404, `${key} views`)
      assert.equal(missing.statusCode, 404)
      const strip = (s: string) => s.replace(/nonce-[^'"]+|nonce="[^"]+"|value="[^"]*"/g, '')
      assert.equal(strip(other.body), strip(missing.body), `${key}: the same page as a request that does not exist`)
      await a.get('/')
      const answer = await a.post(`/information-requests/${ids.police}/answer`, { response: 'nothing_known', ...SHARING })
      assert.equal(answer.statusCode, 404, `${key} answers`)
      const withdraw = await a.post(`/information-requests/${ids.police}/withdraw`, { withdrawReason: 'Not mine' })
      assert.equal(withdraw.statusCode, 404, `${key} withdraws`)
      const api = await a.get(`/api/v1/information-requests/${ids.police}`)
      assert.equal(api.statusCode, 404)
      assert.match(api.headers['content-type'] as string, /application\/problem\+json/)
    }
    // the practitioner an overdue request would escalate to is no party to it before it is overdue
    const head = await ctx.s.signIn('head.brookside')
    assert.equal((await head.get(`/information-requests/${ids.school}`)).statusCode, 404, 'the escalation target, before the request is overdue')
    assert.equal((await head.get(`/api/v1/information-requests/${ids.school}`)).statusCode, 404)
    const gp = await ctx.s.signIn('gp')
    const inbox = await gp.get('/information-requests/inbox')
    assert.equal(inbox.statusCode, 200)
    assert.doesNotMatch(inbox.body, new RegExp(ids.police!))
    // the request to the police is still open, untouched
    assert.equal((await requestTo(childId, POLICE)).status, 'open')
    const refused = await db().selectFrom('audit_event').select('outcome').where('action', '=', 'request.view').where('entity_id', '=', ids.police!).where('outcome', '=', 'not_found').execute()
    assert.ok(refused.length >= 4, 'each refused look is audited as not found')
    // another child's page: the asking page is 404 without a relationship
    const police = await ctx.s.signIn('police.mash')
    assert.equal((await police.get(`/children/${childId}/information-requests`)).statusCode, 404)
  })

  it('the police answer with two entries: their agency record of the child is made, the entries land in the chronology with their visibility, the requester is told', async () => {
    const police = await ctx.s.signIn('police.mash')
    // add another entry: the form grows, nothing is saved
    await police.get(`/information-requests/${ids.police}`)
    const grown = await police.post(`/information-requests/${ids.police}/answer`, { action: 'add', entryCount: '1', response: 'share', e1Summary: 'Kept text' })
    assert.equal(grown.statusCode, 200)
    assert.match(grown.body, /Entry 2/)
    assert.match(grown.body, /Kept text/)
    const res = await police.post(`/information-requests/${ids.police}/answer`, {
      action: 'answer',
      entryCount: '3',
      response: 'share',
      e1Summary: 'Domestic incident at the address: police attended, no arrests; children present.',
      e1OccurredOn: '2026-08-14',
      e1Significance: 'high',
      e1Visibility: 'team',
      e2Summary: 'Intelligence about an adult visiting the address (restricted).',
      e2OccurredOn: '2026-10-02',
      e2Significance: 'medium',
      e2Visibility: 'restricted',
      e3Summary: '',
      e3OccurredOn: '',
      ...SHARING,
    })
    assert.equal(res.statusCode, 303, res.body.slice(0, 2000))
    const q = await requestTo(childId, POLICE)
    assert.equal(q.status, 'answered')
    assert.equal(q.nothing_known, false)
    assert.equal(q.responded_by, membershipOf('police.mash'))
    assert.ok(q.agency_record_id)
    assert.ok(q.sharing_decision_id)
    // the agency record, linked to the child the requester named, and the relationship it brings
    const record = await db().selectFrom('agency_record').selectAll().where('id', '=', q.agency_record_id!).executeTakeFirstOrThrow()
    assert.equal(record.agency_id, POLICE)
    assert.equal(record.child_id, childId)
    assert.equal(record.match_state, 'matched')
    assert.equal(record.nhs_number, '9990001234')
    const rel = await db().selectFrom('relationship').selectAll().where('child_id', '=', childId).where('type', '=', 'agency_record').where('holder_agency_id', '=', POLICE).executeTakeFirstOrThrow()
    assert.equal(rel.source, `agency record ${record.id}`)
    assert.equal((await db().selectFrom('link_decision').select('kind').where('agency_record_id', '=', record.id).executeTakeFirstOrThrow()).kind, 'auto')
    const entries = await db().selectFrom('entry').selectAll().where('detail_type', '=', 'information_request').where('detail_id', '=', ids.police!).where('type', '=', 'information_shared').orderBy('occurred_at').execute()
    assert.equal(entries.length, 2, 'the blank third row is left out')
    assert.deepEqual(entries.map((e) => e.visibility), ['team', 'restricted'])
    assert.deepEqual(entries.map((e) => e.significance), ['high', 'medium'])
    for (const e of entries) {
      assert.equal(e.agency_record_id, record.id)
      assert.equal(e.source_agency_id, POLICE)
      assert.equal(e.addressed_to_membership_id, membershipOf('frontdoor'))
      assert.equal(e.occurred_time_known, false)
    }
    assert.deepEqual([...entries[1]!.restricted_agency_ids].sort(), [POLICE, CSC].sort())
    // the sharing decision, in the same transaction, about exactly these entries
    const decision = await db().selectFrom('sharing_decision').selectAll().where('id', '=', q.sharing_decision_id!).executeTakeFirstOrThrow()
    assert.equal(decision.shared, true)
    assert.equal(decision.context, 'request_answer')
    assert.equal(decision.context_id, q.id)
    assert.deepEqual(decision.with_agency_ids, [CSC])
    assert.deepEqual([...decision.entry_ids].sort(), entries.map((e) => e.id).sort())
    assert.equal(decision.lawful_basis, '6.1.e')
    assert.equal(decision.author_membership_id, membershipOf('police.mash'))
    // the clock is met, the requester told, one audit row
    const clock = await clockOf(q.id)
    assert.equal(clock.state, 'met')
    assert.ok((await notificationsOf('frontdoor', 'request.answered')).some((n) => n.subject_id === q.id))
    const audits = await db().selectFrom('audit_event').selectAll().where('actor_membership_id', '=', membershipOf('police.mash')).where('action', 'in', ['request.answer', 'sharing.decision.record']).where('outcome', '=', 'success').execute()
    assert.equal(audits.length, 1, 'one audit row for the answer (the sharing decision is in it)')
    assert.equal(audits[0]!.action, 'request.answer')
    const details = audits[0]!.details as { entries: string[]; createdAgencyRecord: boolean; sharingDecision: { id: string } }
    assert.deepEqual([...details.entries].sort(), entries.map((e) => e.id).sort())
    assert.equal(details.createdAgencyRecord, true)
    assert.equal(details.sharingDecision.id, decision.id)

    const after = await police.get(`/information-requests/${ids.police}?saved=answered`)
    assert.match(after.body, /Answer recorded/)
    assert.doesNotMatch(after.body, /Answer for Northshire Police/, 'answered: no form any more')
    assert.match(after.body, /Domestic incident at the address/)
    // answering again: refused as a step the request's state does not allow
    const again = await police.post(`/information-requests/${ids.police}/answer`, { action: 'answer', entryCount: '1', response: 'nothing_known', ...SHARING })
    assert.equal(again.statusCode, 409)
    assert.match(again.body, /already been answered/)
  })

  it('the requester sees the answers on the request and in the chronology; others see them by their visibility', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const page = await fd.get(`/information-requests/${ids.police}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Domestic incident at the address/)
    assert.match(page.body, /Intelligence about an adult visiting the address/)
    assert.match(page.body, /Answered/)
    assert.doesNotMatch(page.body, /Withdraw the request/, 'answered: nothing to withdraw')
    const chronology = await fd.get(`/children/${childId}/chronology`)
    assert.equal(chronology.statusCode, 200)
    assert.match(chronology.body, /Domestic incident at the address/)
    assert.match(chronology.body, /Intelligence about an adult visiting the address/)
    // the school's DSL reaches the child as a pupil: the team entry, not the entry restricted to the police and social care
    const dsl = await ctx.s.signIn('dsl.brookside')
    const theirs = await dsl.get(`/children/${childId}/chronology`)
    assert.equal(theirs.statusCode, 200)
    assert.match(theirs.body, /Domestic incident at the address/)
    assert.doesNotMatch(theirs.body, /Intelligence about an adult/)
    // and the police, now holding their own record, see their own answers in the chronology
    const police = await ctx.s.signIn('police.mash')
    const own = await police.get(`/children/${childId}/chronology`)
    assert.equal(own.statusCode, 200)
    assert.match(own.body, /Intelligence about an adult/)
  })

  it('another answerer of the same agency sees its answers on the request, but never a sealed one (another team’s) or one restricted to other roles', async () => {
    const at = new Date('2026-11-23T11:00:00Z')
    const answer = (summary: string, visibility: 'sealed' | 'restricted', roles: string[]) => ({
      id: randomUUID(),
      partnership_id: P,
      child_id: childId,
      agency_record_id: null,
      type: 'information_shared',
      category: null,
      occurred_at: at,
      occurred_time_known: false,
      recorded_at: at,
      author_membership_id: membershipOf('police.mash'),
      author_team_id: team('police', 'mash-desk'),
      source_agency_id: POLICE,
      significance: 'high' as const,
      summary,
      detail_type: 'information_request',
      detail_id: ids.police!,
      visibility,
      restricted_agency_ids: visibility === 'restricted' ? [POLICE, CSC] : [],
      restricted_roles: roles,
      addressed_to_membership_id: membershipOf('frontdoor'),
      supersedes_entry_id: null,
    })
    await db().insertInto('entry').values([answer('Sealed answer about a protected witness', 'sealed', []), answer('Answer for social workers only', 'restricted', ['front_door_social_worker'])]).execute()
    const other = await ctx.s.signIn('police.missing')
    const page = await other.get(`/information-requests/${ids.police}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Domestic incident at the address/, 'the agency’s own answers are shown to its answerers')
    assert.doesNotMatch(page.body, /protected witness/, 'a sealed answer stays with its authoring team')
    assert.doesNotMatch(page.body, /social workers only/, 'an answer restricted to other roles is not shown')
    const api = await other.get(`/api/v1/information-requests/${ids.police}`)
    assert.equal(api.statusCode, 200)
    assert.doesNotMatch(api.body, /protected witness|social workers only/)
    const author = await ctx.s.signIn('police.mash')
    assert.match((await author.get(`/information-requests/${ids.police}`)).body, /protected witness/, 'the authoring team sees its sealed answer')
  })

  it('the school’s deputy DSL declines, with the reasons: recorded as a decision not to share, the requester told why', async () => {
    const deputy = await ctx.s.signIn('deputy.brookside')
    const res = await answerAs(deputy, ids.school!, { action: 'answer', entryCount: '1', response: 'decline', ...SHARING, categories: 'education', reasons: 'The question is about the household, not school: our records hold nothing relevant that is ours to share without the parents’ consent.' })
    assert.equal(res.statusCode, 303, res.body.slice(0, 2000))
    const q = await requestTo(childId, BROOKSIDE)
    assert.equal(q.status, 'declined')
    assert.match(q.response_note ?? '', /ours to share without the parents/)
    const decision = await db().selectFrom('sharing_decision').selectAll().where('id', '=', q.sharing_decision_id!).executeTakeFirstOrThrow()
    assert.equal(decision.shared, false)
    assert.equal(decision.context, 'request_answer')
    assert.equal((await clockOf(q.id)).state, 'met')
    assert.equal(await db().selectFrom('entry').select('id').where('detail_id', '=', q.id).where('type', '=', 'information_shared').executeTakeFirst(), undefined, 'nothing shared')
    assert.equal(await db().selectFrom('agency_record').select('id').where('child_id', '=', childId).where('agency_id', '=', BROOKSIDE).executeTakeFirst(), undefined, 'no record made')
    assert.ok((await notificationsOf('frontdoor', 'request.declined')).some((n) => n.subject_id === q.id))
    const [audit] = await auditOf('request.answer', 'deputy.brookside')
    assert.equal((audit!.details as { response: string }).response, 'decline')
    const fd = await ctx.s.signIn('frontdoor')
    const page = await fd.get(`/information-requests/${q.id}`)
    assert.match(page.body, /Declined/)
    assert.match(page.body, /ours to share without the parents/)
  })

  it('bad input: every form answers 400 with the error summary and keeps what was typed; nothing is saved', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(`/children/${child2Id}/information-requests`)
    const before = (await requestsOf(child2Id)).length
    const empty = await fd.post(`/children/${child2Id}/information-requests`, { question: '' })
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, /govuk-error-summary/)
    assert.match(empty.body, /Choose at least one agency to ask/)
    assert.match(empty.body, /Write your question/)
    assert.match(empty.body, /Say whether the request is urgent/)
    const own = await fd.post(`/children/${child2Id}/information-requests`, { agencies: CSC, question: 'Kept question', urgency: 'urgent' })
    assert.equal(own.statusCode, 400)
    assert.match(own.body, /Your own agency is not asked/)
    assert.match(own.body, /Kept question/)
    const unknown = await fd.post(`/children/${child2Id}/information-requests`, { agencies: [POLICE, randomUUID()], question: 'Q', urgency: 'urgent' })
    assert.equal(unknown.statusCode, 400)
    assert.match(unknown.body, /Choose agencies from the list/)
    const notUuid = await fd.post(`/children/${child2Id}/information-requests`, { agencies: 'police', question: 'Q', urgency: 'urgent' })
    assert.equal(notUuid.statusCode, 400)
    const badUrgency = await fd.post(`/children/${child2Id}/information-requests`, { agencies: POLICE, question: 'Q', urgency: 'tomorrow' })
    assert.equal(badUrgency.statusCode, 400)
    const long = await fd.post(`/children/${child2Id}/information-requests`, { agencies: POLICE, question: 'x'.repeat(5001), urgency: 'standard' })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, /5,000 characters or fewer/)
    const badReferral = await fd.post(`/children/${child2Id}/information-requests`, { agencies: POLICE, question: 'Q', urgency: 'standard', referral: randomUUID() })
    assert.equal(badReferral.statusCode, 400)
    assert.match(badReferral.body, /The referral is not this child’s/)
    // a child out of reach: 404, not an error page about the form
    assert.equal((await fd.post(`/children/${randomUUID()}/information-requests`, { agencies: POLICE, question: 'Q', urgency: 'standard' })).statusCode, 404)
    assert.equal((await requestsOf(child2Id)).length, before, 'nothing was asked')
    // asking the same agency again while the first request is open is refused
    await fd.get(`/children/${childId}/information-requests`)
    const twice = await fd.post(`/children/${childId}/information-requests`, { agencies: HEALTH, question: 'Again', urgency: 'standard' })
    assert.equal(twice.statusCode, 400)
    assert.match(twice.body, /already have an open request to Northshire Community Health NHS Trust/)

    // the answer form
    const nurse = await ctx.s.signIn('nurse')
    await nurse.get(`/information-requests/${ids.health}`)
    const blank = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '1' })
    assert.equal(blank.statusCode, 400)
    assert.match(blank.body, /govuk-error-summary/)
    assert.match(blank.body, /Say whether your agency holds information/)
    assert.match(blank.body, /Say whether it includes special-category data/)
    const badEntry = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '2', response: 'share', e1Summary: '', e1OccurredOn: '2026-02-30', e1Significance: 'huge', e1Visibility: 'everyone', e2Summary: 'Second kept', e2OccurredOn: '2027-01-01', e2Significance: 'low', e2Visibility: 'team', ...SHARING, categories: 'health' })
    assert.equal(badEntry.statusCode, 400)
    assert.match(badEntry.body, /href="#e1Summary"/)
    assert.match(badEntry.body, /href="#e1OccurredOn"/)
    assert.match(badEntry.body, /href="#e1Significance"/)
    assert.match(badEntry.body, /href="#e1Visibility"/)
    assert.match(badEntry.body, /The date cannot be in the future/)
    assert.match(badEntry.body, /Second kept/)
    const badSharing = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '1', response: 'share', e1Summary: 'Seen for a review', e1OccurredOn: '2026-11-02', e1Significance: 'low', e1Visibility: 'team', purpose: 'gossip', specialCategory: 'yes', consent: 'refused', goldenRules: ['recorded'], reasons: '' })
    assert.equal(badSharing.statusCode, 400)
    assert.match(badSharing.body, /href="#purpose"/)
    assert.match(badSharing.body, /href="#lawfulBasis"/)
    assert.match(badSharing.body, /href="#art9Condition"/)
    assert.match(badSharing.body, /href="#consentReason"/)
    assert.match(badSharing.body, /href="#goldenRules"/)
    assert.match(badSharing.body, /href="#reasons"/)
    assert.match(badSharing.body, /Seen for a review/)
    const declineNoReasons = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '1', response: 'decline', ...SHARING, reasons: '' })
    assert.equal(declineNoReasons.statusCode, 400)
    assert.match(declineNoReasons.body, /Give the reasons your agency declines to share/)
    // a field sent twice (a hand-made request) is refused, not saved empty
    const noteTwice = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '1', response: 'nothing_known', note: ['Checked SystmOne', 'and the caseload'], ...HEALTH_SHARING })
    assert.equal(noteTwice.statusCode, 400)
    assert.match(noteTwice.body, /href="#note"/)
    assert.match(noteTwice.body, /This answer was sent more than once/)
    assert.equal((await requestTo(childId, HEALTH)).status, 'open', 'nothing was answered')
    assert.equal(await db().selectFrom('entry').select('id').where('detail_id', '=', ids.health!).where('type', '=', 'information_shared').executeTakeFirst(), undefined)

    // the withdraw form needs the reason
    await fd.get(`/information-requests/${ids.health}`)
    const noReason = await fd.post(`/information-requests/${ids.health}/withdraw`, { withdrawReason: '  ' })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /Say why you are withdrawing the request/)
    assert.equal((await requestTo(childId, HEALTH)).status, 'open')
    // refused answers and asks are audited too
    assert.ok((await db().selectFrom('audit_event').select('id').where('action', '=', 'request.ask').where('outcome', '=', 'refused').execute()).length >= 3)
  })

  it('the requester withdraws a request with the reason: the clock stops, the agency is told, it can no longer be answered', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(`/children/${childId}/information-requests`)
    const res = await fd.post(`/children/${childId}/information-requests`, { agencies: GP, question: 'Is Ivy registered with you, and any missed appointments?', urgency: 'urgent' })
    assert.equal(res.statusCode, 303)
    const q = await requestTo(childId, GP)
    assert.equal(q.urgency, 'urgent')
    assert.equal((await clockOf(q.id)).rule, 'IRU')
    await fd.get(`/information-requests/${q.id}`)
    const w = await fd.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'The GP has phoned the front door with the answer.' })
    assert.equal(w.statusCode, 303)
    const after = await requestTo(childId, GP)
    assert.equal(after.status, 'withdrawn')
    assert.equal(after.withdrawn_reason, 'The GP has phoned the front door with the answer.')
    const withdrawnEntry = await db().selectFrom('entry').select('summary').where('detail_id', '=', q.id).where('summary', 'like', 'Withdrew%').executeTakeFirstOrThrow()
    assert.doesNotMatch(withdrawnEntry.summary, /phoned the front door/, 'the reason stays on the request, not in the team-visible entry')
    const clock = await clockOf(q.id)
    assert.equal(clock.state, 'stopped')
    assert.match(clock.reason ?? '', /withdrawn/)
    assert.ok((await notificationsOf('gp', 'request.withdrawn')).some((n) => n.subject_id === q.id))
    assert.equal((await auditOf('request.withdraw', 'frontdoor'))[0]!.entity_id, q.id)
    assert.deepEqual((await auditOf('request.withdraw', 'frontdoor'))[0]!.details, { as: 'requester' })
    const gp = await ctx.s.signIn('gp')
    const page = await gp.get(`/information-requests/${q.id}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Withdrawn/)
    assert.doesNotMatch(page.body, /Answer for Riverside/)
    const late = await gp.post(`/information-requests/${q.id}/answer`, { action: 'answer', entryCount: '1', response: 'nothing_known', ...HEALTH_SHARING })
    assert.equal(late.statusCode, 409, /govuk-error-summary[\s\S]*?<\/ul>/.exec(late.body)?.[0])
    assert.match(late.body, /already been withdrawn/)
    // withdrawing twice, or by someone else
    const again = await fd.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'Again' })
    assert.equal(again.statusCode, 409)
    assert.equal((await gp.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'Not mine' })).statusCode, 404)
  })

  it('the API: ask (idempotent), read, answer (problem+json for bad input, 404 out of scope, 409 twice)', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    const me = await fd.get('/api/v1/me')
    fd.csrf = (JSON.parse(me.body) as { csrfToken: string }).csrfToken
    const key = randomUUID()
    const body = { agencies: [POLICE], question: 'API: anything on Rosa?', urgency: 'standard', idempotencyKey: key }
    const made = await fd.postJson(`/api/v1/children/${child2Id}/information-requests`, body)
    assert.equal(made.statusCode, 201, made.body)
    const created = JSON.parse(made.body) as { requests: { id: string; dueAt: string }[]; replayed: boolean }
    assert.equal(created.requests.length, 1)
    assert.equal(created.replayed, false)
    const replay = await fd.postJson(`/api/v1/children/${child2Id}/information-requests`, body)
    assert.equal(replay.statusCode, 201)
    assert.equal(replay.headers['idempotent-replayed'], 'true')
    assert.equal((JSON.parse(replay.body) as { requests: { id: string }[] }).requests[0]!.id, created.requests[0]!.id)
    assert.equal((await requestsOf(child2Id)).length, 1, 'one request for the same key')
    const different = await fd.postJson(`/api/v1/children/${child2Id}/information-requests`, { ...body, question: 'Something else' })
    assert.equal(different.statusCode, 422)
    assert.match(different.headers['content-type'] as string, /application\/problem\+json/)
    assert.equal((await requestsOf(child2Id)).length, 1)
    // the repository keeps its own guard (a key is the practitioner's): the same ask once, another ask refused
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id']).where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()
    const repo = ctx.s.data.forActor({ kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: 'front_door_social_worker', requestId: 'test' }).requests
    const again = await repo.ask(child2Id, { agencyIds: [POLICE], question: body.question, urgency: 'standard', idempotencyKey: key })
    assert.equal(again?.replayed, true)
    assert.equal(again?.requests[0]!.id, created.requests[0]!.id)
    await assert.rejects(repo.ask(child2Id, { agencyIds: [POLICE], question: 'Something else', urgency: 'standard', idempotencyKey: key }), /already used for a different request/)
    const bad = await fd.postJson(`/api/v1/children/${child2Id}/information-requests`, { agencies: [], question: '', urgency: 'soon', idempotencyKey: 'x', extra: 1 })
    assert.equal(bad.statusCode, 400)
    const problem = JSON.parse(bad.body) as { 'invalid-params': { name: string }[] }
    const names = problem['invalid-params'].map((p) => p.name)
    for (const n of ['agencies', 'question', 'urgency', 'idempotencyKey']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`)
    assert.equal((await fd.postJson(`/api/v1/children/${randomUUID()}/information-requests`, { ...body, idempotencyKey: randomUUID() })).statusCode, 404)
    const ownAgency = await fd.postJson(`/api/v1/children/${child2Id}/information-requests`, { ...body, agencies: [CSC], idempotencyKey: randomUUID() })
    assert.equal(ownAgency.statusCode, 400)
    assert.equal((JSON.parse(ownAgency.body) as { 'invalid-params': { name: string }[] })['invalid-params'][0]!.name, 'agencies')

    const requestId = created.requests[0]!.id
    const got = await fd.get(`/api/v1/information-requests/${requestId}`)
    assert.equal(got.statusCode, 200)
    const json = JSON.parse(got.body) as { request: { status: string; childId: string }; child: { nhsNumber: string }; canWithdraw: boolean }
    assert.equal(json.request.status, 'open')
    assert.equal(json.request.childId, child2Id)
    assert.equal(json.child.nhsNumber, '9990005678')
    assert.equal(json.canWithdraw, true)

    const police = await ctx.s.signIn('police.missing')
    police.csrf = (JSON.parse((await police.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    const theirView = JSON.parse((await police.get(`/api/v1/information-requests/${requestId}`)).body) as { request: { childId: string | null }; canAnswer: boolean }
    assert.equal(theirView.request.childId, null, 'the agency asked is not given the child’s record id')
    assert.equal(theirView.canAnswer, true)
    const sharing = { purpose: 'request_answer', categories: ['police'], lawfulBasis: '6.1.e', specialCategory: false, consent: 'not_sought', consentReason: 'Risk to the child', goldenRules: Object.fromEntries(ALL_RULES.map((r) => [r, true])), reasons: 'Necessary for the front door’s decision', outsideAgreementReason: 'No agreement yet' }
    const badAnswer = await police.postJson(`/api/v1/information-requests/${requestId}/answers`, { response: 'share', entries: [{ summary: '', occurredOn: 'yesterday', significance: 'low', visibility: 'team' }], sharing: { ...sharing, lawfulBasis: '9.9' } }, { 'idempotency-key': randomUUID() })
    assert.equal(badAnswer.statusCode, 400)
    const badNames = (JSON.parse(badAnswer.body) as { 'invalid-params': { name: string }[] })['invalid-params'].map((p) => p.name)
    for (const n of ['entries.0.summary', 'entries.0.occurredOn', 'sharing.lawfulBasis']) assert.ok(badNames.includes(n), `${n} in ${badNames.join(', ')}`)
    const unknownField = await police.postJson(`/api/v1/information-requests/${requestId}/answers`, { response: 'nothing_known', sharing, admin: true }, { 'idempotency-key': randomUUID() })
    assert.equal(unknownField.statusCode, 400)
    const gp = await ctx.s.signIn('gp')
    gp.csrf = (JSON.parse((await gp.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    const notTheirs = await gp.postJson(`/api/v1/information-requests/${requestId}/answers`, { response: 'nothing_known', sharing }, { 'idempotency-key': randomUUID() })
    assert.equal(notTheirs.statusCode, 404)
    const noKey = await police.postJson(`/api/v1/information-requests/${requestId}/answers`, { response: 'nothing_known', sharing })
    assert.equal(noKey.statusCode, 400, 'an answer is a create: it needs an Idempotency-Key')
    const answerKey = randomUUID()
    const answer = { response: 'share', entries: [{ summary: 'Rosa reported missing overnight in September; found safe.', occurredOn: '2026-09-19', significance: 'high', visibility: 'team' }], sharing }
    const ok = await police.postJson(`/api/v1/information-requests/${requestId}/answers`, answer, { 'idempotency-key': answerKey })
    assert.equal(ok.statusCode, 201, ok.body)
    const resent = await police.postJson(`/api/v1/information-requests/${requestId}/answers`, answer, { 'idempotency-key': answerKey })
    assert.equal(resent.statusCode, 201)
    assert.equal(resent.headers['idempotent-replayed'], 'true')
    assert.equal(resent.body, ok.body, 'the same response, and one answer')
    const answered = JSON.parse(ok.body) as { status: string; entryIds: string[]; sharingDecisionId: string }
    assert.equal(answered.status, 'answered')
    assert.equal(answered.entryIds.length, 1)
    assert.equal((await db().selectFrom('entry').select('id').where('detail_id', '=', requestId).where('type', '=', 'information_shared').execute()).length, 1)
    const twice = await police.postJson(`/api/v1/information-requests/${requestId}/answers`, { response: 'nothing_known', sharing }, { 'idempotency-key': randomUUID() })
    assert.equal(twice.statusCode, 409)
    const read = JSON.parse((await fd.get(`/api/v1/information-requests/${requestId}`)).body) as { answers: { summary: string; occurredOn: string }[]; request: { status: string } }
    assert.equal(read.request.status, 'answered')
    assert.deepEqual(read.answers.map((a) => [a.summary, a.occurredOn]), [['Rosa reported missing overnight in September; found safe.', '2026-09-19']])
  })

  it('overdue requests escalate through the scheduler; a late answer needs its reason, and "nothing known" is recorded', async () => {
    // Friday 27 November 09:00: the health request was due Thursday 17:00
    ctx.s.clock.set('2026-11-27T09:00:00Z')
    const system = systemRepository({ db: db(), clock: ctx.s.clock }, 'scheduler')
    assert.ok((await system.escalateOverdueClocks()) >= 1)
    const clock = await clockOf(ids.health!)
    assert.equal(clock.state, 'overdue')
    assert.ok(clock.escalated_at)
    const told = await notificationsOf('manager.frontdoor', 'clock.overdue')
    const notice = told.find((n) => n.subject_id === ids.health)
    assert.ok(notice, 'the escalation target is told')
    assert.equal(notice.link, `/information-requests/${ids.health}`)
    const escalation = await db().selectFrom('audit_event').selectAll().where('action', '=', 'clock.escalate').where('actor_kind', '=', 'system').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.ok((escalation.details as { clocks: { id: string }[] }).clocks.some((c) => c.id === clock.id))

    const manager = await ctx.s.signIn('manager.frontdoor')
    const mine = await manager.get('/information-requests')
    assert.match(mine.body, /escalated to you/)
    assert.match(mine.body, new RegExp(ids.health!))
    const page = await manager.get(`/information-requests/${ids.health}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Overdue/)
    assert.match(page.body, /escalated to you/)
    assert.doesNotMatch(page.body, /Answer for/)

    const nurse = await ctx.s.signIn('nurse')
    const inbox = await nurse.get('/information-requests/inbox')
    assert.match(inbox.body, /1 request is overdue|requests are overdue/)
    const form = await nurse.get(`/information-requests/${ids.health}`)
    assert.match(form.body, /why is the answer late/)
    const noReason = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '1', response: 'nothing_known', note: 'Checked SystmOne and the school nursing caseload.', ...HEALTH_SHARING })
    assert.equal(noReason.statusCode, 400)
    assert.match(noReason.body, /href="#lateReason"/)
    assert.match(noReason.body, /record the reason the answer is late/)
    // the clock's refusal (clocks.meet), beside the late-reason field, not only in the summary
    assert.match(noReason.body, /id="lateReason-error"[^>]*>[\s\S]*?The request is overdue: record the reason the answer is late/)
    // the API names the field (400), as for any field's refusal: not a 409 of the request's state
    const apiSharing = { purpose: 'request_answer', categories: ['health'], lawfulBasis: '6.1.e', specialCategory: true, art9Condition: '9.2.g', schedule1Condition: 'sch1.18', para18Reason: 'would_prejudice', consent: 'not_sought', consentReason: 'Risk to the child', goldenRules: Object.fromEntries(ALL_RULES.map((r) => [r, true])), reasons: 'Necessary for the front door’s decision', outsideAgreementReason: 'No agreement yet' }
    const apiNoReason = await nurse.postJson(`/api/v1/information-requests/${ids.health}/answers`, { response: 'nothing_known', note: 'Checked SystmOne.', sharing: apiSharing }, { 'idempotency-key': randomUUID() })
    assert.equal(apiNoReason.statusCode, 400, apiNoReason.body)
    assert.deepEqual((JSON.parse(apiNoReason.body) as { 'invalid-params': { name: string; reason: string }[] })['invalid-params'], [{ name: 'lateReason', reason: 'The request is overdue: record the reason the answer is late' }])
    assert.equal((await requestTo(childId, HEALTH)).status, 'open')
    const ok = await nurse.post(`/information-requests/${ids.health}/answer`, { action: 'answer', entryCount: '1', response: 'nothing_known', note: 'Checked SystmOne and the school nursing caseload.', lateReason: 'The school nurse was on leave; picked up on her return.', ...HEALTH_SHARING })
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 1500))
    const q = await requestTo(childId, HEALTH)
    assert.equal(q.status, 'answered')
    assert.equal(q.nothing_known, true)
    assert.equal(q.response_note, 'Checked SystmOne and the school nursing caseload.')
    assert.equal(q.agency_record_id, null, 'knowing nothing makes no record of the child')
    const met = await clockOf(q.id)
    assert.equal(met.state, 'met_late')
    assert.match(met.reason ?? '', /on leave/)
    const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', q.id).where('type', '=', 'information_shared').executeTakeFirstOrThrow()
    assert.match(entry.summary, /nothing known/)
    assert.equal(entry.addressed_to_membership_id, membershipOf('frontdoor'))
    const decision = await db().selectFrom('sharing_decision').selectAll().where('id', '=', q.sharing_decision_id!).executeTakeFirstOrThrow()
    assert.equal(decision.shared, true)
    assert.match(decision.what, /holds no information/)
    const fd = await ctx.s.signIn('frontdoor')
    const seen = await fd.get(`/information-requests/${q.id}`)
    assert.match(seen.body, /Nothing known/)
    assert.match((await fd.get(`/children/${childId}/chronology`)).body, /nothing known about the child/)
  })

  it('due times on the working-day calendar: urgent by 17:00 that working day, standard on the partnership’s number of working days', async () => {
    const due = (urgency: 'urgent' | 'standard', at: string) => db().transaction().execute(async (trx) => (await requestDueAt(trx, clockPort, P, urgency, new Date(at))).toISOString())
    // Friday 4 December 2026, 16:00 London (GMT)
    assert.equal(await due('urgent', '2026-12-04T16:00:00Z'), '2026-12-04T17:00:00.000Z', 'urgent: the same working day')
    assert.equal(await due('standard', '2026-12-04T16:00:00Z'), '2026-12-09T17:00:00.000Z', 'standard: Mon, Tue, Wed')
    // Friday 17:30 is outside working hours: it counts from Monday
    assert.equal(await due('urgent', '2026-12-04T17:30:00Z'), '2026-12-07T17:00:00.000Z')
    // Saturday 5 December: counts from Monday 7
    assert.equal(await due('urgent', '2026-12-05T11:00:00Z'), '2026-12-07T17:00:00.000Z')
    assert.equal(await due('standard', '2026-12-05T11:00:00Z'), '2026-12-10T17:00:00.000Z')
    // across Christmas: Thursday 24 December urgent is that day; standard skips 25 and 28 December (bank holidays)
    assert.equal(await due('urgent', '2026-12-24T10:00:00Z'), '2026-12-24T17:00:00.000Z')
    assert.equal(await due('standard', '2026-12-24T10:00:00Z'), '2026-12-31T17:00:00.000Z')
    // summer time: 17:00 London is 16:00 UTC
    assert.equal(await due('urgent', '2027-06-04T15:00:00Z'), '2027-06-04T16:00:00.000Z')
    // the partnership's own number of working days
    await db().insertInto('partnership_setting').values({ partnership_id: P, key: 'requests.response_working_days', value: JSON.stringify(5), updated_at: new Date(), updated_by: null }).execute()
    assert.equal(await due('standard', '2026-12-04T16:00:00Z'), '2026-12-11T17:00:00.000Z')
    await db().updateTable('partnership_setting').set({ value: JSON.stringify('not a number') }).where('partnership_id', '=', P).where('key', '=', 'requests.response_working_days').execute()
    assert.equal(await due('standard', '2026-12-04T16:00:00Z'), '2026-12-09T17:00:00.000Z', 'a bad setting falls back to 3')

    // through the page, with the injected clock: Friday 16:00 urgent is due at 17:00 that day
    ctx.s.clock.set('2026-12-04T15:58:00Z')
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(`/children/${child2Id}/information-requests`)
    const res = await fd.post(`/children/${child2Id}/information-requests`, { agencies: HEALTH, question: 'Urgent: is Rosa known to the school nurse?', urgency: 'urgent' })
    assert.equal(res.statusCode, 303)
    const q = await requestTo(child2Id, HEALTH)
    assert.equal(q.due_at.toISOString(), '2026-12-04T17:00:00.000Z')
    assert.equal((await clockOf(q.id)).rule, 'IRU')
    // and on Saturday a standard request is due Thursday 17:00
    ctx.s.clock.set('2026-12-05T10:00:00Z')
    const fd2 = await ctx.s.signIn('frontdoor')
    await fd2.get(`/children/${child2Id}/information-requests`)
    assert.equal((await fd2.post(`/children/${child2Id}/information-requests`, { agencies: BROOKSIDE, question: 'Attendance this term?', urgency: 'standard' })).statusCode, 303)
    assert.equal((await requestTo(child2Id, BROOKSIDE)).due_at.toISOString(), '2026-12-10T17:00:00.000Z')
  })

  it('from the front door’s referral page: the link carries the referral, and the requests name it', async () => {
    const referralId = randomUUID()
    const at = ctx.s.clock.now()
    await db()
      .insertInto('referral')
      .values({ id: referralId, partnership_id: P, submission_id: randomUUID(), child_id: child2Id, kind: 'contact', source: 'school', source_agency_id: BROOKSIDE, referrer_membership_id: membershipOf('dsl.brookside'), referrer_name: null, referrer_contact: null, recorded_by_membership_id: membershipOf('dsl.brookside'), reason: 'Rosa came to school hungry again', level_believed: 3, level_reason: 'Persistent', parents_know: true, parents_not_told_reason: null, urgency: 'today', ppn_reference: null, queue_team_id: team('csc', 'front-door'), re_referral_of: null, received_at: at, acknowledged_at: null, acknowledged_by: null, decision: null, rationale: null, level_found: null, decided_by: null, decided_at: null, signed_off_by: null, signed_off_at: null, sign_off_note: null, referrer_told_at: null, idempotency_key: null, created_at: at })
      .execute()
    const fd = await ctx.s.signIn('frontdoor')
    const work = await fd.get(`/front-door/referrals/${referralId}`)
    assert.equal(work.statusCode, 200)
    assert.match(work.body, new RegExp(`/children/${child2Id}/information-requests\\?referral=${referralId}`))
    const page = await fd.get(`/children/${child2Id}/information-requests?referral=${referralId}`)
    assert.match(page.body, /during the front door’s checks/)
    assert.match(page.body, new RegExp(`name="referral" value="${referralId}"`))
    const res = await fd.post(`/children/${child2Id}/information-requests`, { agencies: GP, question: 'Is Rosa registered with you?', urgency: 'urgent', referral: referralId })
    assert.equal(res.statusCode, 303)
    assert.equal((await requestTo(child2Id, GP)).referral_id, referralId)
    // a referral about another child is refused
    const other = await fd.post(`/children/${childId}/information-requests`, { agencies: GP, question: 'Q', urgency: 'urgent', referral: referralId })
    assert.equal(other.statusCode, 400)
  })

  it('an answer goes to the requester, so it cannot be sealed (a sealed entry is its team’s only: the requester would never see what the sharing decision says was shared)', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(`/children/${childId}/information-requests`)
    const asked = await fd.post(`/children/${childId}/information-requests`, { agencies: POLICE, question: 'Anything new since your last answer?', urgency: 'standard' })
    assert.equal(asked.statusCode, 303, asked.body.slice(0, 500))
    const q = await requestTo(childId, POLICE)
    assert.equal(q.status, 'open')
    const police = await ctx.s.signIn('police.mash')
    const form = await police.get(`/information-requests/${q.id}`)
    assert.equal(form.statusCode, 200)
    assert.doesNotMatch(form.body, /<option value="sealed"/, 'the form does not offer sealing an answer')
    const sealed = await police.post(`/information-requests/${q.id}/answer`, { action: 'answer', entryCount: '1', response: 'share', e1Summary: 'SEALED-ANSWER: a protected source', e1OccurredOn: '2026-11-20', e1Significance: 'high', e1Visibility: 'sealed', ...SHARING })
    assert.equal(sealed.statusCode, 400)
    assert.match(sealed.body, /govuk-error-summary/)
    assert.match(sealed.body, /href="#e1Visibility"/)
    police.csrf = (JSON.parse((await police.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    const sharing = { purpose: 'request_answer', categories: ['police'], lawfulBasis: '6.1.e', specialCategory: false, consent: 'not_sought', consentReason: 'Risk to the child', goldenRules: Object.fromEntries(ALL_RULES.map((r) => [r, true])), reasons: 'Necessary for the front door’s decision', outsideAgreementReason: 'No agreement yet' }
    const api = await police.postJson(`/api/v1/information-requests/${q.id}/answers`, { response: 'share', entries: [{ summary: 'SEALED-ANSWER: a protected source', occurredOn: '2026-11-20', significance: 'high', visibility: 'sealed' }], sharing }, { 'idempotency-key': randomUUID() })
    assert.equal(api.statusCode, 400, api.body)
    assert.ok((JSON.parse(api.body) as { 'invalid-params': { name: string }[] })['invalid-params'].some((p) => p.name === 'entries.0.visibility'))
    assert.equal((await requestTo(childId, POLICE)).status, 'open', 'nothing was answered')
    assert.equal(await db().selectFrom('entry').select('id').where('detail_id', '=', q.id).where('type', '=', 'information_shared').executeTakeFirst(), undefined)
  })

  it('the API takes ids in upper case as the same ids (a UUID is case-insensitive): the agency is asked, not refused as unknown', async () => {
    const fd = await ctx.s.signIn('frontdoor')
    fd.csrf = (JSON.parse((await fd.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    const before = (await requestsOf(child2Id)).length
    const made = await fd.postJson(`/api/v1/children/${child2Id.toUpperCase()}/information-requests`, { agencies: [POLICE.toUpperCase()], question: 'API in upper case: anything new on Rosa?', urgency: 'standard', idempotencyKey: randomUUID() })
    assert.equal(made.statusCode, 201, made.body)
    const rows = await requestsOf(child2Id)
    assert.equal(rows.length, before + 1)
    assert.equal(rows.at(-1)!.to_agency_id, POLICE)
    // the repository's own replay guard compares the same ids whatever their case
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id']).where('id', '=', membershipOf('frontdoor')).executeTakeFirstOrThrow()
    const repo = ctx.s.data.forActor({ kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: 'front_door_social_worker', requestId: 'test' }).requests
    const key = randomUUID()
    const first = await repo.ask(child2Id.toUpperCase(), { agencyIds: [BROOKSIDE.toUpperCase(), GP], question: 'Upper-case replay', urgency: 'urgent', idempotencyKey: key }).catch((e: unknown) => e)
    // Brookside and the GP have open requests about Rosa already: refused, and nothing made
    assert.match(String(first), /already have an open request/)
    await db().updateTable('information_request').set({ status: 'withdrawn', withdrawn_at: ctx.s.clock.now(), withdrawn_reason: 'test', withdrawn_by: m.id }).where('child_id', '=', child2Id).where('status', '=', 'open').where('to_agency_id', 'in', [BROOKSIDE, GP]).execute()
    const asked = await repo.ask(child2Id.toUpperCase(), { agencyIds: [BROOKSIDE.toUpperCase(), GP], question: 'Upper-case replay', urgency: 'urgent', idempotencyKey: key })
    assert.equal(asked?.replayed, false)
    assert.equal(asked?.requests.length, 2)
    const again = await repo.ask(child2Id, { agencyIds: [BROOKSIDE, GP.toUpperCase()], question: 'Upper-case replay', urgency: 'urgent', idempotencyKey: key })
    assert.equal(again?.replayed, true, 'the same ask, in either case, is replayed')
  })

  it('the demo seed has an open request and an answered one', async () => {
    const demo = await db().selectFrom('information_request').select(['status', 'to_agency_id', 'sharing_decision_id']).where('id', 'in', [stableUuid('northshire:information-request:police'), stableUuid('northshire:information-request:health')]).orderBy('status').execute()
    assert.deepEqual(
      demo.map((d) => d.status),
      ['answered', 'open'],
    )
    assert.ok(demo[0]!.sharing_decision_id)
  })

  it('an overdue request whose escalation manager has left goes to the managers in post of the same agency, who can open it; with none, the request says nobody was told', async () => {
    // Monday 7 December: the front door asks the police (escalating to the front door's manager) and Brookside (its headteacher)
    ctx.s.clock.set('2026-12-07T10:00:00Z')
    const child = await makeChild('Mae', '9990009911')
    const fd = await ctx.s.signIn('frontdoor')
    await fd.get(`/children/${child}/information-requests`)
    const asked = await fd.post(`/children/${child}/information-requests`, { agencies: [POLICE, BROOKSIDE], question: 'Is Mae known to you?', urgency: 'standard' })
    assert.equal(asked.statusCode, 303, asked.body.slice(0, 500))
    const toPolice = await requestTo(child, POLICE)
    const toSchool = await requestTo(child, BROOKSIDE)
    assert.equal(toPolice.escalate_to_membership_id, membershipOf('manager.frontdoor'))
    assert.equal(toSchool.escalate_to_membership_id, membershipOf('head.brookside'))
    // before they are due, both named managers leave: Elaine Foster's membership ends, Margaret Ellis's account is disabled
    const left = new Date('2026-12-08T09:00:00Z')
    await db().updateTable('membership').set({ ends_at: left }).where('id', '=', membershipOf('manager.frontdoor')).execute()
    await disablePractitionerOf(db(), membershipOf('head.brookside'), left)
    try {
      // Friday 11 December: both were due on Thursday at 17:00
      ctx.s.clock.set('2026-12-11T09:00:00Z')
      await systemRepository({ db: db(), clock: ctx.s.clock }, 'scheduler').escalateOverdueClocks()
      const toldOf = async (requestId: string) => (await db().selectFrom('notification').select('membership_id').where('kind', '=', 'clock.overdue').where('subject_id', '=', requestId).execute()).map((n) => n.membership_id).sort()
      // children's social care's team managers in post are told in Elaine Foster's place
      assert.deepEqual(await toldOf(toPolice.id), [membershipOf('manager.north'), membershipOf('manager.south')].sort())
      // Brookside has no other manager: nobody was told, and the audit says so
      assert.deepEqual(await toldOf(toSchool.id), [])
      const audit = await db().selectFrom('audit_event').selectAll().where('action', '=', 'clock.escalate').orderBy('id', 'desc').executeTakeFirstOrThrow()
      assert.ok(((audit.details as { toldNobody?: string[] }).toldNobody ?? []).includes((await clockOf(toSchool.id)).id), 'the escalation that reached nobody is in the audit')
      assert.ok(!((audit.details as { toldNobody?: string[] }).toldNobody ?? []).includes((await clockOf(toPolice.id)).id))

      // the manager told can open it (the link in the notification is no 404), and finds it among the escalated
      const north = await ctx.s.signIn('manager.north')
      const page = await north.get(`/information-requests/${toPolice.id}`)
      assert.equal(page.statusCode, 200, page.body.slice(0, 300))
      assert.match(page.body, /escalated to a manager who has left/)
      assert.match(page.body, /Elaine Foster, who has left/)
      assert.equal(((await auditOf('request.view', 'manager.north'))[0]!.details as { as: string }).as, 'escalation_stand_in')
      const mine = await north.get('/information-requests')
      assert.match(mine.body, new RegExp(toPolice.id))
      assert.doesNotMatch(mine.body, new RegExp(toSchool.id), 'another agency’s escalation is not theirs')
      // nobody else gains it: a social worker of the same agency, or a manager for the school's
      assert.equal((await (await ctx.s.signIn('sw.north')).get(`/information-requests/${toPolice.id}`)).statusCode, 404)
      assert.equal((await north.get(`/information-requests/${toSchool.id}`)).statusCode, 404)

      // the escalation that reached nobody is shown to those who still see the request: the requester and the school's DSLs
      for (const key of ['frontdoor', 'dsl.brookside']) {
        const a = await ctx.s.signIn(key)
        const seen = await a.get(`/information-requests/${toSchool.id}`)
        assert.equal(seen.statusCode, 200)
        assert.match(seen.body, /overdue and nobody has been told/, key)
        assert.match(seen.body, /Margaret Ellis, who has left, and Brookside Primary School has no manager in post/, key)
        const api = JSON.parse((await a.get(`/api/v1/information-requests/${toSchool.id}`)).body) as { escalationLeft: unknown }
        assert.deepEqual(api.escalationLeft, { name: 'Margaret Ellis', agencyName: 'Brookside Primary School', toldNobody: true }, key)
      }
    } finally {
      await db().updateTable('membership').set({ ends_at: null }).where('id', '=', membershipOf('manager.frontdoor')).execute()
      await db().updateTable('practitioner').set({ disabled_at: null }).where('id', '=', (await db().selectFrom('membership').select('practitioner_id').where('id', '=', membershipOf('head.brookside')).executeTakeFirstOrThrow()).practitioner_id).execute()
    }
  })

  it('an answer to a requester who has left goes to their colleagues in post who work with the child, who can open it and its answer; with none, the request says it reaches nobody', async () => {
    ctx.s.clock.set('2026-12-14T10:00:00Z')
    const child = await makeChild('Nell', '9990007711')
    // Marcus Reid (the front door) asks the police, then leaves
    const marcus = await ctx.s.signIn('frontdoor2')
    await marcus.get(`/children/${child}/information-requests`)
    assert.equal((await marcus.post(`/children/${child}/information-requests`, { agencies: POLICE, question: 'Anything on Nell’s household?', urgency: 'standard' })).statusCode, 303)
    const q = await requestTo(child, POLICE)
    // a social worker asks about another child, known to her alone (allocated; not at a school, so no school-based social worker reaches her), then leaves too
    const lonely = await makeChild('Ada', '9990006611')
    await db().deleteFrom('relationship').where('child_id', '=', lonely).execute()
    await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: lonely, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('sw2.north'), starts_at: new Date('2026-11-01T09:00:00Z'), ends_at: null, source: 'test', reason: 'test', created_by_membership_id: null, created_at: new Date('2026-11-01T09:00:00Z') }).execute()
    const aisha = await ctx.s.signIn('sw2.north')
    await aisha.get(`/children/${lonely}/information-requests`)
    assert.equal((await aisha.post(`/children/${lonely}/information-requests`, { agencies: POLICE, question: 'Anything on Ada?', urgency: 'standard' })).statusCode, 303)
    const q2 = await requestTo(lonely, POLICE)
    await db().updateTable('membership').set({ ends_at: new Date('2026-12-14T12:00:00Z') }).where('id', 'in', [membershipOf('frontdoor2'), membershipOf('sw2.north')]).execute()
    try {
      ctx.s.clock.set('2026-12-14T14:00:00Z')
      const police = await ctx.s.signIn('police.mash')
      // the answerer knows before answering whom the answer will reach
      const form = await police.get(`/information-requests/${q.id}`)
      assert.match(form.body, /Marcus Reid has left Northshire Children(&#39;|')s Social Care: their colleagues in post who work with the child open this request/)
      const res = await police.post(`/information-requests/${q.id}/answer`, { action: 'answer', entryCount: '1', response: 'share', e1Summary: 'LEAVER-ANSWER: a caution for an adult at the address in 2025.', e1OccurredOn: '2025-06-01', e1Significance: 'medium', e1Visibility: 'agency', ...SHARING })
      assert.equal(res.statusCode, 303, res.body.slice(0, 1500))
      assert.match((await police.get(`/information-requests/${q.id}?saved=answered`)).body, /The requester has left: their colleagues in post who work with the child have been told/)
      // told in his place: the front door's people in post who reach the child (not Marcus, not a social worker elsewhere)
      const told = (await db().selectFrom('notification').select('membership_id').where('kind', '=', 'request.answered').where('subject_id', '=', q.id).execute()).map((n) => n.membership_id)
      assert.ok(told.includes(membershipOf('frontdoor')), 'his front door colleague is told')
      assert.ok(!told.includes(membershipOf('frontdoor2')))
      assert.ok(!told.includes(membershipOf('sw.north')))
      assert.deepEqual([...((await auditOf('request.answer', 'police.mash'))[0]!.details as { told: string[] }).told].sort(), [...told].sort())
      // whoever is told can open the request and its answer (kept to the police's agency in the chronology, addressed to Marcus)
      const fd = await ctx.s.signIn('frontdoor')
      const page = await fd.get(`/information-requests/${q.id}`)
      assert.equal(page.statusCode, 200, page.body.slice(0, 300))
      assert.match(page.body, /LEAVER-ANSWER/)
      assert.match(page.body, /the practitioner who asked has left/)
      assert.equal(((await auditOf('request.view', 'frontdoor'))[0]!.details as { as: string }).as, 'requester_stand_in')
      const api = JSON.parse((await fd.get(`/api/v1/information-requests/${q.id}`)).body) as { answers: { summary: string }[]; requesterLeft: boolean; answerReachesNobody: boolean }
      assert.ok(api.answers.some((a) => /LEAVER-ANSWER/.test(a.summary)))
      assert.equal(api.requesterLeft, true)
      assert.equal(api.answerReachesNobody, false)
      // someone of the same agency without the child in reach still gets 404
      assert.equal((await (await ctx.s.signIn('sw.north')).get(`/information-requests/${q.id}`)).statusCode, 404)

      // Aisha's child is in nobody else's reach at children's social care: the police see that an answer would reach nobody
      const warned = await police.get(`/information-requests/${q2.id}`)
      assert.match(warned.body, /Aisha Begum has left Northshire Children(&#39;|')s Social Care, and nobody in post there works with the child now: an answer would reach nobody/)
      const done = await police.post(`/information-requests/${q2.id}/answer`, { action: 'answer', entryCount: '1', response: 'nothing_known', note: 'Checked the systems.', ...SHARING })
      assert.equal(done.statusCode, 303, done.body.slice(0, 1500))
      assert.equal((await requestTo(lonely, POLICE)).status, 'answered', 'the answer is recorded all the same')
      const after = await police.get(`/information-requests/${q2.id}?saved=answered`)
      assert.match(after.body, /nobody in post at their agency works with the child: nobody has been told/)
      assert.match(after.body, /the answer has reached nobody/)
      assert.equal((await db().selectFrom('notification').select('id').where('subject_id', '=', q2.id).where('kind', '=', 'request.answered').execute()).length, 0)
      assert.deepEqual(((await auditOf('request.answer', 'police.mash'))[0]!.details as { told: string[] }).told, [])
      assert.equal((await (await ctx.s.signIn('manager.north')).get(`/information-requests/${q2.id}`)).statusCode, 404, 'her manager no longer reaches the child')
    } finally {
      await db().updateTable('membership').set({ ends_at: null }).where('id', 'in', [membershipOf('frontdoor2'), membershipOf('sw2.north')]).execute()
    }
  })

  /** Ends these demo memberships as of `at` (undone by `rejoin`). */
  const leave = (keys: string[], at: Date) => db().updateTable('membership').set({ ends_at: at }).where('id', 'in', keys.map((k) => membershipOf(k))).execute()
  const rejoin = (keys: string[]) => db().updateTable('membership').set({ ends_at: null }).where('id', 'in', keys.map((k) => membershipOf(k))).execute()
  /** A relationship held by a demo practitioner's membership (an allocation, or a place in a team around the child). */
  const heldBy = (childId: string, key: string, type: 'allocated_worker' | 'team_member') =>
    db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type, holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf(key), starts_at: new Date('2026-11-01T09:00:00Z'), ends_at: null, source: 'test', reason: 'test', created_by_membership_id: null, created_at: new Date('2026-11-01T09:00:00Z') }).execute()

  /**
   * The stand-in search as it was, one colleague at a time through childInReach (the one reach rule, for each as they
   * would act): in post at the requester's agency, a role that asks, not the requester, the child in reach — the
   * requester's team first, else the agency's. The batched statement must find the same people.
   */
  async function standInsOneByOne(q: { child_id: string; requested_by: string; requester_agency_id: string; requester_team_id: string | null }): Promise<string[]> {
    const now = ctx.s.clock.now()
    const candidates = await currentMembershipsQuery(db(), P, now).select(['m.id', 'm.practitioner_id', 'm.team_id', 'm.role']).where('m.agency_id', '=', q.requester_agency_id).where('m.id', '<>', q.requested_by).orderBy('m.id').execute()
    const reaching: { id: string; team_id: string | null }[] = []
    for (const m of candidates) {
      if (!isRole(m.role) || !hasPermission(m.role, 'requests:ask')) continue
      const as: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: q.requester_agency_id, teamId: m.team_id, role: m.role, requestId: 'test' }
      if (await db().selectFrom('child as c').select('c.id').where('c.id', '=', q.child_id).where(childInReach(as, now)).executeTakeFirst()) reaching.push(m)
    }
    const sameTeam = reaching.filter((m) => q.requester_team_id && m.team_id === q.requester_team_id)
    return (sameTeam.length ? sameTeam : reaching).map((m) => m.id).sort()
  }

  it('a colleague who stands in for a requester who has left can withdraw the request — not before they leave, nor anyone who is not a stand-in; the request, the chronology and the audit say who withdrew it, for whom', async () => {
    ctx.s.clock.set('2026-12-16T10:00:00Z')
    const child = await makeChild('Pia', '9990004411')
    // Ben Carter (the north team) is allocated to Pia: he reaches her and opens the request once Marcus has left, but
    // Marcus's own team (the front door) has colleagues who reach her, so they stand in, not Ben
    await heldBy(child, 'sw.north', 'allocated_worker')
    const marcus = await ctx.s.signIn('frontdoor2')
    await marcus.get(`/children/${child}/information-requests`)
    assert.equal((await marcus.post(`/children/${child}/information-requests`, { agencies: [POLICE, HEALTH], question: 'Anything on Pia’s household?', urgency: 'standard' })).statusCode, 303)
    const q = await requestTo(child, POLICE)
    const toHealth = await requestTo(child, HEALTH)
    const before = await ctx.s.signIn('frontdoor')
    await before.get(`/children/${child}/information-requests`)
    // while Marcus is in post, the request is his: Joanne cannot open it, nor withdraw it
    assert.equal((await before.get(`/information-requests/${q.id}`)).statusCode, 404)
    assert.equal((await before.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'Not hers to withdraw yet' })).statusCode, 404)
    assert.doesNotMatch((await before.get('/information-requests')).body, new RegExp(q.id))
    assert.equal((await requestTo(child, POLICE)).status, 'open')
    assert.equal((await auditOf('request.withdraw', 'frontdoor'))[0]!.outcome, 'not_found')

    await leave(['frontdoor2'], new Date('2026-12-16T12:00:00Z'))
    try {
      ctx.s.clock.set('2026-12-16T14:00:00Z')
      // Joanne stands in: the page offers the withdrawal (a plain form), the API says she may
      const joanne = await ctx.s.signIn('frontdoor')
      const page = await joanne.get(`/information-requests/${q.id}`)
      assert.equal(page.statusCode, 200, page.body.slice(0, 300))
      assert.match(page.body, /Marcus Reid, who asked it, has left: you can withdraw it in their place/)
      assert.match(page.body, /action="\/information-requests\/[^"]+\/withdraw"/)
      const api = JSON.parse((await joanne.get(`/api/v1/information-requests/${q.id}`)).body) as { canWithdraw: boolean; actsForRequester: boolean }
      assert.deepEqual([api.canWithdraw, api.actsForRequester], [true, true])
      // she finds both of Marcus's open requests among her own, with who asked them
      const mine = await joanne.get('/information-requests')
      assert.match(mine.body, /Requests you stand in for/)
      assert.match(mine.body, new RegExp(q.id))
      assert.match(mine.body, new RegExp(toHealth.id))
      assert.match(mine.body, /Marcus Reid/)
      // Ben opens it (the answers were shared with the agency) but is not a stand-in: no form, and 404 if he posts
      const ben = await ctx.s.signIn('sw.north')
      const benPage = await ben.get(`/information-requests/${q.id}`)
      assert.equal(benPage.statusCode, 200)
      assert.doesNotMatch(benPage.body, /Withdraw the request/)
      assert.deepEqual(JSON.parse((await ben.get(`/api/v1/information-requests/${q.id}`)).body).canWithdraw, false)
      assert.equal((await ben.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'Not his' })).statusCode, 404)
      assert.doesNotMatch((await ben.get('/information-requests')).body, /Requests you stand in for/)
      // nor anyone else: a colleague who does not reach Pia, or the agency asked
      for (const key of ['sw2.north', 'police.mash']) {
        const a = await ctx.s.signIn(key)
        await a.get('/')
        assert.equal((await a.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'Not theirs' })).statusCode, 404, key)
      }
      assert.equal((await requestTo(child, POLICE)).status, 'open')

      const w = await joanne.post(`/information-requests/${q.id}/withdraw`, { withdrawReason: 'Pia’s family moved away: Marcus’s question no longer matters.' })
      assert.equal(w.statusCode, 303, w.body.slice(0, 500))
      const after = await requestTo(child, POLICE)
      assert.equal(after.status, 'withdrawn')
      assert.equal(after.withdrawn_by, membershipOf('frontdoor'), 'the request names who withdrew it')
      assert.equal((await clockOf(q.id)).state, 'stopped')
      assert.ok((await notificationsOf('police.mash', 'request.withdrawn')).some((n) => n.subject_id === q.id))
      // the audit row is Joanne's, acting for Marcus
      const audit = (await auditOf('request.withdraw', 'frontdoor'))[0]!
      assert.equal(audit.outcome, 'success')
      assert.equal(audit.entity_id, q.id)
      assert.deepEqual(audit.details, { as: 'requester_stand_in', forRequester: membershipOf('frontdoor2') })
      // the chronology entry is hers, saying for whom, labelled as Marcus's own would be (the front door's)
      const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', q.id).where('summary', 'like', 'Withdrew%').executeTakeFirstOrThrow()
      assert.equal(entry.author_membership_id, membershipOf('frontdoor'))
      assert.match(entry.summary, /in place of Marcus Reid, who asked it and has left/)
      assert.doesNotMatch(entry.summary, /family moved away/, 'the reason stays on the request')
      assert.equal(entry.visibility, 'front_door')
      // the page says so, to her and to the agency asked
      assert.match((await joanne.get(`/information-requests/${q.id}?saved=withdrawn`)).body, /Withdrawn by Joanne Clarke in place of Marcus Reid, who asked it and had left/)
      assert.match((await (await ctx.s.signIn('police.mash')).get(`/information-requests/${q.id}`)).body, /Withdrawn by Joanne Clarke in place of Marcus Reid/)
      assert.deepEqual(JSON.parse((await joanne.get(`/api/v1/information-requests/${q.id}`)).body).request.withdrawnBy, { name: 'Joanne Clarke', inPlaceOfRequester: true })
      // the team manager of Marcus's team stands in too (through the front door's contact), and withdraws the other
      const elaine = await ctx.s.signIn('manager.frontdoor')
      await elaine.get(`/information-requests/${toHealth.id}`)
      assert.equal((await elaine.post(`/information-requests/${toHealth.id}/withdraw`, { withdrawReason: 'No longer needed.' })).statusCode, 303)
      assert.equal((await requestTo(child, HEALTH)).withdrawn_by, membershipOf('manager.frontdoor'))
      assert.doesNotMatch((await elaine.get('/information-requests')).body, new RegExp(toHealth.id), 'a withdrawn request is no longer waiting on anyone')
    } finally {
      await rejoin(['frontdoor2'])
    }
  })

  it('the stand-in search is one statement over all the colleagues: with several in post, of whom only some reach the child, it finds the same people as asking each in turn (the requester’s team first, else the agency)', async () => {
    ctx.s.clock.set('2026-12-17T10:00:00Z')
    const child = await makeChild('Esme', '9990003311')
    // Aisha Begum (north) asks about Esme, allocated to her. Of her north team: Lucy Morgan (school social worker) reaches
    // Esme through the school she serves (Brookside); Ben Carter and Kate Turner do not. The front door (another
    // team) reaches her through its contact.
    await heldBy(child, 'sw2.north', 'allocated_worker')
    const aisha = await ctx.s.signIn('sw2.north')
    await aisha.get(`/children/${child}/information-requests`)
    assert.equal((await aisha.post(`/children/${child}/information-requests`, { agencies: [POLICE, HEALTH], question: 'Anything on Esme?', urgency: 'standard' })).statusCode, 303)
    const toPolice = await requestTo(child, POLICE)
    const toHealth = await requestTo(child, HEALTH)
    await leave(['sw2.north'], new Date('2026-12-17T12:00:00Z'))
    try {
      ctx.s.clock.set('2026-12-17T14:00:00Z')
      const told = async (requestId: string) => (await db().selectFrom('notification').select('membership_id').where('kind', '=', 'request.answered').where('subject_id', '=', requestId).execute()).map((n) => n.membership_id).sort()
      // her team first: only Lucy, not Ben or Kate (no reach), nor the front door (another team)
      const expected = await standInsOneByOne(toPolice)
      assert.deepEqual(expected, [membershipOf('ssw')])
      const police = await ctx.s.signIn('police.mash')
      assert.equal((await answerAs(police, toPolice.id, { action: 'answer', entryCount: '1', response: 'nothing_known', note: 'Checked.', ...SHARING })).statusCode, 303)
      assert.deepEqual(await told(toPolice.id), expected)
      // Lucy may act for Aisha (API), Ben may not even open it
      const lucy = await ctx.s.signIn('ssw')
      assert.equal(JSON.parse((await lucy.get(`/api/v1/information-requests/${toHealth.id}`)).body).actsForRequester, true)
      assert.match((await lucy.get('/information-requests')).body, new RegExp(toHealth.id))
      assert.equal((await (await ctx.s.signIn('sw.north')).get(`/information-requests/${toHealth.id}`)).statusCode, 404)
      // the front door reaches Esme but Aisha's own team has Lucy: they open the request, and no more
      const joanne = await ctx.s.signIn('frontdoor')
      assert.equal(JSON.parse((await joanne.get(`/api/v1/information-requests/${toHealth.id}`)).body).actsForRequester, false)
      assert.doesNotMatch((await joanne.get('/information-requests')).body, new RegExp(toHealth.id))

      // Lucy leaves too: nobody in the north team reaches Esme, so the agency's colleagues who do stand in — the front door
      await leave(['ssw'], new Date('2026-12-17T15:00:00Z'))
      ctx.s.clock.set('2026-12-17T16:00:00Z')
      const agencyWide = await standInsOneByOne(toHealth)
      assert.deepEqual(agencyWide, [membershipOf('frontdoor'), membershipOf('frontdoor2'), membershipOf('manager.frontdoor')].sort())
      const joanneNow = await ctx.s.signIn('frontdoor')
      assert.equal(JSON.parse((await joanneNow.get(`/api/v1/information-requests/${toHealth.id}`)).body).actsForRequester, true)
      assert.match((await joanneNow.get('/information-requests')).body, new RegExp(toHealth.id))
      const nurse = await ctx.s.signIn('nurse')
      assert.equal((await answerAs(nurse, toHealth.id, { action: 'answer', entryCount: '1', response: 'nothing_known', note: 'Checked.', ...HEALTH_SHARING })).statusCode, 303)
      assert.deepEqual(await told(toHealth.id), agencyWide)
    } finally {
      await rejoin(['sw2.north', 'ssw'])
    }
  })

  /** An API client: signed in, with the CSRF token /api/v1/me gives. */
  const apiAgent = async (key: string) => {
    const a = await ctx.s.signIn(key)
    a.csrf = (JSON.parse((await a.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    return a
  }
  const withdrawApi = (a: Agent, requestId: string, body: unknown, key: string = randomUUID()) => a.postJson(`/api/v1/information-requests/${requestId}/withdraw`, body, { 'idempotency-key': key })
  const problemOf = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, `${res.statusCode} ${res.body.slice(0, 300)}`)
    return JSON.parse(res.body) as { status: number; title: string; detail: string; 'invalid-params'?: { name: string; reason: string }[] }
  }

  it('the API withdraws as the page does: the requester, with the reason (400 problem+json without one); 404 for anyone else; 409 once answered or withdrawn', async () => {
    ctx.s.clock.set('2026-12-18T10:00:00Z')
    const child = await makeChild('Wren', '9990002211')
    const fd = await apiAgent('frontdoor')
    const made = await fd.postJson(`/api/v1/children/${child}/information-requests`, { agencies: [POLICE, HEALTH], question: 'API: anything on Wren’s household?', urgency: 'standard', idempotencyKey: randomUUID() })
    assert.equal(made.statusCode, 201, made.body)
    const q = await requestTo(child, POLICE)
    const toHealth = await requestTo(child, HEALTH)

    // bad bodies: 400 problem+json naming the field, as the page's form checks it; nothing is withdrawn
    const empty = problemOf(await withdrawApi(fd, q.id, {}))
    assert.equal(empty.status, 400)
    assert.deepEqual(empty['invalid-params'], [{ name: 'reason', reason: 'Say why you are withdrawing the request' }])
    const blank = problemOf(await withdrawApi(fd, q.id, { reason: '   ' }))
    assert.deepEqual(blank['invalid-params'], [{ name: 'reason', reason: 'Say why you are withdrawing the request' }])
    const long = problemOf(await withdrawApi(fd, q.id, { reason: 'x'.repeat(5001) }))
    assert.deepEqual(long['invalid-params'], [{ name: 'reason', reason: 'Must be 5,000 characters or fewer' }])
    const wrongType = problemOf(await withdrawApi(fd, q.id, { reason: 12 }))
    assert.equal(wrongType.status, 400)
    assert.equal(wrongType['invalid-params']![0]!.name, 'reason')
    const extra = await withdrawApi(fd, q.id, { reason: 'No longer needed.', withdrawnBy: membershipOf('frontdoor2') })
    assert.equal(problemOf(extra).status, 400, 'an unknown field is refused, not ignored')
    const noKey = await fd.postJson(`/api/v1/information-requests/${q.id}/withdraw`, { reason: 'No longer needed.' })
    assert.equal(problemOf(noKey).status, 400, 'a withdrawal is a create: it needs an Idempotency-Key')
    assert.equal((await requestTo(child, POLICE)).status, 'open')

    // anyone else — another agency, another practitioner of the same agency who does not reach the child, the agency
    // asked — gets the same 404 problem+json as a request that does not exist
    const absent = await withdrawApi(fd, randomUUID(), { reason: 'No longer needed.' })
    assert.equal(problemOf(absent).status, 404)
    for (const key of ['gp', 'sw2.north', 'police.mash']) {
      const other = await apiAgent(key)
      const res = await withdrawApi(other, q.id, { reason: 'Not mine to withdraw' })
      assert.equal(res.statusCode, 404, `${key}: ${res.body.slice(0, 300)}`)
      assert.equal(problemOf(res).title, problemOf(absent).title, key)
    }
    assert.equal((await requestTo(child, POLICE)).status, 'open')

    // the requester withdraws: what the page's withdrawal writes — the request, its clock, the chronology entry, the
    // agency told, the audit row
    const key = randomUUID()
    const reason = 'API: the police phoned the front door with the answer.'
    const w = await withdrawApi(fd, q.id, { reason: `  ${reason} ` }, key)
    assert.equal(w.statusCode, 200, w.body)
    assert.deepEqual(JSON.parse(w.body), { id: q.id, status: 'withdrawn', inPlaceOfRequester: false })
    const after = await requestTo(child, POLICE)
    assert.equal(after.status, 'withdrawn')
    assert.equal(after.withdrawn_reason, reason)
    assert.equal(after.withdrawn_by, membershipOf('frontdoor'))
    assert.equal((await clockOf(q.id)).state, 'stopped')
    const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', q.id).where('summary', 'like', 'Withdrew%').executeTakeFirstOrThrow()
    assert.equal(entry.summary, 'Withdrew the request to Northshire Police (the reason is on the request)')
    assert.equal(entry.author_membership_id, membershipOf('frontdoor'))
    assert.ok((await notificationsOf('police.mash', 'request.withdrawn')).some((n) => n.subject_id === q.id))
    const audit = (await auditOf('request.withdraw', 'frontdoor'))[0]!
    assert.deepEqual([audit.outcome, audit.entity_id, audit.details], ['success', q.id, { as: 'requester' }])
    assert.deepEqual(JSON.parse((await fd.get(`/api/v1/information-requests/${q.id}`)).body).request.withdrawnBy, { name: 'Joanne Clarke', inPlaceOfRequester: false })

    // sent again with the same key: the same answer, withdrawn once
    const replay = await withdrawApi(fd, q.id, { reason: `  ${reason} ` }, key)
    assert.equal(replay.statusCode, 200)
    assert.equal(replay.headers['idempotent-replayed'], 'true')
    assert.equal(replay.body, w.body)
    // withdrawing it again is the state's refusal: 409 problem+json, nothing written
    const entries = (await db().selectFrom('entry').select('id').where('detail_id', '=', q.id).execute()).length
    const again = problemOf(await withdrawApi(fd, q.id, { reason: 'Again' }))
    assert.equal(again.status, 409)
    assert.match(again.detail, /already been withdrawn/)
    assert.equal((await db().selectFrom('entry').select('id').where('detail_id', '=', q.id).execute()).length, entries)
    assert.equal((await requestTo(child, POLICE)).withdrawn_reason, reason)

    // an answered request cannot be withdrawn either
    const nurse = await ctx.s.signIn('nurse')
    assert.equal((await answerAs(nurse, toHealth.id, { action: 'answer', entryCount: '1', response: 'nothing_known', note: 'Checked.', ...HEALTH_SHARING })).statusCode, 303)
    const answered = problemOf(await withdrawApi(fd, toHealth.id, { reason: 'Too late' }))
    assert.equal(answered.status, 409)
    assert.match(answered.detail, /already been answered/)
    assert.equal((await requestTo(child, HEALTH)).status, 'answered')
  })

  it('the API: a colleague who stands in for a requester who has left withdraws in their place — not before they leave, nor anyone who only sees the request', async () => {
    ctx.s.clock.set('2026-12-18T11:00:00Z')
    const child = await makeChild('Iris', '9990002233')
    // Ben Carter is allocated to Iris: he opens the request once Marcus has left, but does not stand in (the front door does)
    await heldBy(child, 'sw.north', 'allocated_worker')
    const marcus = await ctx.s.signIn('frontdoor2')
    await marcus.get(`/children/${child}/information-requests`)
    assert.equal((await marcus.post(`/children/${child}/information-requests`, { agencies: POLICE, question: 'Anything on Iris’s household?', urgency: 'standard' })).statusCode, 303)
    const q = await requestTo(child, POLICE)
    const before = await apiAgent('frontdoor')
    assert.equal(problemOf(await withdrawApi(before, q.id, { reason: 'Not hers to withdraw yet' })).status, 404)
    assert.equal((await auditOf('request.withdraw', 'frontdoor'))[0]!.outcome, 'not_found')

    await leave(['frontdoor2'], new Date('2026-12-18T12:00:00Z'))
    try {
      ctx.s.clock.set('2026-12-18T14:00:00Z')
      const ben = await apiAgent('sw.north')
      assert.equal((await ben.get(`/api/v1/information-requests/${q.id}`)).statusCode, 200, 'Ben sees the request')
      assert.equal(problemOf(await withdrawApi(ben, q.id, { reason: 'Not his' })).status, 404, 'but may not withdraw it')
      assert.equal((await requestTo(child, POLICE)).status, 'open')

      const joanne = await apiAgent('frontdoor')
      const w = await withdrawApi(joanne, q.id, { reason: 'Iris’s family moved away: the question no longer matters.' })
      assert.equal(w.statusCode, 200, w.body)
      assert.deepEqual(JSON.parse(w.body), { id: q.id, status: 'withdrawn', inPlaceOfRequester: true })
      const after = await requestTo(child, POLICE)
      assert.equal(after.status, 'withdrawn')
      assert.equal(after.withdrawn_by, membershipOf('frontdoor'))
      const audit = (await auditOf('request.withdraw', 'frontdoor'))[0]!
      assert.deepEqual([audit.outcome, audit.entity_id, audit.details], ['success', q.id, { as: 'requester_stand_in', forRequester: membershipOf('frontdoor2') }])
      const entry = await db().selectFrom('entry').selectAll().where('detail_id', '=', q.id).where('summary', 'like', 'Withdrew%').executeTakeFirstOrThrow()
      assert.equal(entry.author_membership_id, membershipOf('frontdoor'))
      assert.match(entry.summary, /in place of Marcus Reid, who asked it and has left/)
      assert.equal(entry.visibility, 'front_door')
      assert.equal(problemOf(await withdrawApi(joanne, q.id, { reason: 'Again' })).status, 409)
    } finally {
      await rejoin(['frontdoor2'])
    }
  })

  it('the stand-in search’s reach rule is childInReach’s: for every membership of the demo partnership and every child with a relationship, the batched predicate and the one-actor predicate agree', async () => {
    const now = ctx.s.clock.now()
    const members = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('partnership_id', '=', P).execute()
    const children = (await db().selectFrom('relationship').select('child_id').distinct().where('partnership_id', '=', P).orderBy('child_id').execute()).map((r) => r.child_id)
    assert.ok(members.length > 20 && children.length > 50)
    const byActor = new Set<string>()
    for (const m of members) {
      if (!isRole(m.role)) continue
      const as: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role, requestId: 'test' }
      for (const c of await db().selectFrom('child as c').select('c.id').where('c.partnership_id', '=', P).where(childInReach(as, now)).execute()) byActor.add(`${m.id}:${c.id}`)
    }
    const batched = new Set<string>()
    for (const childId of children) {
      for (const m of await db().selectFrom('membership as m').select('m.id').where('m.partnership_id', '=', P).where(membershipReachesChild(P, childId, now)).execute()) batched.add(`${m.id}:${childId}`)
    }
    assert.ok(byActor.size > 100, 'the demo data reaches through every kind of holder')
    assert.deepEqual([...batched].filter((k) => !byActor.has(k)), [], 'nobody reaches more in the batch')
    assert.deepEqual([...byActor].filter((k) => !batched.has(k)), [], 'nobody reaches less in the batch')
  })
})
