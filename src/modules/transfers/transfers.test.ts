// Child-protection file transfer between schools (R9): start from the child's page, the new school's inbox and receipt,
// the clock (in time, late with a reason, escalated), what travels (never other agencies' entries, never restricted or
// sealed ones), the encrypted export for a school outside the partnership, the sharing decision, access and audit;
// withdrawal of a transfer not yet received (in and outside the partnership).
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import { describeApp } from '../../../test/support/app.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import type { Visibility } from '../../data/schema.ts'
import { systemRepository } from '../../data/system.ts'
import { decryptExport } from './rules.ts'

const agency = (k: string) => stableUuid(`northshire:agency:${k}`)
const team = (a: string, t: string) => stableUuid(`northshire:team:${a}:${t}`)
const BROOKSIDE = agency('brookside')
const ACADEMY = agency('academy')
const POLICE = agency('police')
const START = { destination: 'partnership', toAgencyId: ACADEMY, leftOn: '2026-11-23', lawfulBasis: '6.1.e', checked: 'yes' }

describeApp(
  'child protection file transfer between schools',
  (ctx) => {
    const db = () => ctx.s.t.db
    const ids: Record<string, string> = {}
    const summaries: Record<string, string> = {}

    const transferOf = (childId: string | undefined) => db().selectFrom('file_transfer').selectAll().where('child_id', '=', childId!).orderBy('created_at', 'desc').executeTakeFirstOrThrow()
    const clockOf = (id: string) => db().selectFrom('clock').selectAll().where('subject_type', '=', 'file_transfer').where('subject_id', '=', id).executeTakeFirstOrThrow()
    const auditOf = (action: string, entityId?: string) => {
      let q = db().selectFrom('audit_event').selectAll().where('action', '=', action)
      if (entityId) q = q.where('entity_id', '=', entityId)
      return q.orderBy('id', 'desc').execute()
    }

    /** A pupil of Brookside with a file: Brookside's own entries, and entries that must never travel. */
    async function makePupil(given: string): Promise<string> {
      const id = randomUUID()
      const at = new Date('2026-10-01T09:00:00Z')
      await db().insertInto('child').values({ id, partnership_id: P, given_name: given, family_name: 'Transferson', date_of_birth: '2016-02-03', expected_date_of_birth: null, sex: 'male', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: at }).execute()
      await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: id, type: 'pupil_at', holder_agency_id: BROOKSIDE, holder_team_id: null, holder_membership_id: null, starts_at: at, ends_at: null, source: 'test', reason: 'test', created_by_membership_id: null, created_at: at }).execute()
      const entry = async (key: string, source: string, visibility: Visibility, extra: { restricted?: string[]; team?: string | null; author?: string } = {}) => {
        const summary = `${given}: ${key} (synthetic)`
        summaries[`${given}:${key}`] = summary
        await db()
          .insertInto('entry')
          .values({
            id: randomUUID(),
            partnership_id: P,
            child_id: id,
            agency_record_id: null,
            type: 'concern',
            category: null,
            occurred_at: at,
            recorded_at: at,
            author_membership_id: extra.author ?? null,
            author_team_id: extra.team ?? null,
            source_agency_id: source,
            significance: 'medium',
            summary,
            detail_type: null,
            detail_id: null,
            visibility,
            restricted_agency_ids: extra.restricted ?? [],
            addressed_to_membership_id: null,
            supersedes_entry_id: null,
          })
          .execute()
      }
      await entry('school-team', BROOKSIDE, 'team')
      await entry('school-agency', BROOKSIDE, 'agency')
      await entry('school-restricted', BROOKSIDE, 'restricted', { restricted: [BROOKSIDE] })
      await entry('school-sealed', BROOKSIDE, 'sealed', { team: team('brookside', 'safeguarding') })
      await entry('police-team', POLICE, 'team')
      await entry('police-restricted', POLICE, 'restricted', { restricted: [POLICE, BROOKSIDE] })
      return id
    }

    it('the old school’s DSL starts a transfer: bad input is refused with every problem, nothing is written', async () => {
      ids.child = await makePupil('Arlo')
      const dsl = await ctx.s.signIn('dsl.brookside')
      const child = await dsl.get(`/children/${ids.child}`)
      assert.match(child.body, /Send the child protection file to a new school/)
      const page = await dsl.get(`/children/${ids.child}/file-transfer`)
      assert.equal(page.statusCode, 200, page.body.slice(0, 300))
      assert.match(page.body, /Send the child protection file/)
      assert.match(page.body, /Northshire Academy|Academy/)
      assert.match(page.body, /<strong>2 entries<\/strong>/, 'the file: Brookside’s team and agency entries only')

      const empty = await dsl.post(`/children/${ids.child}/file-transfer`, {})
      assert.equal(empty.statusCode, 400)
      assert.match(empty.body, /There is a problem/)
      assert.match(empty.body, /Say whether the new school is in the partnership/)
      assert.match(empty.body, /Enter the date the child left/)
      assert.match(empty.body, /Confirm you have checked the file/)
      const badDate = await dsl.post(`/children/${ids.child}/file-transfer`, { ...START, leftOn: '2026-02-30' })
      assert.equal(badDate.statusCode, 400)
      assert.match(badDate.body, /Enter a real date/)
      const noSchool = await dsl.post(`/children/${ids.child}/file-transfer`, { ...START, toAgencyId: '' })
      assert.match(noSchool.body, /Choose the new school from the list/)
      const ownSchool = await dsl.post(`/children/${ids.child}/file-transfer`, { ...START, toAgencyId: BROOKSIDE })
      assert.equal(ownSchool.statusCode, 400)
      assert.match(ownSchool.body, /Choose the new school from the list/)
      const before = await dsl.post(`/children/${ids.child}/file-transfer`, { ...START, startsOn: '2026-11-20' })
      assert.equal(before.statusCode, 400)
      assert.match(before.body, /on or after the day the child left/)
      const outsideNoName = await dsl.post(`/children/${ids.child}/file-transfer`, { ...START, destination: 'outside', toAgencyId: '' })
      assert.match(outsideNoName.body, /Enter the name of the new school/)
      assert.equal((await db().selectFrom('file_transfer').select('id').where('child_id', '=', ids.child).execute()).length, 0)
    })

    it('sends the file in the partnership: the R9 clock on the sending school’s calendar, the sharing decision, the new school’s DSLs told', async () => {
      const dsl = await ctx.s.signIn('dsl.brookside')
      await dsl.get(`/children/${ids.child}/file-transfer`)
      const res = await dsl.post(`/children/${ids.child}/file-transfer`, START)
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      const t = await transferOf(ids.child)
      ids.transfer = t.id
      assert.equal(res.headers.location, `/file-transfers/${t.id}?saved=started`)
      assert.equal(t.status, 'sent')
      assert.equal(t.from_agency_id, BROOKSIDE)
      assert.equal(t.to_agency_id, ACADEMY)
      assert.equal(t.new_term, false)
      // Monday 23 November, in-year: 5 school days on Brookside's calendar, its INSET day (Friday 27th) skipped
      assert.equal(t.due_at.toISOString(), '2026-12-01T17:00:00.000Z')
      const clock = await clockOf(t.id)
      assert.equal(clock.rule, 'R9')
      assert.equal(clock.state, 'running')
      assert.equal(clock.due_at.toISOString(), '2026-12-01T17:00:00.000Z')
      assert.equal(clock.escalate_to_membership_id, membershipOf('head.brookside'), 'escalates to the old school’s headteacher')

      // the file: exactly Brookside's own team and agency entries
      const items = await db().selectFrom('file_transfer_item as i').innerJoin('entry as e', 'e.id', 'i.original_entry_id').select('e.summary').where('i.transfer_id', '=', t.id).execute()
      assert.deepEqual(items.map((i) => i.summary).sort(), [summaries['Arlo:school-agency'], summaries['Arlo:school-team']].sort())

      // the sharing decision, in the same transaction
      const d = await db().selectFrom('sharing_decision').selectAll().where('id', '=', t.sharing_decision_id).executeTakeFirstOrThrow()
      assert.equal(d.context, 'file_transfer')
      assert.equal(d.context_id, t.id)
      assert.equal(d.shared, true)
      assert.equal(d.lawful_basis, '6.1.e')
      assert.equal(d.purpose, 'file_transfer')
      assert.deepEqual(d.with_agency_ids, [ACADEMY])
      assert.equal(d.entry_ids.length, 2)
      assert.equal(d.within_agreement, true)

      const notices = await db().selectFrom('notification').select('membership_id').where('kind', '=', 'transfer.incoming').where('subject_id', '=', t.id).execute()
      assert.deepEqual(notices.map((n) => n.membership_id).sort(), [membershipOf('dsl.academy'), membershipOf('deputy.academy')].sort())
      const audit = await auditOf('transfer.start', t.id)
      assert.equal(audit.length, 1)
      assert.equal(audit[0]!.outcome, 'success')
      assert.equal(audit[0]!.actor_membership_id, membershipOf('dsl.brookside'))

      const page = await dsl.get(`/file-transfers/${t.id}?saved=started`)
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /1 December 2026 at 5(:00)?pm/)
      assert.match(page.body, /5 school days \(in-year\)/)
      assert.match(page.body, new RegExp(summaries['Arlo:school-agency']!.replace(/[()]/g, '\\$&')))
      // a second open transfer of the same file is refused
      await dsl.get(`/children/${ids.child}/file-transfer`)
      const again = await dsl.post(`/children/${ids.child}/file-transfer`, START)
      assert.equal(again.statusCode, 400)
      assert.match(again.body, /already waiting for receipt/)
    })

    it('the new school sees the transfer in its inbox, but not the file, until it confirms receipt; other schools see nothing', async () => {
      const academy = await ctx.s.signIn('dsl.academy')
      const inbox = await academy.get('/file-transfers')
      assert.equal(inbox.statusCode, 200)
      assert.match(inbox.body, /Arlo Transferson/)
      assert.equal((await academy.get(`/children/${ids.child}`)).statusCode, 404, 'no reach to the child before receipt')
      const page = await academy.get(`/file-transfers/${ids.transfer}`)
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Confirm receipt/)
      assert.match(page.body, /You see the file once you confirm receipt/)
      for (const s of Object.values(summaries)) assert.ok(!page.body.includes(s), `not before receipt: ${s}`)

      const stannes = await ctx.s.signIn('dsl.stannes')
      assert.equal((await stannes.get(`/file-transfers/${ids.transfer}`)).statusCode, 404)
      assert.equal((await stannes.post(`/file-transfers/${ids.transfer}/receive`, {})).statusCode, 404)
      assert.doesNotMatch((await stannes.get('/file-transfers')).body, /Arlo Transferson/)
      const teacher = await ctx.s.signIn('teacher.brookside')
      assert.equal((await teacher.get(`/file-transfers/${ids.transfer}`)).statusCode, 404)
      assert.equal((await teacher.get(`/children/${ids.child}/file-transfer`)).statusCode, 404)
      // the old school cannot receive its own file; the new school cannot export it
      const brookside = await ctx.s.signIn('dsl.brookside')
      assert.equal((await brookside.post(`/file-transfers/${ids.transfer}/receive`, {})).statusCode, 404)
      assert.equal((await academy.post(`/file-transfers/${ids.transfer}/export`, {})).statusCode, 404)
      assert.equal((await academy.get(`/file-transfers/${randomUUID()}`)).statusCode, 404)
      assert.equal((await academy.get('/file-transfers/not-a-uuid')).statusCode, 404)
      const notFound = await auditOf('transfer.view')
      assert.ok(notFound.some((a) => a.outcome === 'not_found' && a.actor_membership_id === membershipOf('dsl.stannes')))
    })

    it('receipt in time: the file is copied into the new school’s record (never other agencies’, restricted or sealed entries); the clock is met', async () => {
      ctx.s.clock.advance(2 * 86_400_000) // Wednesday 25 November
      const academy = await ctx.s.signIn('dsl.academy')
      await academy.get(`/file-transfers/${ids.transfer}`)
      const res = await academy.post(`/file-transfers/${ids.transfer}/receive`, {})
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      const t = await transferOf(ids.child)
      assert.equal(t.status, 'received')
      assert.equal(t.received_by, membershipOf('dsl.academy'))
      assert.equal(t.late_reason, null)
      assert.equal(t.old_school_keeps, 'all')
      assert.equal((await clockOf(t.id)).state, 'met')
      const copies = await db().selectFrom('file_transfer_item as i').innerJoin('entry as e', 'e.id', 'i.copy_entry_id').selectAll('e').where('i.transfer_id', '=', t.id).execute()
      assert.equal(copies.length, 2)
      for (const c of copies) {
        assert.equal(c.source_agency_id, ACADEMY)
        assert.equal(c.visibility, 'agency')
        assert.equal(c.agency_record_id, t.received_agency_record_id)
        assert.equal(c.detail_type, 'file_transfer')
        assert.match(c.summary, /^From Brookside Primary School’s child protection file: /)
      }
      const chronology = await academy.get(`/children/${ids.child}/chronology`)
      assert.equal(chronology.statusCode, 200)
      assert.ok(chronology.body.includes(summaries['Arlo:school-agency']!), 'the agency entry travelled')
      for (const k of ['school-restricted', 'school-sealed', 'police-restricted']) assert.ok(!chronology.body.includes(summaries[`Arlo:${k}`]!), `${k} never travels`)
      const page = await academy.get(`/file-transfers/${ids.transfer}`)
      assert.ok(page.body.includes(summaries['Arlo:school-agency']!))
      assert.doesNotMatch(page.body, /Confirm receipt<\/h2>/)
      const audit = await auditOf('transfer.receive', t.id)
      assert.equal(audit[0]!.outcome, 'success')
      assert.equal((await db().selectFrom('notification').select('id').where('kind', '=', 'transfer.received').where('membership_id', '=', membershipOf('dsl.brookside')).where('subject_id', '=', t.id).execute()).length, 1)
      // received once only; the old school keeps its record ('all', the default)
      const twice = await academy.post(`/file-transfers/${ids.transfer}/receive`, {})
      assert.equal(twice.statusCode, 409)
      assert.match(twice.body, /already been received/)
      const brookside = await ctx.s.signIn('dsl.brookside')
      assert.equal((await brookside.get(`/children/${ids.child}`)).statusCode, 200)
    })

    it('late: the overdue transfer escalates to the headteacher; receipt needs the reason; the old school keeps nothing when the partnership says so', async () => {
      await db().insertInto('partnership_setting').values({ partnership_id: P, key: 'transfer.old_school_keeps', value: JSON.stringify('none_after_receipt'), updated_at: new Date(), updated_by: null }).execute()
      ids.child2 = await makePupil('Bea')
      const dsl = await ctx.s.signIn('dsl.brookside')
      await dsl.get(`/children/${ids.child2}/file-transfer`)
      assert.equal((await dsl.post(`/children/${ids.child2}/file-transfer`, { ...START, leftOn: '2026-11-25' })).statusCode, 303)
      const t = await transferOf(ids.child2)
      // Wednesday 25th: Thu 26, (Fri 27 INSET), Mon 30, Tue 1, Wed 2, Thu 3 December
      assert.equal(t.due_at.toISOString(), '2026-12-03T17:00:00.000Z')
      ctx.s.clock.set(new Date('2026-12-04T09:00:00Z'))
      const system = systemRepository({ db: db(), clock: ctx.s.clock }, 'scheduler')
      assert.ok((await system.escalateOverdueClocks()) >= 1)
      assert.equal((await clockOf(t.id)).state, 'overdue')
      const notice = await db().selectFrom('notification').selectAll().where('kind', '=', 'clock.overdue').where('subject_id', '=', t.id).executeTakeFirstOrThrow()
      assert.equal(notice.membership_id, membershipOf('head.brookside'))
      assert.equal(notice.link, `/file-transfers/${t.id}`)
      const head = await ctx.s.signIn('head.brookside')
      const headPage = await head.get(`/file-transfers/${t.id}`)
      assert.equal(headPage.statusCode, 200)
      assert.match(headPage.body, /Overdue/)
      assert.ok(!headPage.body.includes(summaries['Bea:school-agency']!), 'the escalation target sees the clock, not the file')

      const academy = await ctx.s.signIn('dsl.academy')
      await academy.get(`/file-transfers/${t.id}`)
      const noReason = await academy.post(`/file-transfers/${t.id}/receive`, {})
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /record the reason it is late/)
      // the clock's refusal (clocks.meet), beside the late-reason field; nothing copied into the school's record
      assert.match(noReason.body, /id="lateReason-error"[^>]*>[\s\S]*?The file is received after its due date: record the reason it is late/)
      assert.equal((await transferOf(ids.child2)).status, 'sent')
      assert.equal((await db().selectFrom('entry').select('id').where('detail_type', '=', 'file_transfer').where('detail_id', '=', t.id).execute()).length, 0)
      const res = await academy.post(`/file-transfers/${t.id}/receive`, { lateReason: 'Our DSL was on leave; the deputy picked it up on return' })
      assert.equal(res.statusCode, 303)
      const after = await transferOf(ids.child2)
      assert.equal(after.late_reason, 'Our DSL was on leave; the deputy picked it up on return')
      assert.equal(after.old_school_keeps, 'none_after_receipt')
      const clock = await clockOf(t.id)
      assert.equal(clock.state, 'met_late')
      assert.equal(clock.reason, 'Our DSL was on leave; the deputy picked it up on return')
      // the old school's relationships ended at receipt: it no longer reaches the child, but still sees its transfer
      const brookside = await ctx.s.signIn('dsl.brookside')
      assert.equal((await brookside.get(`/children/${ids.child2}`)).statusCode, 404)
      const page = await brookside.get(`/file-transfers/${t.id}`)
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Received late|late/)
      assert.match(page.body, /its access to the child ended at receipt/)
    })

    it('outside the partnership: an encrypted export with a passphrase shown once, downloads audited, receipt recorded by the old DSL', async () => {
      ids.child3 = await makePupil('Cal')
      const dsl = await ctx.s.signIn('dsl.brookside')
      await dsl.get(`/children/${ids.child3}/file-transfer`)
      const res = await dsl.post(`/children/${ids.child3}/file-transfer`, { destination: 'outside', toSchoolName: 'Hillside Academy, Westshire', toSchoolContact: 'Ms Example (DSL), 01632 960 999', leftOn: '2026-12-04', lawfulBasis: '6.1.c', checked: 'yes' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      const t = await transferOf(ids.child3)
      assert.equal(t.destination, 'outside')
      assert.equal(t.to_agency_id, null)
      const d = await db().selectFrom('sharing_decision').selectAll().where('id', '=', t.sharing_decision_id).executeTakeFirstOrThrow()
      assert.equal(d.with_other, 'Hillside Academy, Westshire')
      assert.equal(d.lawful_basis, '6.1.c')
      assert.equal(d.context, 'file_transfer')
      assert.equal(d.within_agreement, false)
      assert.ok(d.outside_agreement_reason)

      const page = await dsl.get(`/file-transfers/${t.id}`)
      assert.match(page.body, /Make the encrypted file and passphrase/)
      // receipt cannot be recorded before the file was downloaded
      const early = await dsl.post(`/file-transfers/${t.id}/confirm`, { name: 'Ms Example', role: 'DSL', confirmedOn: '2026-12-04' })
      assert.equal(early.statusCode, 400)
      assert.match(early.body, /Download the encrypted file/)

      const made = await dsl.post(`/file-transfers/${t.id}/export`, {})
      assert.equal(made.statusCode, 200)
      assert.equal(made.headers['cache-control'], 'no-store')
      const passphrase = /<code>([A-Z0-9-]+)<\/code>/.exec(made.body)?.[1]
      assert.ok(passphrase, 'the passphrase is shown')
      const link = new RegExp(`/file-transfers/${t.id}/exports/([0-9a-f-]{36})`).exec(made.body)
      assert.ok(link)
      const again = await dsl.get(`/file-transfers/${t.id}`)
      assert.ok(!again.body.includes(passphrase), 'shown once only')
      const stored = await db().selectFrom('file_transfer_export').selectAll().where('transfer_id', '=', t.id).executeTakeFirstOrThrow()
      assert.ok(!Buffer.from(stored.ciphertext).toString().includes(passphrase), 'the passphrase is not stored')

      const download = await dsl.get(`/file-transfers/${t.id}/exports/${link[1]}`)
      assert.equal(download.statusCode, 200)
      assert.equal(String(download.headers['content-disposition']), `attachment; filename="cp-file-${t.id.slice(0, 8)}-2026-12-04.json"`)
      assert.ok(!/transferson|cal/i.test(String(download.headers['content-disposition'])), 'no personal data in the file name')
      assert.ok(!download.body.includes('synthetic'), 'the content is encrypted')
      const content = JSON.parse(decryptExport(download.rawPayload, passphrase)) as { child: { givenName: string }; to: { school: string }; entries: { summary: string }[] }
      assert.equal(content.child.givenName, 'Cal')
      assert.equal(content.to.school, 'Hillside Academy, Westshire')
      assert.deepEqual(content.entries.map((e) => e.summary).sort(), [summaries['Cal:school-agency'], summaries['Cal:school-team']].sort())
      assert.throws(() => decryptExport(download.rawPayload, 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF'))
      assert.equal((await db().selectFrom('file_transfer_export').select('downloads').where('id', '=', link[1]!).executeTakeFirstOrThrow()).downloads, 1)
      assert.equal((await auditOf('transfer.export', t.id))[0]!.outcome, 'success')
      const dl = await auditOf('transfer.download', t.id)
      assert.equal(dl.length, 1)
      // only the sending school downloads
      const academy = await ctx.s.signIn('dsl.academy')
      assert.equal((await academy.get(`/file-transfers/${t.id}/exports/${link[1]}`)).statusCode, 404)
      assert.equal((await academy.get(`/file-transfers/${t.id}`)).statusCode, 404)
      assert.equal((await dsl.get(`/file-transfers/${t.id}/exports/${randomUUID()}`)).statusCode, 404)

      const bad = await dsl.post(`/file-transfers/${t.id}/confirm`, { name: '', role: '', confirmedOn: 'yesterday' })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /Enter the name of the person who confirmed receipt/)
      assert.match(bad.body, /Enter their role/)
      assert.match(bad.body, /Enter a real date/)
      const future = await dsl.post(`/file-transfers/${t.id}/confirm`, { name: 'Ms Example', role: 'DSL', confirmedOn: '2026-12-25' })
      assert.equal(future.statusCode, 400)
      assert.match(future.body, /cannot be in the future/)
      const ok = await dsl.post(`/file-transfers/${t.id}/confirm`, { name: 'Ms Example', role: 'Designated safeguarding lead', confirmedOn: '2026-12-04' })
      assert.equal(ok.statusCode, 303, ok.body.slice(0, 500))
      const after = await transferOf(ids.child3)
      assert.equal(after.status, 'received')
      assert.equal(after.confirmed_by_name, 'Ms Example')
      assert.equal(after.received_by, membershipOf('dsl.brookside'))
      assert.equal((await clockOf(t.id)).state, 'met')
      const confirmAudit = await auditOf('transfer.confirm', t.id)
      assert.equal(confirmAudit[0]!.outcome, 'success')
      const list = await dsl.get('/file-transfers')
      assert.match(list.body, /Hillside Academy, Westshire/)
    })

    it('withdrawal in the partnership: a deputy withdraws with the reason; the new school no longer sees it, the clock stops, the chronology and the audit record it, a new transfer can start', async () => {
      ids.child4 = await makePupil('Dee')
      const dsl = await ctx.s.signIn('dsl.brookside')
      await dsl.get(`/children/${ids.child4}/file-transfer`)
      assert.equal((await dsl.post(`/children/${ids.child4}/file-transfer`, { ...START, leftOn: '2026-12-04' })).statusCode, 303)
      const t = await transferOf(ids.child4)
      const academy = await ctx.s.signIn('dsl.academy')
      assert.match((await academy.get('/file-transfers')).body, /Dee Transferson/)
      const open = await academy.get(`/file-transfers/${t.id}`) // the new school has the page open
      assert.match(open.body, /Confirm receipt/)
      assert.doesNotMatch(open.body, /Withdraw the transfer/, 'only the sending school withdraws')

      // another safeguarding lead of the sending school (the deputy) may withdraw; the page offers it while not received
      const deputy = await ctx.s.signIn('deputy.brookside')
      assert.match((await deputy.get(`/file-transfers/${t.id}`)).body, /href="\/file-transfers\/[0-9a-f-]+\/withdraw"/)
      const page = await deputy.get(`/file-transfers/${t.id}/withdraw`)
      assert.equal(page.statusCode, 200, page.body.slice(0, 300))
      assert.match(page.body, /Withdraw the child protection file transfer/)
      assert.match(page.body, /name="rowVersion" value="1"/)

      // the new school, another school, the escalation target (no permission) and a teacher: the same 404
      assert.equal((await academy.get(`/file-transfers/${t.id}/withdraw`)).statusCode, 404)
      assert.equal((await academy.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'Not ours', rowVersion: '1' })).statusCode, 404)
      const stannes = await ctx.s.signIn('dsl.stannes')
      await stannes.get('/file-transfers')
      assert.equal((await stannes.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'Not ours', rowVersion: '1' })).statusCode, 404)
      assert.equal((await stannes.post(`/file-transfers/${randomUUID()}/withdraw`, { withdrawReason: 'x', rowVersion: '1' })).statusCode, 404)
      const head = await ctx.s.signIn('head.brookside')
      await head.get('/')
      assert.equal((await head.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'x', rowVersion: '1' })).statusCode, 404)
      assert.ok((await auditOf('transfer.withdraw', t.id)).some((a) => a.outcome === 'not_found' && a.actor_membership_id === membershipOf('dsl.stannes')))
      assert.equal((await transferOf(ids.child4)).status, 'sent')

      // bad input: no reason (the GOV.UK error summary), a stale form — nothing changes
      await deputy.get(`/file-transfers/${t.id}/withdraw`)
      const noReason = await deputy.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: '  ', rowVersion: '1' })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /There is a problem/)
      assert.match(noReason.body, /href="#withdrawReason"[^>]*>Say why you are withdrawing the transfer/)
      const stale = await deputy.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'The move fell through', rowVersion: '7' })
      assert.equal(stale.statusCode, 409)
      assert.match(stale.body, /nothing was withdrawn/)
      assert.equal((await transferOf(ids.child4)).status, 'sent')
      assert.equal((await clockOf(t.id)).state, 'running')
      const staleAudit = (await auditOf('transfer.withdraw', t.id)).find((a) => a.outcome === 'refused')
      assert.ok(staleAudit)
      assert.equal((staleAudit.details as { reason: string }).reason, 'stale')

      const res = await deputy.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'Sent to the wrong school: the family moved to St Anne’s catchment', rowVersion: '1' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      assert.equal(res.headers.location, `/file-transfers/${t.id}?saved=withdrawn`)
      const after = await transferOf(ids.child4)
      assert.equal(after.status, 'withdrawn')
      assert.equal(after.withdrawn_by, membershipOf('deputy.brookside'))
      assert.equal(after.withdraw_reason, 'Sent to the wrong school: the family moved to St Anne’s catchment')
      assert.equal(after.withdrawn_after_download, false)
      assert.equal(after.received_by, null)
      assert.equal(after.row_version, 2)

      // the R9 clock is stopped (not applicable): the dashboard and the escalation job count only running clocks
      const clock = await clockOf(t.id)
      assert.equal(clock.state, 'stopped')
      assert.match(clock.reason ?? '', /^Not applicable: the transfer was withdrawn/)
      ctx.s.clock.set(new Date('2026-12-20T09:00:00Z')) // long after it was due
      await systemRepository({ db: db(), clock: ctx.s.clock }, 'scheduler').escalateOverdueClocks()
      assert.equal((await clockOf(t.id)).state, 'stopped', 'never escalated once withdrawn')
      assert.equal((await db().selectFrom('notification').select('id').where('kind', '=', 'clock.overdue').where('subject_id', '=', t.id).execute()).length, 0)

      // the chronology: an entry of the sending school, seen as the sharing decision's entry is; no reason in it
      const entry = await db().selectFrom('entry').selectAll().where('child_id', '=', ids.child4).where('type', '=', 'file_transfer').where('detail_id', '=', t.id).executeTakeFirstOrThrow()
      const decision = await db().selectFrom('sharing_decision').select('visibility').where('id', '=', t.sharing_decision_id).executeTakeFirstOrThrow()
      assert.equal(entry.visibility, decision.visibility)
      assert.equal(entry.source_agency_id, BROOKSIDE)
      assert.equal(entry.author_membership_id, membershipOf('deputy.brookside'))
      assert.match(entry.summary, /^Withdrew the transfer of the child protection file to Northshire Academy/)
      assert.ok(!entry.summary.includes('catchment'))
      // sessions lapse over the fortnight the clock moved on: everyone signs in again
      const sender = await ctx.s.signIn('dsl.brookside')
      const chron = await sender.get(`/children/${ids.child4}/chronology`)
      assert.equal(chron.statusCode, 200)
      assert.ok(chron.body.includes('Withdrew the transfer of the child protection file'))

      // whoever was told: the new school's DSLs (linked to their list), and the sender, who did not withdraw it
      const told = await db().selectFrom('notification').select(['membership_id', 'link']).where('kind', '=', 'transfer.withdrawn').where('subject_id', '=', t.id).execute()
      assert.deepEqual(told.map((n) => n.membership_id).sort(), [membershipOf('dsl.academy'), membershipOf('deputy.academy'), membershipOf('dsl.brookside')].sort())
      for (const n of told) assert.equal(n.link, n.membership_id === membershipOf('dsl.brookside') ? `/file-transfers/${t.id}` : '/file-transfers')

      // the audit: one success row, with the reason, the clock and who was told
      const audit = (await auditOf('transfer.withdraw', t.id)).filter((a) => a.outcome === 'success')
      assert.equal(audit.length, 1)
      const details = audit[0]!.details as { reason: string; clocksStopped: string[]; entryId: string; notified: string[]; afterDownload: boolean }
      assert.equal(details.reason, 'Sent to the wrong school: the family moved to St Anne’s catchment')
      assert.deepEqual(details.clocksStopped, [clock.id])
      assert.equal(details.entryId, entry.id)
      assert.equal(details.notified.length, 3)
      assert.equal(details.afterDownload, false)

      // the new school: gone from the list and the page (404); a receipt from the page left open is refused (409)
      const academyAgain = await ctx.s.signIn('dsl.academy')
      await academyAgain.get('/file-transfers')
      assert.doesNotMatch((await academyAgain.get('/file-transfers')).body, /Dee Transferson/)
      assert.equal((await academyAgain.get(`/file-transfers/${t.id}`)).statusCode, 404)
      const late = await academyAgain.post(`/file-transfers/${t.id}/receive`, { lateReason: 'x' })
      assert.equal(late.statusCode, 409)
      assert.match(late.body, /has withdrawn it: there is nothing to receive/)
      assert.doesNotMatch(late.body, /Dee Transferson/)
      assert.equal((await transferOf(ids.child4)).status, 'withdrawn')
      assert.equal((await db().selectFrom('file_transfer_item').select('copy_entry_id').where('transfer_id', '=', t.id).where('copy_entry_id', 'is not', null).execute()).length, 0)
      assert.equal((await academyAgain.get(`/children/${ids.child4}`)).statusCode, 404)

      // the sending school sees it withdrawn, with who, when and why; it cannot be withdrawn twice
      const sent = await sender.get(`/file-transfers/${t.id}?saved=withdrawn`)
      assert.equal(sent.statusCode, 200)
      assert.match(sent.body, /The transfer is withdrawn and its clock stopped/)
      assert.match(sent.body, /Why it was withdrawn/)
      assert.match(sent.body, /St Anne’s catchment/)
      assert.doesNotMatch(sent.body, /Withdraw this transfer/)
      assert.equal((await sender.get(`/file-transfers/${t.id}/withdraw`)).statusCode, 303)
      const twice = await sender.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'Again', rowVersion: '2' })
      assert.equal(twice.statusCode, 409)
      assert.match(twice.body, /already been withdrawn/)
      assert.match((await sender.get('/file-transfers')).body, /Withdrawn/)

      // a withdrawn transfer is not open: a new transfer of the file starts, to the right school
      await sender.get(`/children/${ids.child4}/file-transfer`)
      const again = await sender.post(`/children/${ids.child4}/file-transfer`, { ...START, toAgencyId: agency('stannes'), leftOn: '2026-12-18' })
      assert.equal(again.statusCode, 303, again.body.slice(0, 500))
      const second = await transferOf(ids.child4)
      assert.notEqual(second.id, t.id)
      assert.equal(second.status, 'sent')
      assert.equal((await clockOf(second.id)).state, 'running')
      assert.match((await (await ctx.s.signIn('dsl.stannes')).get('/file-transfers')).body, /Dee Transferson/)
    })

    it('a received transfer cannot be withdrawn: a clear message, nothing changes', async () => {
      const dsl = await ctx.s.signIn('dsl.brookside')
      const before = await transferOf(ids.child)
      assert.equal(before.status, 'received')
      assert.doesNotMatch((await dsl.get(`/file-transfers/${before.id}`)).body, /Withdraw this transfer/)
      assert.equal((await dsl.get(`/file-transfers/${before.id}/withdraw`)).statusCode, 303)
      const res = await dsl.post(`/file-transfers/${before.id}/withdraw`, { withdrawReason: 'Changed our mind', rowVersion: String(before.row_version) })
      assert.equal(res.statusCode, 409)
      assert.match(res.body, /a received transfer cannot be withdrawn/)
      const after = await transferOf(ids.child)
      assert.equal(after.status, 'received')
      assert.equal(after.row_version, before.row_version)
      assert.equal(after.withdraw_reason, null)
      assert.equal((await clockOf(before.id)).state, 'met')
      assert.ok((await auditOf('transfer.withdraw')).some((a) => a.outcome === 'refused' && (a.details as { error?: string }).error?.includes('cannot be withdrawn')))
    })

    it('withdrawal outside the partnership: the export is emptied and can no longer be downloaded; a download before it is said plainly and recorded', async () => {
      ids.child5 = await makePupil('Eve')
      const dsl = await ctx.s.signIn('dsl.brookside')
      await dsl.get(`/children/${ids.child5}/file-transfer`)
      assert.equal((await dsl.post(`/children/${ids.child5}/file-transfer`, { destination: 'outside', toSchoolName: 'Riverside School, Eastshire', leftOn: '2026-12-18', lawfulBasis: '6.1.e', checked: 'yes' })).statusCode, 303)
      const t = await transferOf(ids.child5)
      const form = await dsl.get(`/file-transfers/${t.id}/withdraw`)
      assert.match(form.body, /empties the encrypted file kept in TeamAround/)
      assert.doesNotMatch(form.body, /already been downloaded/)
      const shownVersion = /name="rowVersion" value="(\d+)"/.exec(form.body)![1]!

      // an export is made and downloaded after the withdrawal page was shown: that form is stale
      const made = await dsl.post(`/file-transfers/${t.id}/export`, {})
      const exportId = new RegExp(`/file-transfers/${t.id}/exports/([0-9a-f-]{36})`).exec(made.body)![1]!
      assert.equal((await dsl.get(`/file-transfers/${t.id}/exports/${exportId}`)).statusCode, 200)
      await dsl.get(`/file-transfers/${t.id}`)
      const stale = await dsl.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'The family stayed', rowVersion: shownVersion })
      assert.equal(stale.statusCode, 409)
      assert.equal((await transferOf(ids.child5)).status, 'sent')
      assert.ok(Buffer.from((await db().selectFrom('file_transfer_export').select('ciphertext').where('id', '=', exportId).executeTakeFirstOrThrow()).ciphertext).length > 0)

      const fresh = await dsl.get(`/file-transfers/${t.id}/withdraw`)
      assert.match(fresh.body, /already been downloaded\. Withdrawing cannot take back a file that was downloaded/)
      const version = /name="rowVersion" value="(\d+)"/.exec(fresh.body)![1]!
      assert.notEqual(version, shownVersion)
      const res = await dsl.post(`/file-transfers/${t.id}/withdraw`, { withdrawReason: 'The family stayed in the area', rowVersion: version })
      assert.equal(res.statusCode, 303, res.body.slice(0, 500))
      const after = await transferOf(ids.child5)
      assert.equal(after.status, 'withdrawn')
      assert.equal(after.withdrawn_after_download, true)
      assert.equal((await clockOf(t.id)).state, 'stopped')
      const stored = await db().selectFrom('file_transfer_export').select(['ciphertext', 'downloads']).where('transfer_id', '=', t.id).execute()
      assert.equal(stored.length, 1)
      assert.equal(Buffer.from(stored[0]!.ciphertext).length, 0, 'the ciphertext is emptied')
      assert.equal(stored[0]!.downloads, 1)

      const page = await dsl.get(`/file-transfers/${t.id}`)
      assert.match(page.body, /had already been downloaded when this transfer was withdrawn/)
      assert.match(page.body, /cannot take back a file that was downloaded/)
      assert.match(page.body, /Emptied when the transfer was withdrawn/)
      assert.doesNotMatch(page.body, new RegExp(`/exports/${exportId}`), 'no download link')
      assert.doesNotMatch(page.body, /Make a new encrypted file/)
      const gone = await dsl.get(`/file-transfers/${t.id}/exports/${exportId}`)
      assert.equal(gone.statusCode, 410)
      assert.match(gone.body, /can no longer be downloaded/)
      assert.equal((await dsl.post(`/file-transfers/${t.id}/export`, {})).statusCode, 409)
      assert.equal((await db().selectFrom('file_transfer_export').select('id').where('transfer_id', '=', t.id).execute()).length, 1, 'no new export')

      const audit = (await auditOf('transfer.withdraw', t.id)).find((a) => a.outcome === 'success')
      const details = audit!.details as { afterDownload: boolean; exportsEmptied: { id: string; downloads: number }[] }
      assert.equal(details.afterDownload, true)
      assert.deepEqual(details.exportsEmptied.map((x) => [x.id, x.downloads]), [[exportId, 1]])
      assert.ok((await auditOf('transfer.download')).some((a) => a.outcome === 'refused'))
    })

    it('access by role: only the DSL and deputy DSL start a transfer, for a child in their reach; everyone else gets the same 404', async () => {
      const now = ctx.s.clock.now()
      for (const key of ['dsl.brookside', 'deputy.brookside', 'head.brookside', 'teacher.brookside', 'ssw', 'frontdoor', 'sw.north', 'police.mash', 'nurse']) {
        const m = await db().selectFrom('membership').select(['id', 'role']).where('id', '=', membershipOf(key)).executeTakeFirstOrThrow()
        const childId = randomUUID()
        await db().insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Role', family_name: key, date_of_birth: '2015-05-05', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
        await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'allocated_worker', holder_agency_id: null, holder_team_id: null, holder_membership_id: m.id, starts_at: new Date(now.getTime() - 86_400_000), ends_at: null, source: 'test', reason: 'test', created_by_membership_id: null, created_at: now }).execute()
        const agent = await ctx.s.signIn(key)
        const may = m.role === 'dsl' || m.role === 'deputy_dsl'
        assert.equal((await agent.get(`/children/${childId}/file-transfer`)).statusCode, may ? 200 : 404, key)
        assert.equal((await agent.get(`/children/${randomUUID()}/file-transfer`)).statusCode, 404, key)
        assert.equal((await agent.post(`/children/${childId}/file-transfer`, START)).statusCode, may ? 303 : 404, key)
        const list = await agent.get('/file-transfers')
        assert.equal(list.statusCode === 200, may, `${key} lists transfers: ${list.statusCode}`)
      }
    })

    it('a leaver on the last day of the school’s recorded terms (next year’s not yet entered): sent, with a due time in working days', async () => {
      const childId = await makePupil('Summer')
      const dsl = await ctx.s.signIn('dsl.brookside')
      await dsl.get(`/children/${childId}/file-transfer`)
      // Brookside's recorded terms end on Wednesday 21 July 2027: Thu 22, Fri 23, Mon 26, Tue 27, Wed 28 July, 17:00 BST
      const res = await dsl.post(`/children/${childId}/file-transfer`, { ...START, leftOn: '2027-07-21' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 300))
      const t = await transferOf(childId)
      assert.equal(t.due_at.toISOString(), '2027-07-28T16:00:00.000Z')
      assert.equal((await clockOf(t.id)).due_at.toISOString(), '2027-07-28T16:00:00.000Z')
    })
  },
  { children: 10 },
)
