// Retention: dates (DOB + 25 years by default, per record type from the partnership setting, leap days), legal hold,
// the job's dry run (changes nothing), two people before anything is carried out, execution that anonymises exactly
// what the report listed and audits it per child, idempotent re-runs, sealed entries and other children untouched,
// bad input and access.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../../../test/support/app.ts'
import { testEngines } from '../../../test/support/db.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import { stableUuid } from '../../data/ids.ts'
import { systemRepository } from '../../data/system.ts'
import { demoPractitioners } from '../../data/seed.ts'
import { hasPermission, ROLES } from '../../access/policy.ts'
import { addYears, anchorOf, RETENTION_TYPES, retentionDates, retentionYears } from './rules.ts'

const CSC = stableUuid('northshire:agency:csc')
const NORTH = stableUuid('northshire:team:csc:north')

const years = (n: number) => Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, String(n)]))

describe('retention dates', () => {
  it('date of birth + 25 years; 29 February into a common year is 1 March; into a leap year stays', () => {
    assert.equal(addYears('2001-06-15', 25), '2026-06-15')
    assert.equal(addYears('2000-02-29', 25), '2025-03-01')
    assert.equal(addYears('2000-02-29', 24), '2024-02-29')
    assert.equal(addYears('1996-02-29', 104), '2100-03-01', '2100 is not a leap year')
    assert.throws(() => addYears('15/06/2001', 25))
  })
  it('the anchor: date of birth, else the expected date of birth (unborn), else the date the record was created', () => {
    assert.deepEqual(anchorOf({ dateOfBirth: '2010-01-02', expectedDateOfBirth: null, createdDate: '2026-01-01' }), { date: '2010-01-02', basis: 'date_of_birth' })
    assert.deepEqual(anchorOf({ dateOfBirth: null, expectedDateOfBirth: '2027-03-04', createdDate: '2026-01-01' }), { date: '2027-03-04', basis: 'expected_date_of_birth' })
    assert.deepEqual(anchorOf({ dateOfBirth: null, expectedDateOfBirth: null, createdDate: '2026-01-01' }), { date: '2026-01-01', basis: 'created' })
  })
  it('years per type from the setting; invalid values are the default; identity goes last', () => {
    const all = (n: number) => Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, n]))
    assert.deepEqual(retentionYears(undefined), all(25))
    assert.deepEqual(retentionYears({ entry: 30, concern: 'x', identity: 0 }), { ...all(25), entry: 30 })
    assert.deepEqual(retentionYears({ entry: 2.5, concern: 101, identity: 20, referral: 7 }), { ...all(25), identity: 20, referral: 7 })
    assert.deepEqual(retentionYears([1, 2]), all(25))
    const dates = retentionDates('2000-02-29', { ...retentionYears({}), entry: 30, concern: 25, identity: 20, missing: 40 })
    assert.equal(dates.entry, '2030-03-01')
    assert.equal(dates.concern, '2025-03-01')
    assert.equal(dates.referral, '2025-03-01')
    assert.equal(dates.identity, '2040-02-29', 'the identity goes last: after the latest of every type')
  })
})

