// Subject access and corrections: the one-month clock (and its extension), collation of the controller's data only,
// redaction proposals and item decisions, the exemption's content never in the export, two-person release, the JSON
// and PDF exports recorded, disputes beside the entry with the original kept, bad input and access.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../../../test/support/app.ts'
import { testEngines } from '../../../test/support/db.ts'
import { assertPdfUnavailable } from '../../../test/support/pdf.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'
import { londonDateTime } from '../../web/dates.ts'
import { namesIn, namesToKeep, namesToRedact, proposeRedactions, REDACTED } from './redaction.ts'
import { sarDue } from './repository.ts'

const CSC = stableUuid('northshire:agency:csc')
const POLICE = stableUuid('northshire:agency:police')
const NORTH = stableUuid('northshire:team:csc:north')
const day = (d: Date) => londonDateTime(d).date

describe('the subject access clock: calendar months', () => {
  it('one month from the date received; the month’s last day when it has no such date', () => {
    assert.equal(day(sarDue('2026-11-02')), '2026-12-02')
    assert.equal(day(sarDue('2027-01-31')), '2027-02-28')
    assert.equal(day(sarDue('2028-01-31')), '2028-02-29')
    assert.equal(day(sarDue('2026-03-29')), '2026-04-29') // across the clock change
    // due at the end of that London day
    assert.equal(londonDateTime(sarDue('2026-11-02')).time, '23:59')
  })
  it('extended for a complex request: three months from the date received', () => {
    assert.equal(day(sarDue('2026-11-30', 3)), '2027-02-28')
    assert.equal(day(sarDue('2027-11-30', 3)), '2028-02-29')
    assert.equal(day(sarDue('2026-11-02', 3)), '2027-02-02')
  })
})

