// Bulk export with two-person approval: asking (bad input, out-of-scope children answered like unknown ones), the
// second person (never the requester, never an officer of another agency), the JSON download of the agency's records
// only (sealed and restricted-away entries never in it, nor any count of them), the 24-hour window, and every action
// in the audit with every child named.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../../../test/support/app.ts'
import { testEngines } from '../../../test/support/db.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import type { Role } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { nhsCheckDigit, stableUuid } from '../../data/ids.ts'
import { EXPORT_HOURS } from './repository.ts'
import { childLines } from './routes.ts'

const CSC = stableUuid('northshire:agency:csc')
const POLICE = stableUuid('northshire:agency:police')
const NORTH = stableUuid('northshire:team:csc:north')

/** A valid NHS number not used by the seed (prefix 999, check digit computed). */
function nhsNumber(seed: number): string {
  for (let n = seed; ; n++) {
    const nine = `999${String(n).padStart(6, '0')}`
    const check = nhsCheckDigit(nine)
    if (check !== null) return `${nine}${check}`
  }
}

describe('child lines', () => {
  it('one a line, trimmed, blank lines ignored', () => {
    assert.deepEqual(childLines(' a \r\n\n b\n  '), ['a', 'b'])
  })
})

for (const engine of testEngines()) {
  describe(`bulk export [${engine}]`, () => {
    const ctx = {} as { s: TestApp }
    before(async () => {
      ctx.s = await startTestApp(engine, { children: 5, start: '2026-11-30T10:00:00Z' })
    })
    after(async () => {
      await ctx.s?.close()
    })
    const db = () => ctx.s.t.db
    const audits = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id', 'desc').execute()
    const alpha = randomUUID() // CSC entries of every label, a police entry
    const bravo = randomUUID() // a CSC entry, and concerns
    const policeOnly = randomUUID() // nothing of CSC's
    const sealedOnly = randomUUID() // only a sealed CSC entry: its existence must not show
    const alphaNhs = nhsNumber(100)
    const policeNhs = nhsNumber(200)
    let exportId: string
    const url = () => `/exports/${exportId}`
    const rowVersionIn = (body: string) => /name="rowVersion" value="(\d+)"/.exec(body)?.[1] ?? '1'

    it('setup: four children; entries of every visibility by children’s social care; the police’s own; concerns', async () => {
      const now = ctx.s.clock.now()
      const child = (id: string, given: string, nhs: string | null) => ({ id, partnership_id: P, given_name: given, family_name: 'Exporttest', date_of_birth: '2014-06-01', expected_date_of_birth: null, sex: 'female' as const, nhs_number: nhs, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now })
      await db()
        .insertInto('child')
        .values([child(alpha, 'Alpha', alphaNhs), child(bravo, 'Bravo', null), child(policeOnly, 'Papa', policeNhs), child(sealedOnly, 'Sierra', null)])
        .execute()
      const at = new Date('2026-11-10T10:00:00Z')
      const entry = (childId: string, summary: string, visibility: 'agency' | 'team' | 'front_door' | 'restricted' | 'sealed', more: { agency?: string; author?: string; agencies?: string[]; roles?: string[] } = {}) => ({
        id: randomUUID(),
        partnership_id: P,
        child_id: childId,
        type: 'home_visit',
        category: 'neglect',
        occurred_at: at,
        recorded_at: at,
        author_membership_id: membershipOf(more.author ?? 'sw.north'),
        author_team_id: more.agency === POLICE ? null : NORTH,
        source_agency_id: more.agency ?? CSC,
        significance: 'medium' as const,
        summary,
        visibility,
        restricted_agency_ids: more.agencies ?? [],
        restricted_roles: more.roles ?? [],
        addressed_to_membership_id: null,
        agency_record_id: null,
        supersedes_entry_id: null,
        detail_type: null,
        detail_id: null,
      })
      const concernEntry = entry(bravo, 'CONCERN-ENTRY-OK', 'team')
      const sealedSecret = entry(alpha, 'SEALED-SECRET: never leaves.', 'sealed')
      // a correction of the sealed entry, itself visible: it must not carry the sealed entry's id
      const fixup = { ...entry(alpha, 'FIXUP-NOTE: a correction.', 'team'), supersedes_entry_id: sealedSecret.id }
      const sealedConcernEntry = entry(bravo, 'CONCERN-ENTRY-SEALED', 'sealed')
      await db()
        .insertInto('entry')
        .values([
          entry(alpha, 'TEAM-VISIBLE: a home visit.', 'team'),
          entry(alpha, 'AGENCY-OWN: our own note.', 'agency'),
          entry(alpha, 'FRONT-DOOR-OWN: the front door’s note.', 'front_door'),
          sealedSecret,
          entry(alpha, 'RESTRICTED-NAMED: names us.', 'restricted', { agencies: [CSC, POLICE] }),
          entry(alpha, 'RESTRICTED-AWAY: names the police only.', 'restricted', { agencies: [POLICE] }),
          entry(alpha, 'RESTRICTED-ROLE-AWAY: names us, social workers only.', 'restricted', { agencies: [CSC], roles: ['social_worker'] }),
          entry(alpha, 'POLICE-CONTENT: the police’s own.', 'team', { agency: POLICE, author: 'police.mash' }),
          entry(bravo, 'BRAVO-TEAM: a visit.', 'team'),
          concernEntry,
          sealedConcernEntry,
          entry(policeOnly, 'POLICE-ONLY: the police’s own.', 'team', { agency: POLICE, author: 'police.mash' }),
          entry(sealedOnly, 'SEALED-ONLY: sealed.', 'sealed'),
        ])
        .execute()
      const concern = (entryId: string, seen: string) => ({ id: randomUUID(), partnership_id: P, submission_id: randomUUID(), child_id: bravo, agency_id: CSC, raised_by_membership_id: membershipOf('sw.north'), category: 'neglect', seen_or_heard: seen, child_words: null, occurred_at: at, location: null, other_children: null, body_map: '[]', entry_id: entryId, idempotency_key: null, created_at: at })
      await db().insertInto('entry').values(fixup).execute()
      await db().insertInto('concern').values([concern(concernEntry.id, 'CONCERN-OK: seen at school.'), concern(sealedConcernEntry.id, 'CONCERN-SEALED: never leaves.')]).execute()
    })

    it('asking: bad input answers with the error summary; a missing reason is refused; nothing is asked for', async () => {
      const ig = await ctx.s.signIn('ig')
      assert.equal((await ig.get('/exports/new')).statusCode, 200)
      const empty = await ig.post('/exports', {})
      assert.equal(empty.statusCode, 400)
      assert.match(empty.body, /govuk-error-summary/)
      for (const m of [/Enter the children to export, one a line/, /Say whether to include concerns/, /Choose the purpose of the export/, /Choose the lawful basis/, /Give the reason for the export/]) assert.match(empty.body, m)
      const good = { children: `${alphaNhs}\n${bravo}`, includeConcerns: 'yes', purpose: 'practice_review', lawfulBasis: '6.1.e', reason: 'CSPR of the Exporttest family: the independent reviewer needs our chronologies' }
      const noReason = await ig.post('/exports', { ...good, reason: '   ' })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /Give the reason for the export/)
      assert.match(noReason.body, /href="#reason"/)
      const badLine = await ig.post('/exports', { ...good, children: `${alpha}\nnot an id\n1234567890` })
      assert.equal(badLine.statusCode, 400)
      assert.match(badLine.body, /Line 2, 3: enter a TeamAround id or a valid 10-digit NHS number/)
      const badBasis = await ig.post('/exports', { ...good, lawfulBasis: '6.1.z', purpose: 'gossip' })
      assert.equal(badBasis.statusCode, 400)
      assert.match(badBasis.body, /Choose the lawful basis/)
      assert.match(badBasis.body, /Choose the purpose of the export/)
      const tooMany = await ig.post('/exports', { ...good, children: Array.from({ length: 51 }, () => randomUUID()).join('\n') })
      assert.equal(tooMany.statusCode, 400)
      assert.match(tooMany.body, /Enter at most 50 children/)
      assert.equal((await db().selectFrom('bulk_export').selectAll().execute()).length, 0)
      assert.equal((await db().selectFrom('approval_request').selectAll().where('kind', '=', 'bulk_export').execute()).length, 0)
    })

    it('consent as the lawful basis: not offered, and refused with the error summary; nothing asked for, nothing exported', async () => {
      const ig = await ctx.s.signIn('ig')
      const form = await ig.get('/exports/new')
      assert.doesNotMatch(form.body, /value="6\.1\.a"/, 'consent is not offered as a basis')
      assert.match(form.body, /Consent is not offered/)
      const res = await ig.post('/exports', { children: `${alphaNhs}\n${bravo}`, includeConcerns: 'yes', purpose: 'complaint', lawfulBasis: '6.1.a', reason: 'The family asked the ombudsman to look at our records' })
      assert.equal(res.statusCode, 400)
      assert.match(res.body, /govuk-error-summary/)
      assert.match(res.body, /Consent cannot be the lawful basis for a bulk export/)
      assert.match(res.body, /href="#lawfulBasis"/)
      // listed with the other problems at once
      const withOthers = await ig.post('/exports', { children: '', includeConcerns: 'yes', purpose: 'complaint', lawfulBasis: '6.1.a', reason: '' })
      assert.equal(withOthers.statusCode, 400)
      for (const m of [/Consent cannot be the lawful basis for a bulk export/, /Enter the children to export, one a line/, /Give the reason for the export/]) assert.match(withOthers.body, m)
      // the data layer refuses it too (any caller, not only the page): refused in the audit, nothing written
      const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf('ig')).executeTakeFirstOrThrow()
      const actor: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
      const direct = await ctx.s.data.forActor(actor).exports.request({ children: [{ kind: 'id', id: alpha }, { kind: 'nhs_number', nhsNumber: alphaNhs }], includeConcerns: false, purpose: 'complaint', lawfulBasis: '6.1.a', reason: 'Consent given by the family' })
      assert.equal(direct?.status, 'basis-refused')
      const a = (await audits('export.request'))[0]!
      assert.equal(a.outcome, 'refused')
      assert.equal((a.details as { lawfulBasis: string }).lawfulBasis, '6.1.a')
      assert.equal((await db().selectFrom('bulk_export').selectAll().execute()).length, 0)
      assert.equal((await db().selectFrom('approval_request').selectAll().where('kind', '=', 'bulk_export').execute()).length, 0)
      assert.equal((await audits('export.download')).length, 0)
    })

    it('children out of scope (another agency’s only, sealed only, unknown) are answered exactly like unknown ones', async () => {
      const ig = await ctx.s.signIn('ig')
      const base = { includeConcerns: 'no', purpose: 'court', lawfulBasis: '6.1.c', reason: 'Court order for disclosure' }
      const strip = (s: string) => s.replace(/nonce-[^'"]+|nonce="[^"]+"|value="[^"]*"|<textarea[^>]*>[^<]*<\/textarea>|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '')
      const unknown = await ig.post('/exports', { ...base, children: `${alpha}\n${randomUUID()}` })
      assert.equal(unknown.statusCode, 400)
      assert.match(unknown.body, /Line 2: no child your agency holds records of has this identifier/)
      for (const other of [policeOnly, sealedOnly, policeNhs]) {
        const res = await ig.post('/exports', { ...base, children: `${alpha}\n${other}` })
        assert.equal(res.statusCode, 400)
        assert.equal(strip(res.body), strip(unknown.body), `${other} is answered like an unknown child`)
      }
      assert.equal((await db().selectFrom('bulk_export').selectAll().execute()).length, 0)
      const a = (await audits('export.request'))[0]!
      assert.equal(a.outcome, 'not_found')
      assert.deepEqual(a.child_ids, [])
    })

    it('access: only information governance; an unknown export, or one of another agency, is 404', async () => {
      for (const key of ['sw.north', 'manager.north', 'police.mash']) {
        const a = await ctx.s.signIn(key)
        assert.equal((await a.get('/exports')).statusCode, 403, `${key}: the list is not a record`)
        assert.equal((await a.get(`/exports/${randomUUID()}`)).statusCode, 404)
      }
      const ig = await ctx.s.signIn('ig')
      assert.equal((await ig.get(`/exports/${randomUUID()}`)).statusCode, 404)
      assert.equal((await ig.get('/exports/not-a-uuid')).statusCode, 404)
      assert.equal((await ig.get(`/exports/${randomUUID()}/export.json`)).statusCode, 404)
    })

    it('asked for by one IG officer: the export and a two-person approval; the other officers told', async () => {
      const ig = await ctx.s.signIn('ig')
      const res = await ig.post('/exports', { children: `${alphaNhs}\n\n${bravo}\n${bravo}`, includeConcerns: 'yes', purpose: 'practice_review', lawfulBasis: '6.1.e', reason: 'CSPR of the Exporttest family: the independent reviewer needs our chronologies' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      exportId = /\/exports\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!
      const x = await db().selectFrom('bulk_export').selectAll().where('id', '=', exportId).executeTakeFirstOrThrow()
      assert.equal(x.partnership_id, P)
      assert.equal(x.agency_id, CSC)
      assert.deepEqual(x.child_ids, [alpha, bravo], 'each child once, in the order asked')
      assert.equal(x.include_concerns, true)
      assert.equal(x.lawful_basis, '6.1.e')
      const approval = await db().selectFrom('approval_request').selectAll().where('id', '=', x.approval_id).executeTakeFirstOrThrow()
      assert.equal(approval.kind, 'bulk_export')
      assert.equal(approval.subject_type, 'export')
      assert.deepEqual(approval.subject_ids, [exportId])
      assert.deepEqual(approval.child_ids, [alpha, bravo])
      assert.equal(approval.state, 'requested')
      const told = await db().selectFrom('notification').selectAll().where('kind', '=', 'export.requested').execute()
      assert.ok(told.some((n) => n.membership_id === membershipOf('ig2')))
      assert.ok(!told.some((n) => n.membership_id === membershipOf('ig')))
      const a = (await audits('export.request'))[0]!
      assert.equal(a.outcome, 'success')
      assert.deepEqual(a.child_ids, [alpha, bravo])
      assert.doesNotMatch(JSON.stringify(a.details), /Exporttest|CSPR/)
      const page = await ig.get(url())
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Alpha Exporttest/)
      assert.match(page.body, /another information governance officer of your agency decides it/)
      assert.doesNotMatch(page.body, /Approve the export\?/)
      const list = await ig.get('/exports')
      assert.match(list.body, new RegExp(`/exports/${exportId}`))
      // not downloadable before approval
      assert.equal((await ig.get(`${url()}/export.json`)).statusCode, 409)
      assert.equal((await audits('export.download'))[0]!.outcome, 'refused')
    })

    it('two people: the requester cannot approve it; an IG officer of another agency cannot see it; a second officer of the agency can', async () => {
      const ig = await ctx.s.signIn('ig')
      const approval = await db().selectFrom('approval_request').selectAll().where('kind', '=', 'bulk_export').where('subject_ids', '@>', sql<string[]>`array[${exportId}]::uuid[]`).executeTakeFirstOrThrow()
      const self = await ig.post(`${url()}/decide`, { decision: 'approve', reason: '', rowVersion: String(approval.row_version) })
      assert.equal(self.statusCode, 400)
      assert.match(self.body, /a second person must decide it/)
      assert.equal((await db().selectFrom('approval_request').select('state').where('id', '=', approval.id).executeTakeFirstOrThrow()).state, 'requested')
      assert.equal((await audits('export.approve'))[0]!.outcome, 'refused')
      // the entry approvals page does not take it
      assert.equal((await ig.get(`/approvals/${approval.id}`)).statusCode, 404)

      // a different person, information governance of the police: not their agency's export
      const policeIg = randomUUID()
      await db().insertInto('membership').values({ id: policeIg, partnership_id: P, practitioner_id: stableUuid('northshire:practitioner:ig2'), agency_id: POLICE, team_id: null, role: 'ig_officer', starts_at: new Date('2026-09-01T00:00:00Z'), ends_at: null, created_at: new Date('2026-09-01T00:00:00Z') }).execute()
      const other = await ctx.s.signIn('ig2')
      await other.get('/account/role')
      assert.equal((await other.post('/account/role', { membership: policeIg })).statusCode, 303)
      assert.equal((await other.get(url())).statusCode, 404)
      assert.equal((await other.post(`${url()}/decide`, { decision: 'approve', reason: '', rowVersion: String(approval.row_version) })).statusCode, 404)
      assert.doesNotMatch((await other.get('/exports')).body, new RegExp(exportId))
      assert.equal((await db().selectFrom('approval_request').select('state').where('id', '=', approval.id).executeTakeFirstOrThrow()).state, 'requested')
      const notFound = (await audits('export.approve'))[0]!
      assert.equal(notFound.outcome, 'not_found')
      await db().updateTable('membership').set({ ends_at: ctx.s.clock.now() }).where('id', '=', policeIg).execute()

      // the second officer of the agency: cannot withdraw someone else's request; refusing needs a reason; approves
      const ig2 = await ctx.s.signIn('ig2')
      const page = await ig2.get(url())
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Approve the export\?/)
      assert.equal((await ig2.post(`${url()}/withdraw`, { rowVersion: rowVersionIn(page.body) })).statusCode, 400)
      const noReason = await ig2.post(`${url()}/decide`, { decision: 'refuse', reason: '', rowVersion: rowVersionIn(page.body) })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /Give the reason for refusing/)
      const nothing = await ig2.post(`${url()}/decide`, { reason: '', rowVersion: rowVersionIn(page.body) })
      assert.equal(nothing.statusCode, 400)
      assert.match(nothing.body, /Choose whether to approve the export/)
      const ok = await ig2.post(`${url()}/decide`, { decision: 'approve', reason: '', rowVersion: rowVersionIn(page.body) })
      assert.equal(ok.statusCode, 303, ok.body.slice(0, 400))
      const decided = await db().selectFrom('approval_request').selectAll().where('id', '=', approval.id).executeTakeFirstOrThrow()
      assert.equal(decided.state, 'approved')
      assert.equal(decided.decided_by, membershipOf('ig2'))
      const approved = (await audits('export.approve'))[0]!
      assert.equal(approved.outcome, 'success')
      assert.deepEqual(approved.child_ids, [alpha, bravo])
      // decided once
      const again = await ig2.post(`${url()}/decide`, { decision: 'refuse', reason: 'Second thoughts', rowVersion: String(decided.row_version) })
      assert.equal(again.statusCode, 409)
      // only the requester downloads it
      assert.equal((await ig2.get(`${url()}/export.json`)).statusCode, 404)
      assert.doesNotMatch((await ig2.get(url())).body, /Download the export/)
    })

    it('the download: the agency’s entries and concerns it may release, never sealed or restricted-away ones, nor a count of them; recorded and audited', async () => {
      const ig = await ctx.s.signIn('ig')
      const page = await ig.get(url())
      assert.match(page.body, /Download the export \(JSON\)/)
      const res = await ig.get(`${url()}/export.json`)
      assert.equal(res.statusCode, 200)
      assert.match(String(res.headers['content-type']), /application\/json/)
      assert.match(String(res.headers['content-disposition']), /attachment/)
      assert.equal(res.headers['cache-control'], 'no-store')
      const doc = JSON.parse(res.body) as { export: { contains: string[]; lawfulBasis: string; contentHash: string }; children: { id: string; entries: { summary: string; visibility: string; supersedes: string | null }[]; concerns?: { seenOrHeard: string }[] }[] }
      assert.deepEqual(doc.children.map((c) => c.id), [alpha, bravo])
      assert.deepEqual(doc.export.contains, ['chronology entries', 'concerns'])
      assert.match(doc.export.lawfulBasis, /Public task/)
      const a = doc.children[0]!
      assert.deepEqual(a.entries.map((e) => e.summary.split(':')[0]).sort(), ['AGENCY-OWN', 'FIXUP-NOTE', 'FRONT-DOOR-OWN', 'RESTRICTED-NAMED', 'TEAM-VISIBLE'])
      assert.equal(a.entries.find((e) => e.summary.startsWith('FIXUP-NOTE'))!.supersedes, null, 'a correction of a sealed entry does not name it')
      const b = doc.children[1]!
      assert.deepEqual(b.entries.map((e) => e.summary.split(':')[0]).sort(), ['BRAVO-TEAM', 'CONCERN-ENTRY-OK'])
      assert.deepEqual(b.concerns!.map((c) => c.seenOrHeard), ['CONCERN-OK: seen at school.'])
      assert.doesNotMatch(res.body, /SEALED|RESTRICTED-AWAY|RESTRICTED-ROLE-AWAY|POLICE|sealed|withheld|hidden|omitted/i)
      // recorded: who, when, how many items per child (only what was exported)
      const d = await db().selectFrom('bulk_export_download').selectAll().where('export_id', '=', exportId).executeTakeFirstOrThrow()
      assert.equal(d.partnership_id, P)
      assert.equal(d.downloaded_by, membershipOf('ig'))
      assert.deepEqual(d.items, [
        { childId: alpha, entries: 5, concerns: 0 },
        { childId: bravo, entries: 2, concerns: 1 },
      ])
      assert.equal(d.total, 8)
      assert.equal(d.content_hash, doc.export.contentHash)
      // audited naming every child, with the download it made (same transaction: both or neither)
      const audit = (await audits('export.download'))[0]!
      assert.equal(audit.outcome, 'success')
      assert.deepEqual(audit.child_ids, [alpha, bravo])
      assert.equal((audit.details as { download: string }).download, d.id)
      assert.doesNotMatch(JSON.stringify(audit.details), /Exporttest|TEAM-VISIBLE/)
      // the row cannot be changed afterwards
      await assert.rejects(db().updateTable('bulk_export_download').set({ total: 0 }).where('id', '=', d.id).execute())
      await assert.rejects(db().updateTable('bulk_export').set({ purpose: 'court' }).where('id', '=', exportId).execute())
      const shown = await ig.get(url())
      assert.match(shown.body, /8 items/)
    })

    it(`available for ${EXPORT_HOURS} hours after approval, then expired (410), audited as refused`, async () => {
      const approval = await db().selectFrom('approval_request').selectAll().where('kind', '=', 'bulk_export').where('subject_ids', '@>', sql<string[]>`array[${exportId}]::uuid[]`).executeTakeFirstOrThrow()
      const until = approval.decided_at!.getTime() + EXPORT_HOURS * 3_600_000
      ctx.s.clock.advance(until - ctx.s.clock.now().getTime() - 5 * 60_000)
      // a day on, the earlier sessions have ended: sign in again (the clock moves on 31 seconds)
      let ig = await ctx.s.signIn('ig')
      assert.ok(ctx.s.clock.now().getTime() < until)
      assert.equal((await ig.get(`${url()}/export.json`)).statusCode, 200, 'minutes before the end')
      ctx.s.clock.advance(until - ctx.s.clock.now().getTime())
      ig = await ctx.s.signIn('ig')
      const late = await ig.get(`${url()}/export.json`)
      assert.equal(late.statusCode, 410)
      assert.match(late.body, /no longer available/)
      const a = (await audits('export.download'))[0]!
      assert.equal(a.outcome, 'refused')
      assert.deepEqual(a.child_ids, [alpha, bravo])
      assert.equal((await db().selectFrom('bulk_export_download').selectAll().where('export_id', '=', exportId).execute()).length, 2)
      const page = await ig.get(url())
      assert.match(page.body, /has expired/)
      assert.doesNotMatch(page.body, /Download the export \(JSON\)/)
      assert.match((await ig.get('/exports')).body, /expired/)
    })

    it('refused or withdrawn: never downloadable', async () => {
      const ig = await ctx.s.signIn('ig')
      const ask = async () => {
        const res = await ig.post('/exports', { children: bravo, includeConcerns: 'no', purpose: 'court', lawfulBasis: '6.1.c', reason: 'Court order' })
        assert.equal(res.statusCode, 303)
        return /\/exports\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]!
      }
      const first = await ask()
      const page = await ig.get(`/exports/${first}`)
      assert.equal((await ig.post(`/exports/${first}/withdraw`, { rowVersion: rowVersionIn(page.body) })).statusCode, 303)
      assert.equal((await audits('export.withdraw'))[0]!.outcome, 'success')
      assert.equal((await ig.get(`/exports/${first}/export.json`)).statusCode, 409)
      const second = await ask()
      const ig2 = await ctx.s.signIn('ig2')
      const p2 = await ig2.get(`/exports/${second}`)
      assert.equal((await ig2.post(`/exports/${second}/decide`, { decision: 'refuse', reason: 'The order does not cover this child', rowVersion: rowVersionIn(p2.body) })).statusCode, 303)
      const refused = (await audits('export.refuse'))[0]!
      assert.equal(refused.outcome, 'success')
      assert.deepEqual(refused.child_ids, [bravo])
      assert.equal((await ig.get(`/exports/${second}/export.json`)).statusCode, 409)
      assert.match((await ig.get(`/exports/${second}`)).body, /The order does not cover this child/)
    })

    it('an export asked for on consent before consent was refused as its basis: never approved, never downloaded', async () => {
      const now = ctx.s.clock.now()
      const ask = async () => {
        const id = randomUUID()
        const approvalId = randomUUID()
        await db().insertInto('approval_request').values({ id: approvalId, partnership_id: P, kind: 'bulk_export', subject_type: 'export', subject_ids: [id], child_ids: [bravo], reason: 'Consent given by the family', requested_by: membershipOf('ig'), requested_by_practitioner: stableUuid('northshire:practitioner:ig'), requested_at: now }).execute()
        await db().insertInto('bulk_export').values({ partnership_id: P, id, agency_id: CSC, child_ids: [bravo], include_concerns: true, purpose: 'complaint', lawful_basis: '6.1.a', approval_id: approvalId, requested_by: membershipOf('ig'), requested_at: now }).execute()
        return { id, approvalId }
      }
      const pending = await ask()
      const ig2 = await ctx.s.signIn('ig2')
      const page = await ig2.get(`/exports/${pending.id}`)
      const approve = await ig2.post(`/exports/${pending.id}/decide`, { decision: 'approve', reason: '', rowVersion: rowVersionIn(page.body) })
      assert.equal(approve.statusCode, 400)
      assert.match(approve.body, /govuk-error-summary/)
      assert.match(approve.body, /Consent cannot be the lawful basis for a bulk export/)
      assert.equal((await db().selectFrom('approval_request').select('state').where('id', '=', pending.approvalId).executeTakeFirstOrThrow()).state, 'requested')
      assert.equal((await audits('export.approve'))[0]!.outcome, 'refused')
      // refusing it is still possible
      assert.equal((await ig2.post(`/exports/${pending.id}/decide`, { decision: 'refuse', reason: 'Consent is not a basis for an export', rowVersion: rowVersionIn(page.body) })).statusCode, 303)

      // one approved before the rule: the download is refused, nothing recorded as exported
      const approved = await ask()
      await db().updateTable('approval_request').set({ state: 'approved', decided_by: membershipOf('ig2'), decided_at: now, row_version: 2 }).where('id', '=', approved.approvalId).execute()
      const ig = await ctx.s.signIn('ig')
      assert.doesNotMatch((await ig.get(`/exports/${approved.id}`)).body, /Download the export \(JSON\)/)
      const res = await ig.get(`/exports/${approved.id}/export.json`)
      assert.equal(res.statusCode, 409)
      assert.match(res.body, /Consent cannot be the lawful basis for a bulk export/)
      assert.doesNotMatch(res.body, /Bravo|BRAVO|CONCERN/)
      assert.equal((await db().selectFrom('bulk_export_download').selectAll().where('export_id', '=', approved.id).execute()).length, 0)
      const downloads = (await audits('export.download')).filter((r) => r.entity_id === approved.id)
      assert.deepEqual(downloads.map((r) => r.outcome), ['refused'])
    })

    it('every action is in the audit', async () => {
      for (const action of ['export.list', 'export.view', 'export.request', 'export.approve', 'export.refuse', 'export.withdraw', 'export.download']) {
        const rows = await audits(action)
        assert.ok(rows.some((r) => r.outcome === 'success'), `${action} audited`)
      }
      const views = await audits('export.view')
      assert.ok(views.some((v) => v.entity_id === exportId && JSON.stringify(v.child_ids) === JSON.stringify([alpha, bravo])))
    })
  })
}