for (const engine of testEngines()) {
  describe(`retention: holds, dry run, two people, execution [${engine}]`, () => {
    const ctx = {} as { s: TestApp }
    before(async () => {
      ctx.s = await startTestApp(engine, { children: 30 })
    })
    after(async () => {
      await ctx.s?.close()
    })
    const db = () => ctx.s.t.db
    const job = () => systemRepository({ db: db(), clock: ctx.s.clock }, 'retention-test').runRetention()
    const audits = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id', 'desc').execute()
    const auditCount = async () => Number((await db().selectFrom('audit_event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
    const reports = () => db().selectFrom('retention_report').selectAll().orderBy('created_at', 'desc').execute()

    // A: born on a leap day in 2000 (due 1 March 2025); B: due, to be put on hold; D: due in the next 12 months
    const A = randomUUID()
    const B = randomUUID()
    const D = randomUUID()
    const aEntries = [randomUUID(), randomUUID()]
    const aSealed = randomUUID()
    const aConcern = randomUUID()
    const bEntry = randomUUID()
    let other: string
    let otherEntries: { id: string; summary: string }[]

    const addChild = async (id: string, given: string, dob: string) => {
      const at = new Date('2020-01-01T00:00:00Z')
      await db().insertInto('child').values({ id, partnership_id: P, given_name: given, family_name: 'Retentiontest', date_of_birth: dob, expected_date_of_birth: null, sex: 'female', nhs_number: '9434765919', upn: 'A123456789012', ethnicity: null, first_language: null, disability: null, created_at: at }).execute()
    }
    const addEntry = (id: string, child: string, summary: string, visibility: 'team' | 'sealed' = 'team') => {
      const at = new Date('2019-05-01T10:00:00Z')
      return db()
        .insertInto('entry')
        .values({ id, partnership_id: P, child_id: child, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: membershipOf('sw.north'), author_team_id: NORTH, source_agency_id: CSC, significance: 'medium', summary, visibility, addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
        .execute()
    }

    it('setup: three synthetic young adults with records, and a seed child for comparison', async () => {
      await addChild(A, 'Alpha', '2000-02-29')
      await addChild(B, 'Bravo', '2001-05-01')
      await addChild(D, 'Delta', '2002-03-01')
      await addEntry(aEntries[0]!, A, 'Synthetic entry one about Alpha.')
      await addEntry(aEntries[1]!, A, 'Synthetic entry two about Alpha.')
      await addEntry(aSealed, A, 'Synthetic sealed entry about Alpha.', 'sealed')
      await addEntry(bEntry, B, 'Synthetic entry about Bravo.')
      await db()
        .insertInto('concern')
        .values({ id: aConcern, partnership_id: P, submission_id: randomUUID(), child_id: A, agency_id: CSC, raised_by_membership_id: membershipOf('sw.north'), category: 'neglect', seen_or_heard: 'Synthetic: what was seen.', child_words: 'Synthetic words', occurred_at: new Date('2019-05-01T10:00:00Z'), location: 'Synthetic place', other_children: 'Synthetic sibling', body_map: '[]', entry_id: null, idempotency_key: null, created_at: new Date('2019-05-01T10:00:00Z') })
        .execute()
      await db().insertInto('child_name').values({ id: randomUUID(), partnership_id: P, child_id: A, kind: 'alias', given_name: 'Al', family_name: 'Retentiontest' }).execute()
      await db().insertInto('child_address').values({ id: randomUUID(), partnership_id: P, child_id: A, line1: '1 Synthetic Street', line2: null, town: 'Northshire', postcode: 'NS1 1AA', from_date: '2010-01-01', to_date: null, confidential_reason: null, visible_to_roles: null }).execute()
      await db().insertInto('family_member').values({ id: randomUUID(), partnership_id: P, child_id: A, related_child_id: null, name: 'Synthetic Parent', relationship: 'mother', phone: null }).execute()
      const seeded = await db().selectFrom('entry').select('child_id').where('child_id', 'not in', [A, B, D]).orderBy('child_id').executeTakeFirstOrThrow()
      other = seeded.child_id
      otherEntries = await db().selectFrom('entry').select(['id', 'summary']).where('child_id', '=', other).orderBy('id').execute()
    })

    it('the overview shows past due, upcoming and held children to information governance only', async () => {
      const ig = await ctx.s.signIn('ig')
      const page = await ig.get('/retention')
      assert.equal(page.statusCode, 200)
      const past = page.body.slice(page.body.indexOf('Past their retention date'), page.body.indexOf('Due in the next 12 months'))
      const upcoming = page.body.slice(page.body.indexOf('Due in the next 12 months'), page.body.indexOf('On legal hold'))
      assert.match(past, /Alpha Retentiontest/)
      assert.match(past, /Bravo Retentiontest/)
      assert.doesNotMatch(past, /Delta/)
      assert.match(upcoming, /Delta Retentiontest[\s\S]*1 March 2027/)
      assert.equal((await audits('retention.overview'))[0]!.outcome, 'success')
      const child = await ig.get(`/retention/children/${A}`)
      assert.equal(child.statusCode, 200)
      assert.match(child.body, /29 February 2000, the date of birth/)
      assert.match(child.body, /Chronology entries kept until[\s\S]*?1 March 2025 \(reached\)/)
      const manager = await ctx.s.signIn('manager.north')
      assert.equal((await manager.get('/retention')).statusCode, 403)
      // record routes hide existence: the same 404 for a real child, an unknown one and a malformed id
      assert.equal((await manager.get(`/retention/children/${A}`)).statusCode, 404)
      assert.equal((await ig.get(`/retention/children/${randomUUID()}`)).statusCode, 404)
      assert.equal((await ig.get('/retention/children/not-a-uuid')).statusCode, 404)
      const sw = await ctx.s.signIn('sw.north')
      assert.equal((await sw.post(`/retention/children/${A}/hold`, { reason: 'x' })).statusCode, 404)
    })

    it('the years per record type are a partnership setting: validated, audited, and they move the dates', async () => {
      const ig = await ctx.s.signIn('ig')
      await ig.get('/retention')
      const bad = await ig.post('/retention/years', { entry: 'thirty', concern: '25', identity: '0' })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /There is a problem/)
      assert.match(bad.body, /Enter the years for chronology entries as a whole number/)
      assert.match(bad.body, /The years for the child’s identity must be 1 or more/)
      // only digits are a number of years: 0x10 is not 16, 1e1 is not 10, an empty box is not 0
      const notDigits = await ig.post('/retention/years', { ...years(25), entry: '0x10', concern: '1e1', identity: '' })
      assert.equal(notDigits.statusCode, 400)
      assert.match(notDigits.body, /Enter the years for chronology entries as a whole number/)
      assert.match(notDigits.body, /Enter the years for concerns as a whole number/)
      assert.match(notDigits.body, /Enter the years for the child’s identity as a whole number/)
      const ok = await ig.post('/retention/years', { ...years(25), entry: '30' })
      assert.equal(ok.statusCode, 303)
      const page = await ig.get(`/retention/children/${A}`)
      assert.match(page.body, /Chronology entries kept until[\s\S]*?1 March 2030\s*</)
      assert.match(page.body, /Concerns kept until[\s\S]*?1 March 2025 \(reached\)/)
      assert.match(page.body, /The child’s identity kept until[\s\S]*?1 March 2030\s*</, 'identity goes last')
      const saved = (await audits('retention.settings'))[0]!
      assert.deepEqual((saved.details as { after: unknown }).after, { ...Object.fromEntries(RETENTION_TYPES.map((t) => [t.code, 25])), entry: 30 })
      await ig.get('/retention')
      assert.equal((await ig.post('/retention/years', years(25))).statusCode, 303)
    })

    it('a legal hold needs a reason, is one at a time, and is audited', async () => {
      const ig = await ctx.s.signIn('ig')
      await ig.get(`/retention/children/${B}`)
      const none = await ig.post(`/retention/children/${B}/hold`, { reason: '  ' })
      assert.equal(none.statusCode, 400)
      assert.match(none.body, /Give the reason for the legal hold/)
      const placed = await ig.post(`/retention/children/${B}/hold`, { reason: 'Synthetic: civil claim notified' })
      assert.equal(placed.statusCode, 303)
      const again = await ig.post(`/retention/children/${B}/hold`, { reason: 'Twice' })
      assert.equal(again.statusCode, 400)
      const page = await ig.get(`/retention/children/${B}`)
      assert.match(page.body, /Lift the legal hold/)
      const a = (await audits('retention.hold.place')).filter((x) => x.outcome === 'success')
      assert.equal(a.length, 1)
      assert.deepEqual(a[0]!.child_ids, [B])
      await assert.rejects(sql`delete from legal_hold where child_id = ${B}`.execute(db()), /legal hold is kept/)
    })

    let reportId: string
    it('the dry run lists what is due and not on hold, per child with counts and dates, and changes nothing', async () => {
      const before = await db().selectFrom('entry').select(['id', 'summary']).where('child_id', 'in', [A, B]).orderBy('id').execute()
      const r = await job()
      assert.equal(r.reports, 1)
      const [report] = await reports()
      reportId = report!.id
      assert.equal(report!.state, 'dry_run')
      const items = report!.items as { childId: string; records: Record<string, string[]>; identity: boolean; dates: Record<string, string> }[]
      assert.deepEqual(items.map((i) => i.childId), [A], 'B is on hold, D is not due, the seed children are young')
      assert.deepEqual([...items[0]!.records.entry!].sort(), [...aEntries].sort(), 'the sealed entry is neither listed nor counted')
      assert.deepEqual(items[0]!.records.concern, [aConcern])
      assert.equal(items[0]!.identity, true)
      assert.equal(items[0]!.dates.entry, '2025-03-01')
      assert.deepEqual(report!.counts, { children: 1, identities: 1, records: { entry: 2, concern: 1 } })
      assert.deepEqual(await db().selectFrom('entry').select(['id', 'summary']).where('child_id', 'in', [A, B]).orderBy('id').execute(), before)
      assert.equal((await db().selectFrom('child').select('given_name').where('id', '=', A).executeTakeFirstOrThrow()).given_name, 'Alpha')
      assert.equal(Number((await db().selectFrom('retention_action').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), 0)
      const dry = (await audits('retention.dry-run'))[0]!
      assert.equal(dry.actor_kind, 'system')
      assert.deepEqual(dry.child_ids, [A])
      // once a day: a second run makes no second report
      assert.equal((await job()).reports, 0)
    })

    it('the report page: information governance sees it; a manager only once it waits for a decision', async () => {
      const ig = await ctx.s.signIn('ig')
      const page = await ig.get(`/retention/reports/${reportId}`)
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Alpha Retentiontest/)
      assert.doesNotMatch(page.body, /Bravo|Synthetic entry|Synthetic sealed/, 'names, dates and counts — never content, never held children')
      assert.match(page.body, /Ask for a second person’s approval/)
      const manager = await ctx.s.signIn('manager.north')
      assert.equal((await manager.get(`/retention/reports/${reportId}`)).statusCode, 404)
      assert.equal((await ig.get(`/retention/reports/${randomUUID()}`)).statusCode, 404)
    })

    // who may decide but must not be asked: an IG officer whose account is disabled, and a team manager whose
    // membership starts next month
    const disabledIg = randomUUID()
    const notYetManager = randomUUID()
    it('setup: a disabled information governance officer and a team manager not yet started', async () => {
      const now = new Date(ctx.s.clock.now())
      const person = async (membershipId: string, given: string, role: string, opts: { disabledAt: Date | null; startsAt: Date }) => {
        const practitionerId = randomUUID()
        await db()
          .insertInto('practitioner')
          .values({ id: practitionerId, partnership_id: P, email: `${given.toLowerCase()}.retentiontest@example.org`, given_name: given, family_name: 'Retentiontest', phone: null, password_hash: 'x', totp_secret: null, disabled_at: opts.disabledAt, created_at: now })
          .execute()
        await db().insertInto('membership').values({ id: membershipId, partnership_id: P, practitioner_id: practitionerId, agency_id: CSC, team_id: null, role, starts_at: opts.startsAt, ends_at: null, created_at: now }).execute()
      }
      await person(disabledIg, 'Disabled', 'ig_officer', { disabledAt: now, startsAt: new Date('2020-01-01T00:00:00Z') })
      await person(notYetManager, 'Starter', 'team_manager', { disabledAt: null, startsAt: new Date(now.getTime() + 30 * 86_400_000) })
    })

    it('nothing is carried out without a second person; the requester cannot approve their own request', async () => {
      const ig = await ctx.s.signIn('ig')
      await ig.get(`/retention/reports/${reportId}`)
      const noReason = await ig.post(`/retention/reports/${reportId}/request`, { reason: '' })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /Give the reason for carrying out the report/)
      // a manager cannot ask (retention:manage): hidden as not found
      const manager = await ctx.s.signIn('manager.north')
      assert.equal((await manager.post(`/retention/reports/${reportId}/request`, { reason: 'x' })).statusCode, 404)
      await ig.get(`/retention/reports/${reportId}`)
      assert.equal((await ig.post(`/retention/reports/${reportId}/request`, { reason: 'Reviewed: past R17 date, no hold, no open proceedings' })).statusCode, 303)
      const [report] = await reports()
      assert.equal(report!.state, 'awaiting_approval')
      const approval = await db().selectFrom('approval_request').selectAll().where('id', '=', report!.approval_id!).executeTakeFirstOrThrow()
      assert.equal(approval.kind, 'retention_delete')
      assert.equal(approval.state, 'requested')
      // the job does nothing while the approval waits
      assert.equal((await job()).executed, 0)
      assert.equal((await db().selectFrom('entry').select('summary').where('id', '=', aEntries[0]!).executeTakeFirstOrThrow()).summary, 'Synthetic entry one about Alpha.')
      // the requester approving: refused and audited
      const page = await ig.get(`/retention/reports/${reportId}`)
      assert.doesNotMatch(page.body, /Record your decision/)
      const own = await ig.post(`/retention/reports/${reportId}/decide`, { decision: 'approve', reason: '', rowVersion: String(approval.row_version) })
      assert.equal(own.statusCode, 403)
      assert.match(own.body, /a second person must decide it/)
      assert.equal((await audits('retention.approve'))[0]!.outcome, 'refused')
      assert.equal((await db().selectFrom('approval_request').select('state').where('id', '=', approval.id).executeTakeFirstOrThrow()).state, 'requested')
      // a refusal needs a reason
      const ig2 = await ctx.s.signIn('ig2')
      await ig2.get(`/retention/reports/${reportId}`)
      const bare = await ig2.post(`/retention/reports/${reportId}/decide`, { decision: 'refuse', reason: '', rowVersion: String(approval.row_version) })
      assert.equal(bare.statusCode, 400)
      assert.match(bare.body, /Give the reason for refusing/)
      // the manager sees it now that it waits for a decision
      assert.equal((await manager.get(`/retention/reports/${reportId}`)).statusCode, 200)
    })

    it('the request is notified to the other deciders in post: not the requester, a disabled account or a membership not yet started', async () => {
      const told = new Set((await db().selectFrom('notification').select('membership_id').where('kind', '=', 'approval.requested').where('subject_id', '=', reportId).execute()).map((n) => n.membership_id))
      assert.ok(told.has(membershipOf('ig2')), 'the second IG officer is told')
      assert.ok(told.has(membershipOf('manager.north')), 'a team manager is told')
      assert.ok(!told.has(membershipOf('ig')), 'not the requester')
      assert.ok(!told.has(disabledIg), 'not a disabled practitioner')
      assert.ok(!told.has(notYetManager), 'not a membership that has not started')
      const emailed = await db().selectFrom('outbox').select('to_address').where('to_address', 'like', '%.retentiontest@example.org').execute()
      assert.deepEqual(emailed, [])
    })

    it('approved by a second person, the job anonymises exactly what was listed, audits per child, and keeps the audit', async () => {
      const auditsBefore = await auditCount()
      const ig2 = await ctx.s.signIn('ig2')
      const page = await ig2.get(`/retention/reports/${reportId}`)
      assert.match(page.body, /Record your decision/)
      const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body)![1]!
      const ok = await ig2.post(`/retention/reports/${reportId}/decide`, { decision: 'approve', reason: 'Checked', rowVersion })
      assert.equal(ok.statusCode, 303)
      assert.equal((await audits('retention.approve'))[0]!.outcome, 'success')
      const today = new Date(ctx.s.clock.now()).toISOString().slice(0, 10)
      const r = await job()
      assert.equal(r.executed, 1)
      const removed = `[removed under retention on ${today}]`
      for (const id of aEntries) assert.equal((await db().selectFrom('entry').select('summary').where('id', '=', id).executeTakeFirstOrThrow()).summary, removed)
      assert.equal((await db().selectFrom('entry').select('summary').where('id', '=', aSealed).executeTakeFirstOrThrow()).summary, 'Synthetic sealed entry about Alpha.', 'sealed entries untouched')
      assert.equal((await db().selectFrom('entry').select('summary').where('id', '=', bEntry).executeTakeFirstOrThrow()).summary, 'Synthetic entry about Bravo.', 'held child untouched')
      assert.deepEqual(await db().selectFrom('entry').select(['id', 'summary']).where('child_id', '=', other).orderBy('id').execute(), otherEntries, 'other children untouched')
      const concern = await db().selectFrom('concern').selectAll().where('id', '=', aConcern).executeTakeFirstOrThrow()
      assert.equal(concern.seen_or_heard, removed)
      assert.equal(concern.child_words, null)
      assert.equal(concern.location, null)
      assert.equal(concern.other_children, null)
      const a = await db().selectFrom('child').selectAll().where('id', '=', A).executeTakeFirstOrThrow()
      assert.equal(a.given_name, 'Removed')
      assert.equal(a.nhs_number, null)
      assert.equal(a.upn, null)
      assert.equal(a.date_of_birth, '2000-02-29', 'the date of birth is kept as the anchor')
      assert.equal((await db().selectFrom('child').select('given_name').where('id', '=', B).executeTakeFirstOrThrow()).given_name, 'Bravo')
      for (const t of ['child_name', 'child_address', 'family_member'] as const) {
        assert.equal((await db().selectFrom(t).select('id').where('child_id', '=', A).execute()).length, 0, `${t} deleted`)
      }
      const actions = await db().selectFrom('retention_action').selectAll().where('report_id', '=', reportId).execute()
      assert.equal(actions.length, 4)
      const perChild = await audits('retention.child')
      assert.equal(perChild.length, 1)
      assert.equal(perChild[0]!.actor_kind, 'system')
      assert.deepEqual(perChild[0]!.child_ids, [A])
      assert.deepEqual(perChild[0]!.details, { job: 'retention-test', anonymised: { entry: 2, concern: 1 }, identityAnonymised: true, deleted: { names: 1, addresses: 1, familyMembers: 1 } })
      assert.ok((await auditCount()) > auditsBefore, 'the audit only grows')
      assert.ok((await db().selectFrom('audit_event').select('id').where(sql<boolean>`${A} = any(child_ids)`).execute()).length > 3, 'the audit about the child is kept')
      const [report] = await reports()
      assert.equal(report!.state, 'executed')
      const igPage = await (await ctx.s.signIn('ig')).get(`/retention/reports/${reportId}`)
      assert.match(igPage.body, /Records anonymised:[\s\S]*?Chronology entries: 2[\s\S]*?Concerns: 1/)
      assert.doesNotMatch(JSON.stringify(report!.items), /childName/, 'the stored report holds no names: it outlives the anonymising')
      assert.match(igPage.body, /Removed/, 'the page looks the name up: the child is now anonymised')
    })

    it('re-running does nothing more; the entry trigger admits no other change', async () => {
      const n = async () => Number((await db().selectFrom('retention_action').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
      const before = await n()
      assert.deepEqual(await job(), { executed: 0, reports: 0 })
      ctx.s.clock.advance(86_400_000)
      assert.deepEqual(await job(), { executed: 0, reports: 0 }, 'the next day: nothing due that is not done or held')
      assert.equal(await n(), before)
      // an entry's summary cannot be changed outside the sanctioned path, nor a sealed one even with an action row
      await assert.rejects(db().updateTable('entry').set({ summary: 'changed' }).where('id', '=', bEntry).execute(), /entries are immutable/)
      await assert.rejects(
        db().transaction().execute(async (trx) => {
          await trx.insertInto('retention_action').values({ id: randomUUID(), partnership_id: P, report_id: reportId, child_id: A, record_type: 'entry', record_id: aSealed, action: 'anonymised', replacement: 'x', acted_at: new Date() }).execute()
          await trx.updateTable('entry').set({ summary: 'x' }).where('id', '=', aSealed).execute()
        }),
        /entries are immutable/,
      )
      await assert.rejects(sql`delete from retention_action where report_id = ${reportId}`.execute(db()), /append-only/)
    })

    it('every role on every retention route: never a 500; without the permission 403, or 404 for a record route', async () => {
      const problems: string[] = []
      const people = demoPractitioners()
      const retentionRoutes = ctx.s.app.routeTable.filter((r) => (r.method === 'GET' || r.method === 'POST') && r.url.startsWith('/retention'))
      assert.ok(retentionRoutes.length >= 9)
      for (const role of ROLES) {
        const key = people.find((p) => p.memberships[0]?.role === role)?.key
        if (!key) continue
        const agent = await ctx.s.signIn(key)
        for (const route of retentionRoutes) {
          const url = route.url.replace(/:[a-zA-Z]+/g, () => randomUUID())
          const res = route.method === 'GET' ? await agent.get(url) : await agent.post(url, {})
          const allowed = hasPermission(role, route.declaration!.permission)
          if (res.statusCode >= 500) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode}`)
          if (!allowed && res.statusCode !== (route.declaration!.record ? 404 : 403)) problems.push(`${role} ${route.method} ${route.url}: ${res.statusCode} without the permission`)
          if (route.url.includes(':') && res.statusCode === 200) problems.push(`${role} ${route.method} ${route.url} with a random id: 200`)
        }
      }
      assert.deepEqual(problems, [])
    })

    it('lifting the hold needs a reason; then the held child comes into the next dry run', async () => {
      let ig = await ctx.s.signIn('ig')
      await ig.get(`/retention/children/${B}`)
      const none = await ig.post(`/retention/children/${B}/hold/lift`, { liftReason: '' })
      assert.equal(none.statusCode, 400)
      assert.match(none.body, /Give the reason for lifting the legal hold/)
      assert.equal((await ig.post(`/retention/children/${B}/hold/lift`, { liftReason: 'Synthetic: claim settled' })).statusCode, 303)
      assert.equal((await audits('retention.hold.lift'))[0]!.outcome, 'success')
      assert.equal((await ig.post(`/retention/children/${B}/hold/lift`, { liftReason: 'Again' })).statusCode, 400)
      ctx.s.clock.advance(86_400_000)
      assert.equal((await job()).reports, 1)
      const [report] = await reports()
      assert.deepEqual((report!.items as { childId: string }[]).map((i) => i.childId), [B])
      // withdrawn by the requester: closed, nothing done (signed in again: a day has passed)
      ig = await ctx.s.signIn('ig')
      await ig.get(`/retention/reports/${report!.id}`)
      assert.equal((await ig.post(`/retention/reports/${report!.id}/request`, { reason: 'Reviewed' })).statusCode, 303)
      const page = await ig.get(`/retention/reports/${report!.id}`)
      const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body)![1]!
      assert.equal((await ig.post(`/retention/reports/${report!.id}/withdraw`, { rowVersion })).statusCode, 303)
      assert.equal((await db().selectFrom('retention_report').select('state').where('id', '=', report!.id).executeTakeFirstOrThrow()).state, 'closed')
      assert.equal((await job()).executed, 0)
      assert.equal((await db().selectFrom('entry').select('summary').where('id', '=', bEntry).executeTakeFirstOrThrow()).summary, 'Synthetic entry about Bravo.')
    })

    it('a subject access request’s late reason goes from its clock too (the clock has no child: the identity never reached it)', async () => {
      const E = randomUUID()
      const sar = randomUUID()
      const clockId = randomUUID()
      const at = new Date('2020-01-01T10:00:00Z')
      const late = 'Synthetic: the requester’s mother was in hospital'
      await addChild(E, 'Echo', '2000-01-01')
      await sql`insert into subject_access_request (partnership_id, id, agency_id, child_id, requester_relationship, requester_name, identity_verified, received_on, due_at, state, outcome, late_reason, logged_by, logged_at, closed_at)
        values (${P}, ${sar}, ${CSC}, ${E}, 'parent', 'Synthetic Parent', 'Synthetic: passport seen', '2019-12-01', ${at}, 'closed', 'met_late', ${late}, ${membershipOf('ig')}, ${at}, ${at})`.execute(db())
      await sql`insert into clock (id, partnership_id, rule, child_id, subject_type, subject_id, started_at, due_at, met_at, state, reason, created_at)
        values (${clockId}, ${P}, 'SAR', null, 'subject_access_request', ${sar}, ${at}, ${at}, ${at}, 'met_late', ${late}, ${at})`.execute(db())
      ctx.s.clock.advance(86_400_000)
      assert.equal((await job()).reports, 1)
      const [report] = await reports()
      const item = (report!.items as { childId: string; records: Record<string, string[]> }[]).find((i) => i.childId === E)!
      assert.deepEqual(item.records.subject_access, [sar])
      const ig = await ctx.s.signIn('ig')
      await ig.get(`/retention/reports/${report!.id}`)
      assert.equal((await ig.post(`/retention/reports/${report!.id}/request`, { reason: 'Synthetic: reviewed' })).statusCode, 303)
      const ig2 = await ctx.s.signIn('ig2')
      const page = await ig2.get(`/retention/reports/${report!.id}`)
      const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body)![1]!
      assert.equal((await ig2.post(`/retention/reports/${report!.id}/decide`, { decision: 'approve', reason: 'Checked', rowVersion })).statusCode, 303)
      assert.equal((await job()).executed, 1)
      const removed = /^\[removed under retention on \d{4}-\d{2}-\d{2}\]$/
      assert.match((await db().selectFrom('subject_access_request').select('late_reason').where('id', '=', sar).executeTakeFirstOrThrow()).late_reason!, removed)
      const clock = await db().selectFrom('clock').selectAll().where('id', '=', clockId).executeTakeFirstOrThrow()
      assert.match(clock.reason!, removed, 'the late reason is not left behind on the request’s clock')
      assert.equal(clock.state, 'met_late', 'the clock itself is kept for the figures')
    })
  })
}