describe('redaction proposals', () => {
  const child = { givenName: 'Ellie', familyName: 'Marsh' }
  it('other people’s full and given names, never the child’s or the requester’s', () => {
    const names = namesToRedact([{ name: 'Sarah Marsh' }, { name: 'Jordan Marsh' }, { name: 'Mark Stone' }, { name: 'Al Li' }], child, 'Sarah Marsh')
    assert.deepEqual(names.map((n) => `${n.kind}:${n.name}`).sort(), ['full:Al Li', 'full:Jordan Marsh', 'full:Mark Stone', 'given:Al', 'given:Jordan', 'given:Mark', 'surname:Li', 'surname:Stone', 'titled:Marsh'])
    const p = proposeRedactions('Sarah said Jordan Marsh and mark stone argued; Jordanna was not there. Ellie Marsh was upset.', names)
    assert.equal(p.text, `Sarah said ${REDACTED} and ${REDACTED} argued; Jordanna was not there. Ellie Marsh was upset.`)
    assert.deepEqual(p.found.sort(), ['Jordan Marsh', 'Mark Stone'])
  })
  it('a given name a third party shares with the requester or the child is proposed where it stands alone; their own full names stay', () => {
    // the father asks; the mother's partner is also Mark, and a girl in Ellie's class is also Ellie
    const names = namesToRedact([{ name: 'Mark Marsh' }, { name: 'Mark Stone' }, { name: 'Ellie Stone' }], child, 'Mark Marsh')
    assert.deepEqual(names.filter((n) => n.kind !== 'surname').map((n) => n.name).sort(), ['Ellie', 'Ellie Stone', 'Mark', 'Mark Stone'].sort())
    const keep = namesToKeep([child], 'Mark Marsh')
    const p = proposeRedactions('Mark said he would hurt the children. Mark Marsh was told. Ellie Stone and ellie marsh fought; Ellie cried.', names, keep)
    assert.equal(p.text, `${REDACTED} said he would hurt the children. Mark Marsh was told. ${REDACTED} and ellie marsh fought; ${REDACTED} cried.`)
    assert.deepEqual([...p.found].sort(), ['Ellie', 'Ellie Stone', 'Mark'].sort())
    // the item is flagged, so its proposed decision is "release with redactions", not "release"
    assert.ok(p.found.length > 0)
  })
  // the record knows: the mother Sarah O’Neill (the requester), her partner Will Stone, the neighbour Raj Patel, the
  // child's aunt Ann Smith-Jones, the brother Jo Marsh, a friend Al Hart, the grandmother Grace May Hope
  const family = [{ name: 'Sarah O’Neill' }, { name: 'Will Stone' }, { name: 'Raj Patel' }, { name: 'Ann Smith-Jones' }, { name: 'Jo Marsh' }, { name: 'Al Hart' }, { name: 'Grace May Hope' }]
  const names = namesToRedact(family, child, 'Sarah O’Neill')
  const keep = namesToKeep([child], 'Sarah O’Neill')
  const propose = (text: string) => proposeRedactions(text, names, keep)

  it('a known third party’s surname after a title is proposed, with the title; other people’s are not', () => {
    const p = propose('Mr Stone shouted at Dr Patel. Dr. Patel, MR STONE and mr stone left. Ms Smith-Jones called; Mrs Smith did not. a stone wall; a patel.')
    assert.equal(p.text, `${REDACTED} shouted at ${REDACTED}. ${REDACTED}, ${REDACTED} and mr stone left. ${REDACTED} called; Mrs Smith did not. a stone wall; a patel.`)
    assert.deepEqual(p.found, ['Mr Stone', 'Dr Patel', 'Dr. Patel', 'MR STONE', 'Ms Smith-Jones'])
    // a surname written with another apostrophe than the record’s, and one of a third party whose name is the requester’s family name
    const family2 = namesToRedact([{ name: 'Liam O’Neill' }], child, 'Sarah O’Neill')
    assert.equal(proposeRedactions("Mrs O'Neill and Mr O’Neill argued", family2, keep).text, `${REDACTED} and ${REDACTED} argued`)
  })

  it('short known given names (under three letters) are proposed as whole words as written, never in other words or lower case', () => {
    const p = propose('Jo hit Al. Jo’s coat; Joanne and Alfie; jo and al; JO; a Jo-jo.')
    assert.equal(p.text, `${REDACTED} hit ${REDACTED}. ${REDACTED}’s coat; Joanne and Alfie; jo and al; JO; a ${REDACTED}.`)
    assert.deepEqual(p.found.sort(), ['Al', 'Jo', 'Jo-jo'])
    // a one-letter given name is an initial, not looked for alone
    assert.ok(!namesToRedact([{ name: 'J Brown' }], child, null).some((n) => n.kind === 'given'))
  })

  it('a given name that is also a word is proposed where capitalised or beside the person’s other name; the word in lower case is left', () => {
    const words = namesToRedact([...family, { name: 'Mark Lee' }, { name: 'May Ford' }, { name: 'Hope Ward' }], child, 'Sarah O’Neill')
    const p = proposeRedactions('We will visit; she hopes for grace, and we hope she may mark it. Then Will came, with Grace, Mark, May and Hope. will stone swore; Grace Hope cried; MAY FORD.', words, keep)
    assert.equal(p.text, `We will visit; she hopes for grace, and we hope she may mark it. Then ${REDACTED} came, with ${REDACTED}, ${REDACTED}, ${REDACTED} and ${REDACTED}. ${REDACTED} swore; ${REDACTED} cried; ${REDACTED}.`)
    assert.deepEqual(p.found.sort(), ['Grace', 'Grace Hope', 'Hope', 'Mark', 'May', 'May Ford', 'Will', 'Will Stone'])
    // at the start of a sentence a capital cannot tell the name from the word: the proposal errs towards redacting
    assert.equal(proposeRedactions('Will said he would. May we call?', words, keep).text, `${REDACTED} said he would. ${REDACTED} we call?`)
    // a given name that is not a word is still proposed in any case, as before
    assert.equal(propose('raj and RAJ').text, `${REDACTED} and ${REDACTED}`)
  })

  it('a known third party’s surname alone is proposed where written as a name (capitalised, or in capitals); in lower case it is the word', () => {
    const p = propose('Stone said he would come back. I spoke to Patel; PATEL was arrested. Hart and Smith-Jones called. a stone wall, a patel; Mrs Smith did not.')
    assert.equal(p.text, `${REDACTED} said he would come back. I spoke to ${REDACTED}; ${REDACTED} was arrested. ${REDACTED} and ${REDACTED} called. a stone wall, a patel; Mrs Smith did not.`)
    assert.deepEqual(p.found, ['Stone', 'Patel', 'Hart', 'Smith-Jones'])
    // surnames that are also words (May, Will, Stone): the word in lower case is left; capitalised, the name is proposed —
    // at the start of a sentence too, where a capital cannot tell them apart (as for given names)
    const words = namesToRedact([{ name: 'Kim May' }, { name: 'Tom Will' }, { name: 'Will Stone' }], child, null)
    const w = proposeRedactions('May said she may call. We will ask Will. Stone walls; a stone. Ask MAY.', words)
    assert.equal(w.text, `${REDACTED} said she may call. We will ask ${REDACTED}. ${REDACTED} walls; a stone. Ask ${REDACTED}.`)
    assert.deepEqual(w.found, ['May', 'Will', 'Stone'])
    // a name the record holds in lower case (typed so in an "other children" field) is still looked for with its capital
    const typed = namesToRedact(namesIn('tia brown'), child, null)
    assert.equal(proposeRedactions('Brown took it; brown shoes.', typed).text, `${REDACTED} took it; brown shoes.`)
    // the subject's own family name alone is never proposed, now or former, though a third party shares it; after a
    // title it is ("Miss Marsh" may be the child's brother)
    const shared = namesToRedact([{ name: 'Jo Marsh' }, { name: 'Kim Hart' }], { ...child, otherNames: [{ givenName: 'Ellie', familyName: 'Hart' }] }, null)
    assert.deepEqual(shared.filter((n) => n.kind === 'titled' || n.kind === 'surname').map((n) => `${n.kind}:${n.name}`).sort(), ['titled:Hart', 'titled:Marsh'])
    const own = proposeRedactions('Marsh was upset; the Marsh family; Hart, her old name; Miss Marsh and Mrs Hart.', shared)
    assert.equal(own.text, `Marsh was upset; the Marsh family; Hart, her old name; ${REDACTED} and ${REDACTED}.`)
    // the requester's family name shared with a third party is proposed alone too, as after a title: restored where it is hers
    const family2 = namesToRedact([{ name: 'Liam O’Neill' }], child, 'Sarah O’Neill')
    assert.equal(proposeRedactions("O'Neill shouted; Sarah O’Neill left.", family2, keep).text, `${REDACTED} shouted; Sarah O’Neill left.`)
    // proposing again proposes nothing more
    for (const [text, n] of [[p.text, names], [w.text, words], [own.text, shared]] as const) assert.deepEqual(proposeRedactions(text, n, keep), { text, found: [] })
  })

  it('a hyphenated or apostrophe-joined name holding a known name is proposed whole; a possessive or a contraction is not part of it', () => {
    const more = namesToRedact([...family, { name: 'Mary Brown' }, { name: 'Liam Neill' }], child, 'Sarah O’Neill')
    const text = 'Mary-Jane, Mary–Jane and Anne-Mary came. Mrs Brown-Smith met Ms Smith–Jones and Smith\u2011Jones. Jo-Ann’s bag; Jo’s coat; Stone’ll call; Jo-2.'
    const p = proposeRedactions(text, more, keep)
    assert.equal(p.text, `${REDACTED}, ${REDACTED} and ${REDACTED} came. ${REDACTED} met ${REDACTED} and ${REDACTED}. ${REDACTED}’s bag; ${REDACTED}’s coat; ${REDACTED}’ll call; ${REDACTED}-2.`)
    assert.deepEqual(p.found, ['Mary-Jane', 'Mary–Jane', 'Anne-Mary', 'Mrs Brown-Smith', 'Ms Smith–Jones', 'Smith-Jones', 'Jo-Ann', 'Jo', 'Stone'])
    // apostrophes, straight and curly: a known name joined to another part by one is proposed with it
    const a = proposeRedactions("Neill-Hart, O’Neill and O'Neill met Al Hart-O’Neill; 'Stone' said so.", more, keep)
    assert.equal(a.text, `${REDACTED}, ${REDACTED} and ${REDACTED} met ${REDACTED}; '${REDACTED}' said so.`)
    assert.deepEqual(a.found, ['Neill-Hart', 'O’Neill', "O'Neill", 'Al Hart-O’Neill', 'Stone'])
    // the child's or the requester's full name is kept only where it is the whole name: "Ellie Marsh-Hart" is not the child
    const k = proposeRedactions('Ellie Marsh-Hart and Sarah O’Neill-Stone came; Sarah O’Neill’s son and Ellie Marsh stayed.', more, keep)
    assert.equal(k.text, `Ellie ${REDACTED} and Sarah ${REDACTED} came; Sarah O’Neill’s son and Ellie Marsh stayed.`)
    assert.deepEqual(k.found, ['Marsh-Hart', 'O’Neill-Stone'])
    // proposing again proposes nothing more
    for (const t of [p.text, a.text, k.text]) assert.deepEqual(proposeRedactions(t, more, keep), { text: t, found: [] })
  })

  it('the child’s and the requester’s full names stay, even where they hold a third party’s name or surname', () => {
    // the child Ellie Marsh shares her family name with her brother Jo Marsh: "Miss Marsh" may be either, so it is proposed
    const p = propose('Sarah O’Neill and Ellie Marsh met Jo Marsh. Sarah O’Neill’s son Jo; Miss Marsh.')
    assert.equal(p.text, `Sarah O’Neill and Ellie Marsh met ${REDACTED}. Sarah O’Neill’s son ${REDACTED}; ${REDACTED}.`)
    assert.deepEqual(p.found.sort(), ['Jo', 'Jo Marsh', 'Miss Marsh'])
    // the requester herself is never a third party: neither her given name nor "Mrs O’Neill" is proposed for her
    assert.ok(!names.some((n) => n.name === 'Sarah' || n.name === 'O’Neill'))
  })

  it('names typed in an “other children” field', () => {
    assert.deepEqual(namesIn('Tia Brown (Y4), Kai Smith and Ben Ng'), [{ name: 'Tia Brown' }, { name: 'Kai Smith' }, { name: 'Ben Ng' }])
    assert.deepEqual(namesIn(null), [])
  })
})

