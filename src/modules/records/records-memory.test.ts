// What the matcher and the importer remember, and what they lock: a "not the same child" decision holds against the
// child it was about as that child stands after merges; a cumulative extract does not bring back, at the file's
// visibility, an entry whose visibility was changed since it landed; a wholly wrong file gets its row report however
// many rows it rejects, and a file that is not CSV names the line; a reviewer's decision locks the record, not its agency.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { sql } from 'kysely'
import { describeApp } from '../../../test/support/app.ts'
import { agencyRecords, CSC, P } from '../../../test/support/agency-records.ts'
import { membershipOf } from '../../../test/support/tac.ts'


describeApp('agency records: remembered decisions across merges, re-imported entries, large rejections and the review’s locks', (ctx) => {
  const { db, post, recordOf, importCsv, kids, exactly } = agencyRecords(ctx)
  /** Another first name, the same family name and date of birth, sex not recorded: possibly the same child. */
  const near = (ref: string, family: string, dob: string) => `${ref},Zebedee,${family},${dob},,,,,`
  const reviewer = () => ctx.s.signIn('partnership.admin')

  it('a “not the same child” decision about a child since emptied into another holds against that other child: the record is not queued against it again', async () => {
    const [k] = await kids()
    // X: a child of its own; R: possibly X
    await importCsv('records', ['MEM-X,Perpetua,Quillfeather,2004-07-23,female,,,NS9 7QQ,'])
    const x = (await recordOf('MEM-X')).child_id
    await importCsv('records', [near('MEM-R', 'Quillfeather', '2004-07-23')])
    const queued = await recordOf('MEM-R')
    assert.deepEqual([queued.match_state, queued.review_child_id], ['review', x])
    // X's only record turns out to be k's: X is emptied into k
    await importCsv('records', [exactly('MEM-X', k!)])
    assert.equal((await db().selectFrom('child').select('merged_into_child_id').where('id', '=', x).executeTakeFirstOrThrow()).merged_into_child_id, k!.id)
    // the reviewer decides R is not X
    const res = await (await reviewer()).post(`/records/${queued.id}/not-same`, { reason: 'Different child: checked with the social worker' })
    assert.equal(res.statusCode, 303, res.body.slice(0, 400))
    // R's next extract resembles k, the child X now is: the decision holds, and R is not queued against k
    await importCsv('records', [near('MEM-R', k!.family_name, k!.date_of_birth!)])
    const after = await recordOf('MEM-R')
    assert.equal(after.review_child_id, null, 'not proposed again as the child it was decided not to be')
    assert.notEqual(after.child_id, k!.id)
    assert.equal(after.match_state, 'new_child')
  })

  it('a merge is refused when the candidate has since been emptied into a child the record was decided not to be; nothing moves', async () => {
    const [, k] = await kids()
    const admin = await reviewer()
    // R is decided not to be k
    await importCsv('records', [near('MEM2-R', k!.family_name, k!.date_of_birth!)])
    const r = await recordOf('MEM2-R')
    assert.deepEqual([r.match_state, r.review_child_id], ['review', k!.id])
    assert.equal((await admin.post(`/records/${r.id}/not-same`, { reason: 'Not the same child: different school' })).statusCode, 303)
    // then possibly X, another child
    await importCsv('records', ['MEM2-X,Octavia,Brackenridge,2003-03-17,female,,,NS9 7QQ,'])
    const x = (await recordOf('MEM2-X')).child_id
    await importCsv('records', [near('MEM2-R', 'Brackenridge', '2003-03-17')])
    const queued = await recordOf('MEM2-R')
    assert.deepEqual([queued.match_state, queued.review_child_id], ['review', x])
    // X's only record turns out to be k's: X is emptied into k
    await importCsv('records', [exactly('MEM2-X', k!)])
    assert.equal((await db().selectFrom('child').select('merged_into_child_id').where('id', '=', x).executeTakeFirstOrThrow()).merged_into_child_id, k!.id)
    // merging R with X would put it on k
    await admin.get('/records/review')
    const merge = await admin.post(`/records/${queued.id}/merge`, { reason: 'Same child' })
    assert.equal(merge.statusCode, 409, merge.body.slice(0, 400))
    assert.match(merge.body, /recorded as not the same child as the child the candidate has since been merged into/)
    assert.match(merge.body, /govuk-error-summary/)
    const after = await recordOf('MEM2-R')
    assert.deepEqual([after.match_state, after.child_id, after.review_child_id], ['review', queued.child_id, x], 'nothing moved')
    const audit = await db().selectFrom('audit_event').select('outcome').where('action', '=', 'records.merge').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.equal(audit.outcome, 'refused')
  })

  it('a cumulative extract does not bring back an entry whose visibility was narrowed since it landed: it is the entry held', async () => {
    await importCsv('records', ['MEM-E,Hyacinth,Fairweather-Lowe,2005-02-11,female,,,NS9 7QQ,'])
    const rec = await recordOf('MEM-E')
    const rows = ['MEM-E,2026-11-02,police_incident,domestic_abuse,high,Police called to the home,team', 'MEM-E,2026-11-04,health_attendance,,medium,Seen at the emergency department,team']
    await importCsv('entries', rows)
    const first = await db().selectFrom('entry').select(['id', 'visibility']).where('agency_record_id', '=', rec.id).where('type', '=', 'police_incident').executeTakeFirstOrThrow()
    // narrowed by its agency, as governance's change does it: the change recorded, and the entry's visibility changed in place
    await db().transaction().execute(async (trx) => {
      await trx
        .insertInto('entry_visibility_change')
        .values({ id: randomUUID(), partnership_id: P, entry_id: first.id, child_id: rec.child_id, kind: 'narrow', from_visibility: 'team', from_restricted_agency_ids: [], from_restricted_roles: [], to_visibility: 'agency', to_restricted_agency_ids: [], to_restricted_roles: [], reason: 'Names an adult: our agency only', changed_by: membershipOf('sw.north'), changed_at: ctx.s.clock.now() })
        .execute()
      await trx.updateTable('entry').set({ visibility: 'agency' }).where('id', '=', first.id).execute()
    })
    // next week's extract: last week's rows again, and one new
    await importCsv('entries', [...rows, 'MEM-E,2026-11-09,exclusion,,medium,Fixed-term exclusion,team'])
    const entries = await db().selectFrom('entry').select(['id', 'type', 'visibility']).where('agency_record_id', '=', rec.id).orderBy('occurred_at').execute()
    assert.deepEqual(entries.map((e) => [e.type, e.visibility]), [['police_incident', 'agency'], ['health_attendance', 'team'], ['exclusion', 'team']], 'no second, team-wide copy of the narrowed entry')
  })

  it('a file whose every row is wrong (20,000 of them) gets its row-by-row report, and nothing is imported', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `BIG-${i},Ann,Lee,05/01/2015,female,,,,`)
    const res = await post('records', lines)
    assert.equal(res.statusCode, 400, res.body.slice(0, 400))
    assert.match(res.body, /Nothing was imported/)
    const run = await db().selectFrom('import_run').select(['id', 'rows_rejected']).where('status', '=', 'rejected').orderBy('started_at', 'desc').executeTakeFirstOrThrow()
    assert.equal(run.rows_rejected, 20_000)
    const n = await db().selectFrom('import_rejection').select((e) => e.fn.countAll<number>().as('n')).where('import_run_id', '=', run.id).executeTakeFirstOrThrow()
    assert.equal(Number(n.n), 20_000)
    assert.equal((await db().selectFrom('agency_record').select('id').where('source_ref', 'like', 'BIG-%').execute()).length, 0)
  })

  it('a file that is not valid CSV is reported at the line where it goes wrong', async () => {
    const res = await post('records', ['CSV-1,Ann,Lee,2015-01-05,female,,,,', 'CSV-2,Bea,Lee,2015-01-06,female,,,,', 'CSV-3,Ca"ra,Lee,2015-01-07,female,,,,'])
    assert.equal(res.statusCode, 400, res.body.slice(0, 400))
    assert.match(res.body, /not valid CSV/)
    const run = await db().selectFrom('import_run').select('id').where('status', '=', 'rejected').orderBy('started_at', 'desc').executeTakeFirstOrThrow()
    const rejections = await db().selectFrom('import_rejection').select(['row_number', 'reason']).where('import_run_id', '=', run.id).execute()
    assert.deepEqual(rejections.map((r) => r.row_number), [4], 'the fourth line of the file (the header is the first)')
  })

  it('a reviewer’s decision locks the record, not its agency: it does not wait for an import that holds the agency’s row as its inserts do', async (t) => {
    if (ctx.s.t.engine !== 'postgres') {
      t.skip('PGlite runs one transaction at a time: there is no "same moment"')
      return
    }
    const [, , k] = await kids()
    await importCsv('records', [near('MEM3-R', k!.family_name, k!.date_of_birth!)])
    const r = await recordOf('MEM3-R')
    assert.equal(r.match_state, 'review')
    const admin = await reviewer()
    await admin.get('/records/review')
    // an import under way: an insert naming the agency holds its row FOR KEY SHARE (the foreign key's check) until it commits
    let holding!: () => void
    let release!: () => void
    const held = new Promise<void>((res) => (holding = res))
    const gate = new Promise<void>((res) => (release = res))
    const importing = db().transaction().execute(async (trx) => {
      await sql`select id from agency where id = ${CSC} for key share`.execute(trx)
      holding()
      await gate
    })
    await held
    let finished = false
    const merging = admin.post(`/records/${r.id}/not-same`, { reason: 'Not the same child' }).finally(() => (finished = true))
    let waited = false
    try {
      for (let i = 0; i < 100 && !finished && !waited; i++) {
        await new Promise((res) => setTimeout(res, 20))
        waited = await ctx.s.t.privileged(async (p) => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(p)).rows[0]!.n > 0)
      }
    } finally {
      release()
      await importing
    }
    assert.equal(waited, false, 'the decision did not wait for the agency’s row')
    assert.equal((await merging).statusCode, 303)
  })
})