for (const engine of testEngines()) {
  describe(`subject access and corrections [${engine}]`, () => {
    const ctx = {} as { s: TestApp }
    before(async () => {
      ctx.s = await startTestApp(engine, { children: 5, start: '2026-11-30T10:00:00Z' })
    })
    after(async () => {
      await ctx.s?.close()
    })
    const db = () => ctx.s.t.db
    const audits = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id', 'desc').execute()
    const childId = randomUUID()
    const releasedEntry = randomUUID()
    const exemptEntry = randomUUID()
    const policeEntry = randomUUID()
    let sarId: string
    const url = () => `/subject-access/${sarId}`
    const csrfRow = (body: string, re: RegExp) => re.exec(body)?.[1]

    it('setup: a child with a family; entries by children’s social care and by the police', async () => {
      const now = ctx.s.clock.now()
      await db().insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Ellie', family_name: 'Marsh', date_of_birth: '2014-06-01', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
      await db()
        .insertInto('family_member')
        .values([
          { id: randomUUID(), partnership_id: P, child_id: childId, related_child_id: null, name: 'Sarah Marsh', relationship: 'mother', parental_responsibility: true, same_household: true, phone: null },
          { id: randomUUID(), partnership_id: P, child_id: childId, related_child_id: null, name: 'Jordan Marsh', relationship: 'brother', parental_responsibility: false, same_household: true, phone: null },
          { id: randomUUID(), partnership_id: P, child_id: childId, related_child_id: null, name: 'Mark Stone', relationship: 'mother’s partner', parental_responsibility: false, same_household: true, phone: null },
        ])
        .execute()
      const at = new Date('2026-11-10T10:00:00Z')
      const entry = (id: string, agency: string, author: string, team: string | null, summary: string) => ({ id, partnership_id: P, child_id: childId, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: membershipOf(author), author_team_id: team, source_agency_id: agency, significance: 'medium' as const, summary, visibility: 'team' as const, addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
      await db()
        .insertInto('entry')
        .values([
          entry(releasedEntry, CSC, 'sw.north', NORTH, 'Home visit by Ben Carter. Sarah said Jordan Marsh and Mark Stone had argued; Ellie was upset.'),
          entry(exemptEntry, CSC, 'sw.north', NORTH, 'EXEMPT-CONTENT: disclosure the child asked us not to share with her mother.'),
          entry(policeEntry, POLICE, 'police.mash', null, 'POLICE-CONTENT: an incident at the address.'),
        ])
        .execute()
      const record = (agency: string, ref: string) => ({ id: randomUUID(), partnership_id: P, agency_id: agency, source_ref: ref, given_name: 'Ellie', family_name: 'Marsh', date_of_birth: '2014-06-01', sex: 'female' as const, nhs_number: null, upn: null, postcode: 'NS1 1AA', address: '1 Mill Lane', child_id: childId, match_state: 'matched' as const, match_probability: null, match_explanation: null, review_child_id: null, created_at: at, updated_at: at })
      await db().insertInto('agency_record').values([record(CSC, 'CSC-REF-1'), record(POLICE, 'POLICE-REF-9')]).execute()
      await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf('sw.north'), starts_at: at, ends_at: null, source: 'test', reason: 'Allocated', created_by_membership_id: null, created_at: at }).execute()
    })

    it('logging: bad input and unmatched identifiers answer with the error summary; nothing is logged', async () => {
      const ig = await ctx.s.signIn('ig')
      assert.equal((await ig.get('/subject-access/new')).statusCode, 200)
      const empty = await ig.post('/subject-access', {})
      assert.equal(empty.statusCode, 400)
      assert.match(empty.body, /govuk-error-summary/)
      assert.match(empty.body, /Enter the child’s NHS number, or their full name and date of birth/)
      assert.match(empty.body, /Say who is asking/)
      assert.match(empty.body, /Say how the requester’s identity/)
      const future = await ig.post('/subject-access', { givenName: 'Ellie', familyName: 'Marsh', dateOfBirth: '2014-06-01', requesterRelationship: 'parent', requesterName: 'Sarah Marsh', identityVerified: 'Passport seen', receivedOn: '2026-12-25' })
      assert.equal(future.statusCode, 400)
      assert.match(future.body, /cannot be in the future/)
      // a year the checks of every date field refuse (1900 to 2100), not a request received two thousand years ago
      const ancient = await ig.post('/subject-access', { givenName: 'Ellie', familyName: 'Marsh', dateOfBirth: '2014-06-01', requesterRelationship: 'parent', requesterName: 'Sarah Marsh', identityVerified: 'Passport seen', receivedOn: '0001-01-01' })
      assert.equal(ancient.statusCode, 400)
      assert.match(ancient.body, /Enter a real date the request was received/)
      const none = await ig.post('/subject-access', { givenName: 'Ellie', familyName: 'Marshall', dateOfBirth: '2014-06-01', requesterRelationship: 'parent', requesterName: 'Sarah Marsh', identityVerified: 'Passport seen', receivedOn: '2026-11-30' })
      assert.equal(none.statusCode, 400)
      assert.match(none.body, /No child matches these identifiers exactly/)
      assert.equal((await db().selectFrom('subject_access_request').selectAll().execute()).length, 0)
      assert.equal((await audits('sar.log'))[0]!.outcome, 'not_found')
    })

    it('a request logged by IG: the one-month clock, and only the controller’s data collated with redactions proposed', async () => {
      const ig = await ctx.s.signIn('ig')
      const res = await ig.post('/subject-access', { givenName: ' ellie ', familyName: 'MARSH', dateOfBirth: '2014-06-01', requesterRelationship: 'parent', requesterName: 'Sarah Marsh', identityVerified: 'Passport and the child’s birth certificate seen', receivedOn: '2026-11-30' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      sarId = /\/subject-access\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!
      const r = await db().selectFrom('subject_access_request').selectAll().where('id', '=', sarId).executeTakeFirstOrThrow()
      assert.equal(r.agency_id, CSC)
      assert.equal(r.child_id, childId)
      assert.equal(day(r.due_at), '2026-12-30')
      const clock = await db().selectFrom('clock').selectAll().where('subject_id', '=', sarId).executeTakeFirstOrThrow()
      assert.equal(clock.rule, 'SAR')
      assert.equal(clock.escalate_to_membership_id, membershipOf('ig'))
      assert.equal(clock.due_at.getTime(), r.due_at.getTime())
      const items = await db().selectFrom('subject_access_item').selectAll().where('request_id', '=', sarId).execute()
      assert.deepEqual(items.filter((i) => i.source_type === 'entry').map((i) => i.source_id).sort(), [releasedEntry, exemptEntry].sort(), 'the police’s entry is the police’s to answer for')
      const records = items.filter((i) => i.source_type === 'agency_record')
      assert.equal(records.length, 1)
      assert.match(records[0]!.title, /CSC-REF-1/)
      assert.doesNotMatch(JSON.stringify(items), /POLICE-REF-9|POLICE-CONTENT/)
      const visit = items.find((i) => i.source_id === releasedEntry)!
      assert.deepEqual([...visit.proposed_names].sort(), ['Jordan Marsh', 'Mark Stone'])
      assert.equal(visit.proposed_text, `Home visit by Ben Carter. Sarah said ${REDACTED} and ${REDACTED} had argued; Ellie was upset.`)
      const logged = (await audits('sar.log'))[0]!
      assert.equal(logged.outcome, 'success')
      assert.deepEqual(logged.child_ids, [childId])
      assert.doesNotMatch(JSON.stringify(logged.details), /Sarah|Marsh/)
      const page = await ig.get(url())
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Proposed for redaction/)
      assert.doesNotMatch(page.body, /POLICE-CONTENT/)
      const list = await ig.get('/subject-access')
      assert.match(list.body, new RegExp(`/subject-access/${sarId}`))
      assert.doesNotMatch(list.body, /Overdue/)
      // a list's audit row names the children it showed
      const listed = (await audits('sar.list'))[0]!
      assert.equal(listed.outcome, 'success')
      assert.deepEqual(listed.child_ids, [childId])
    })

    it('access: only IG of the agency; anyone else, or an unknown id, gets the same 404', async () => {
      for (const key of ['sw.north', 'police.mash', 'manager.north']) {
        const a = await ctx.s.signIn(key)
        assert.equal((await a.get('/subject-access')).statusCode, 403, `${key}: the list is not a record`)
        for (const u of [url(), `${url()}/response.json`, `${url()}/response.pdf`]) assert.equal((await a.get(u)).statusCode, 404, `${key} ${u}`)
        assert.equal((await a.post(`${url()}/extend`, { reason: 'x', rowVersion: '1' })).statusCode, 404)
      }
      const ig = await ctx.s.signIn('ig')
      assert.equal((await ig.get(`/subject-access/${randomUUID()}`)).statusCode, 404)
      assert.equal((await ig.get('/subject-access/not-a-uuid')).statusCode, 404)
      assert.equal((await ig.get(`${url()}/response.json`)).statusCode, 404, 'nothing released yet')
    })

    it('a complex request is extended once, to three months, with the reason; both due dates kept', async () => {
      const ig = await ctx.s.signIn('ig')
      const page = await ig.get(url())
      const rowVersion = csrfRow(page.body, /action="\/subject-access\/[^"]+\/extend"[\s\S]*?name="rowVersion" value="(\d+)"/)!
      const bad = await ig.post(`${url()}/extend`, { reason: '  ', rowVersion })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /Say why the request is complex/)
      assert.equal((await ig.post(`${url()}/extend`, { reason: 'Records held in three teams, some archived', rowVersion })).statusCode, 303)
      const r = await db().selectFrom('subject_access_request').selectAll().where('id', '=', sarId).executeTakeFirstOrThrow()
      assert.equal(day(r.due_at), '2026-12-30')
      assert.equal(day(r.extended_due_at!), '2027-02-28')
      assert.equal(r.extension_reason, 'Records held in three teams, some archived')
      const clocks = await db().selectFrom('clock').selectAll().where('subject_id', '=', sarId).orderBy('created_at').execute()
      assert.equal(clocks.length, 2)
      assert.equal(clocks[0]!.state, 'stopped')
      assert.equal(day(clocks[1]!.due_at), '2027-02-28')
      const shown = await ig.get(url())
      assert.match(shown.body, /30 December 2026 — extended to 28 February 2027 \(complex request: Records held in three teams, some archived\)/)
      assert.doesNotMatch(shown.body, /Extend to three months/, 'extended once')
      const again = await ig.post(`${url()}/extend`, { reason: 'Again', rowVersion: String(r.row_version) })
      assert.equal(again.statusCode, 400)
      assert.match(again.body, /extended once/)
      assert.equal((await audits('sar.extend'))[0]!.outcome, 'refused')
    })

    it('item decisions: withholding needs a reason; redacted text is kept; the release waits for every item', async () => {
      const ig = await ctx.s.signIn('ig')
      const items = await db().selectFrom('subject_access_item').selectAll().where('request_id', '=', sarId).execute()
      const visit = items.find((i) => i.source_id === releasedEntry)!
      const exempt = items.find((i) => i.source_id === exemptEntry)!
      const early = await ig.post(`${url()}/release`, { reason: 'Ready' })
      assert.equal(early.statusCode, 400)
      assert.match(early.body, /Decide every item first/)
      const noReason = await ig.post(`${url()}/items/${exempt.id}`, { decision: 'withhold_exemption', reason: '', rowVersion: '1' })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /Give the reason for withholding this item/)
      assert.match(noReason.body, new RegExp(`href="#reason-${exempt.id}"`))
      assert.match(noReason.body, new RegExp(`id="reason-${exempt.id}-error"`), 'the message beside the field of that item’s form')
      const noText = await ig.post(`${url()}/items/${visit.id}`, { decision: 'release_redacted', releasedText: '', rowVersion: '1' })
      assert.equal(noText.statusCode, 400)
      assert.equal((await ig.post(`${url()}/items/${visit.id}`, { decision: 'release_redacted', releasedText: visit.proposed_text, reason: '', rowVersion: '1' })).statusCode, 303)
      assert.equal((await ig.post(`${url()}/items/${exempt.id}`, { decision: 'withhold_exemption', reason: 'Disclosure to the mother would not be in Ellie’s best interests', rowVersion: '1' })).statusCode, 303)
      const record = items.find((i) => i.source_type === 'agency_record')!
      assert.deepEqual(record.proposed_names, [])
      assert.equal((await ig.post(`${url()}/items/${record.id}`, { decision: 'release', rowVersion: '1' })).statusCode, 303)
      const stale = await ig.post(`${url()}/items/${exempt.id}`, { decision: 'release', rowVersion: '1' })
      assert.equal(stale.statusCode, 400)
      const decided = await db().selectFrom('subject_access_item').selectAll().where('request_id', '=', sarId).execute()
      assert.equal(decided.find((i) => i.id === exempt.id)!.decision, 'withhold_exemption')
      assert.equal(decided.find((i) => i.id === visit.id)!.released_text, visit.proposed_text)
      const a = await audits('sar.item.decide')
      assert.equal(a.filter((x) => x.outcome === 'success').length, 3)
    })

    it('release needs a second IG officer: the requester cannot approve it; approval releases and closes the request', async () => {
      const ig = await ctx.s.signIn('ig')
      assert.equal((await ig.post(`${url()}/release`, { reason: 'One entry released redacted, one withheld under Sch 3 Pt 5' })).statusCode, 303)
      const approval = await db().selectFrom('approval_request').selectAll().where('kind', '=', 'sar_release').where('subject_ids', '@>', sql<string[]>`array[${sarId}]::uuid[]`).executeTakeFirstOrThrow()
      assert.equal(approval.state, 'requested')
      // decisions are locked while the release waits
      const visit = (await db().selectFrom('subject_access_item').selectAll().where('source_id', '=', releasedEntry).executeTakeFirstOrThrow())
      const locked = await ig.post(`${url()}/items/${visit.id}`, { decision: 'release', rowVersion: String(visit.row_version) })
      assert.equal(locked.statusCode, 400)
      assert.match(locked.body, /waiting for approval/)
      const self = await ig.post(`${url()}/release/decide`, { decision: 'approve', reason: '', rowVersion: String(approval.row_version) })
      assert.equal(self.statusCode, 400)
      assert.match(self.body, /a second person must decide it/)
      assert.equal((await db().selectFrom('approval_request').select('state').where('id', '=', approval.id).executeTakeFirstOrThrow()).state, 'requested')
      assert.equal((await audits('sar.release.approve'))[0]!.outcome, 'refused')
      // the entry approvals page does not treat it as an entry request
      assert.equal((await ig.get(`/approvals/${approval.id}`)).statusCode, 404)
      // the requester may withdraw it (and ask again); nobody else may
      const ig2 = await ctx.s.signIn('ig2')
      assert.equal((await ig2.post(`${url()}/release/withdraw`, { rowVersion: String(approval.row_version) })).statusCode, 400)
      assert.equal((await ig.post(`${url()}/release/withdraw`, { rowVersion: String(approval.row_version) })).statusCode, 303)
      assert.equal((await db().selectFrom('approval_request').select('state').where('id', '=', approval.id).executeTakeFirstOrThrow()).state, 'withdrawn')
      assert.equal((await audits('sar.release.withdraw'))[0]!.outcome, 'success')
      assert.equal((await ig.post(`${url()}/release`, { reason: 'One entry released redacted, one withheld under Sch 3 Pt 5' })).statusCode, 303)
      const again = await db().selectFrom('approval_request').selectAll().where('kind', '=', 'sar_release').where('state', '=', 'requested').where('subject_ids', '@>', sql<string[]>`array[${sarId}]::uuid[]`).executeTakeFirstOrThrow()
      const page = await ig2.get(url())
      assert.match(page.body, /Release the response\?/)
      const refuseEmpty = await ig2.post(`${url()}/release/decide`, { decision: 'refuse', reason: '', rowVersion: String(again.row_version) })
      assert.equal(refuseEmpty.statusCode, 400)
      assert.match(refuseEmpty.body, /Give the reason for refusing/)
      assert.equal((await ig2.post(`${url()}/release/decide`, { decision: 'approve', reason: 'Checked', rowVersion: String(again.row_version) })).statusCode, 303)
      const rel = await db().selectFrom('subject_access_release').selectAll().where('request_id', '=', sarId).executeTakeFirstOrThrow()
      assert.equal(rel.requested_by, membershipOf('ig'))
      assert.equal(rel.approved_by, membershipOf('ig2'))
      assert.equal(rel.approval_id, again.id)
      const record = await db().selectFrom('subject_access_item').select('id').where('request_id', '=', sarId).where('source_type', '=', 'agency_record').executeTakeFirstOrThrow()
      assert.deepEqual([...rel.released_item_ids].sort(), [visit.id, record.id].sort())
      assert.equal(rel.withheld.length, 1)
      const r = await db().selectFrom('subject_access_request').selectAll().where('id', '=', sarId).executeTakeFirstOrThrow()
      assert.equal(r.state, 'closed')
      assert.equal(r.outcome, 'met')
      const clock = await db().selectFrom('clock').selectAll().where('subject_id', '=', sarId).where('state', '=', 'met').executeTakeFirstOrThrow()
      assert.ok(clock.met_at)
      const approved = (await audits('sar.release.approve'))[0]!
      assert.equal(approved.outcome, 'success')
      assert.equal(approved.actor_membership_id, membershipOf('ig2'))
    })

    it('the response as JSON and PDF: released items only, redactions applied, withheld items by their ground only; each export recorded', async () => {
      const ig = await ctx.s.signIn('ig')
      const res = await ig.get(`${url()}/response.json`)
      assert.equal(res.statusCode, 200)
      const doc = JSON.parse(res.body) as { items: { text: string }[]; withheld: { withheld: string }[]; child: { name: string } }
      assert.equal(doc.child.name, 'Ellie Marsh')
      assert.equal(doc.items.length, 2)
      assert.ok(doc.items.some((i) => /Sarah said \[redacted\] and \[redacted\]/.test(i.text)))
      assert.ok(doc.items.some((i) => /1 Mill Lane/.test(i.text)))
      assert.doesNotMatch(res.body, /Jordan|Mark Stone|EXEMPT-CONTENT|POLICE-CONTENT|best interests” to the mother/)
      assert.doesNotMatch(res.body, /not be in Ellie’s best interests/, 'the reason for withholding is IG’s, not in the response')
      assert.match(doc.withheld[0]!.withheld, /Schedule 3, Part 5/)
      // without Chromium: the one "not available" page, the JSON offered, and no export recorded (the list below)
      await assertPdfUnavailable(ctx.s, () => ig.get(`${url()}/response.pdf`), /download the response as JSON instead/)
      const pdf = await ig.get(`${url()}/response.pdf`)
      if (fs.existsSync(ctx.s.config.chromiumPath)) {
        assert.equal(pdf.statusCode, 200)
        assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-')
        assert.doesNotMatch(pdf.rawPayload.toString('latin1'), /EXEMPT-CONTENT/)
      } else {
        assert.equal(pdf.statusCode, 503)
        console.log(`skipped the PDF content check: no Chromium at ${ctx.s.config.chromiumPath}`)
      }
      const exports = await db().selectFrom('subject_access_export').selectAll().orderBy('exported_at').execute()
      assert.deepEqual(exports.map((x) => x.format), ['json', 'pdf'])
      const audited = (await audits('sar.export')).filter((a) => a.outcome === 'success')
      assert.equal(audited.length, 2)
      assert.deepEqual(audited[0]!.child_ids, [childId])
      // the release record is append-only
      await assert.rejects(db().updateTable('subject_access_release').set({ content_hash: 'x' }).where('request_id', '=', sarId).execute())
      const page = await ig.get(url())
      assert.match(page.body, /Exports/)
      assert.doesNotMatch(page.body, /Save the decision/)
    })

    it('a dispute recorded beside the entry: shown on its page and the chronology; corrected by a superseding entry, the original kept', async () => {
      const sw = await ctx.s.signIn('sw.north')
      const entryPage = `/entries/${releasedEntry}/disputes`
      assert.equal((await sw.get(entryPage)).statusCode, 200)
      const bad = await sw.post(entryPage, { kind: 'dispute' })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /govuk-error-summary/)
      assert.match(bad.body, /Record what they say is wrong/)
      assert.match(bad.body, /id="statement-error"/)
      assert.equal((await sw.post(entryPage, { kind: 'correction', raisedByName: 'Sarah Marsh', raisedByRelationship: 'parent', statement: 'Mark was not there that day.' })).statusCode, 303)
      const dispute = await db().selectFrom('entry_dispute').selectAll().where('entry_id', '=', releasedEntry).executeTakeFirstOrThrow()
      assert.equal(dispute.recorded_by, membershipOf('sw.north'))
      const shown = await sw.get(`/entries/${releasedEntry}`)
      assert.match(shown.body, /Disputed/)
      assert.match(shown.body, /Mark was not there that day\./)
      const chron = await sw.get(`/children/${childId}/chronology`)
      assert.match(chron.body, new RegExp(`/entries/${releasedEntry}#disputes"><strong class="govuk-tag govuk-tag--orange">Disputed`))
      assert.doesNotMatch(chron.body, new RegExp(`/entries/${exemptEntry}#disputes`))
      // a practitioner who cannot see the entry: 404, nothing recorded
      const police = await ctx.s.signIn('police.mash')
      assert.equal((await police.get(entryPage)).statusCode, 404)
      assert.equal((await police.post(entryPage, { kind: 'dispute', raisedByName: 'X', raisedByRelationship: 'parent', statement: 'Y' })).statusCode, 404)
      // the answer: not corrected needs reasons; corrected makes a superseding entry
      const respond = `${entryPage}/${dispute.id}/response`
      const noReasons = await sw.post(respond, { outcome: 'not_corrected', response: '', rowVersion: '1' })
      assert.equal(noReasons.statusCode, 400)
      assert.match(noReasons.body, /Give the reasons the entry is not corrected/)
      assert.equal((await sw.post(respond, { outcome: 'corrected', correctedText: 'Home visit. Sarah said Jordan Marsh had argued; Ellie was upset.', response: 'Corrected after checking the notes', rowVersion: '1' })).statusCode, 303)
      const answered = await db().selectFrom('entry_dispute').selectAll().where('id', '=', dispute.id).executeTakeFirstOrThrow()
      assert.equal(answered.outcome, 'corrected')
      const correction = await db().selectFrom('entry').selectAll().where('id', '=', answered.correcting_entry_id!).executeTakeFirstOrThrow()
      assert.equal(correction.supersedes_entry_id, releasedEntry)
      assert.equal(correction.visibility, 'team')
      const original = await db().selectFrom('entry').selectAll().where('id', '=', releasedEntry).executeTakeFirstOrThrow()
      assert.match(original.summary, /Mark Stone had argued/, 'the original is unchanged')
      assert.match((await sw.get(`/entries/${releasedEntry}`)).body, /the corrected entry/)
      const twice = await sw.post(respond, { outcome: 'not_corrected', response: 'No', rowVersion: '2' })
      assert.equal(twice.statusCode, 400)
      for (const action of ['entry.dispute.view', 'entry.dispute.record', 'entry.dispute.respond']) {
        assert.ok((await audits(action)).some((a) => a.outcome === 'success' && a.child_ids.includes(childId)), action)
      }
    })

    it('IG records a dispute for an entry item of a request; items that are not entries cannot be disputed there', async () => {
      const ig = await ctx.s.signIn('ig')
      const exempt = await db().selectFrom('subject_access_item').selectAll().where('source_id', '=', exemptEntry).executeTakeFirstOrThrow()
      const bad = await ig.post(`${url()}/items/${exempt.id}/dispute`, { kind: 'dispute' })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /Enter the name of the person who disputes the entry/)
      assert.match(bad.body, new RegExp(`href="#raisedByName-d-${exempt.id}"`))
      assert.match(bad.body, new RegExp(`id="raisedByName-d-${exempt.id}-error"`))
      // the form as the page renders it, sent twice (a double click): one dispute, the second sent where the first went
      const page = await ig.get(url())
      const formKey = /action="[^"]*\/items\/[^"]*\/dispute"[\s\S]*?name="formKey" value="([^"]+)"/.exec(page.body)?.[1]
      assert.ok(formKey, 'the dispute form carries the page’s form key')
      const form = { kind: 'dispute', raisedByName: 'Ellie Marsh', raisedByRelationship: 'child', statement: 'I did not say that.', formKey }
      const first = await ig.post(`${url()}/items/${exempt.id}/dispute`, form)
      const again = await ig.post(`${url()}/items/${exempt.id}/dispute`, form)
      assert.deepEqual([first.statusCode, again.statusCode, again.headers.location], [303, 303, first.headers.location])
      const d = await db().selectFrom('entry_dispute').selectAll().where('entry_id', '=', exemptEntry).executeTakeFirstOrThrow()
      assert.equal((await db().selectFrom('entry_dispute').select('id').where('entry_id', '=', exemptEntry).execute()).length, 1, 'one dispute')
      assert.equal(d.subject_access_item_id, exempt.id)
      assert.equal(d.recorded_by, membershipOf('ig'))
      assert.equal((await ig.post(`${url()}/items/${randomUUID()}/dispute`, { kind: 'dispute', raisedByName: 'A', raisedByRelationship: 'child', statement: 'B' })).statusCode, 404)
    })

    it('an overdue request shows on the IG’s list; its release then needs the reason it is late and closes as met late', async () => {
      const ig = await ctx.s.signIn('ig')
      const res = await ig.post('/subject-access', { givenName: 'Ellie', familyName: 'Marsh', dateOfBirth: '2014-06-01', requesterRelationship: 'child', requesterName: 'Ellie Marsh', identityVerified: 'Known to her social worker; school ID seen', receivedOn: '2026-10-01' })
      assert.equal(res.statusCode, 303)
      const id = /\/subject-access\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!
      const list = await ig.get('/subject-access')
      assert.match(list.body, /Overdue/)
      // escalated to the officer who logged it, through the usual clock escalation, linking to the request
      await systemRepository({ db: db(), clock: ctx.s.clock }, 'test').escalateOverdueClocks()
      const clock = await db().selectFrom('clock').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow()
      assert.equal(clock.state, 'overdue')
      const notice = await db().selectFrom('notification').selectAll().where('membership_id', '=', membershipOf('ig')).where('kind', '=', 'clock.overdue').where('subject_id', '=', id).executeTakeFirstOrThrow()
      assert.equal(notice.link, `/subject-access/${id}`)
      const items = await db().selectFrom('subject_access_item').selectAll().where('request_id', '=', id).execute()
      for (const i of items) assert.equal((await ig.post(`/subject-access/${id}/items/${i.id}`, { decision: 'withhold_third_party', reason: 'About other people', rowVersion: String(i.row_version) })).statusCode, 303)
      const noLate = await ig.post(`/subject-access/${id}/release`, { reason: 'All withheld' })
      assert.equal(noLate.statusCode, 400)
      assert.match(noLate.body, /record the reason it is late/)
      assert.equal((await ig.post(`/subject-access/${id}/release`, { reason: 'All withheld', lateReason: 'Logged late by the front desk' })).statusCode, 303)
      const approval = await db().selectFrom('approval_request').selectAll().where('kind', '=', 'sar_release').where('subject_ids', '@>', sql<string[]>`array[${id}]::uuid[]`).executeTakeFirstOrThrow()
      const ig2 = await ctx.s.signIn('ig2')
      assert.equal((await ig2.post(`/subject-access/${id}/release/decide`, { decision: 'approve', reason: '', rowVersion: String(approval.row_version) })).statusCode, 303)
      const r = await db().selectFrom('subject_access_request').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      assert.equal(r.outcome, 'met_late')
      assert.equal(r.late_reason, 'Logged late by the front desk')
      const doc = JSON.parse((await ig.get(`/subject-access/${id}/response.json`)).body) as { items: unknown[]; withheld: unknown[] }
      assert.equal(doc.items.length, 0)
      assert.equal(doc.withheld.length, items.length)
    })

    it('a child a reviewer’s merge left empty (same name and date of birth) is not a second match: the request is logged for the child', async () => {
      const merged = randomUUID()
      await db().insertInto('child').values({ id: merged, partnership_id: P, given_name: 'Ellie', family_name: 'Marsh', date_of_birth: '2014-06-01', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, merged_into_child_id: childId, created_at: ctx.s.clock.now() }).execute()
      const ig = await ctx.s.signIn('ig')
      const res = await ig.post('/subject-access', { givenName: 'Ellie', familyName: 'Marsh', dateOfBirth: '2014-06-01', requesterRelationship: 'child', requesterName: 'Ellie Marsh', identityVerified: 'Known to her social worker', receivedOn: '2026-11-30' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 300))
      const id = /\/subject-access\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!
      const r = await db().selectFrom('subject_access_request').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      assert.equal(r.child_id, childId)
    })
  })
}
