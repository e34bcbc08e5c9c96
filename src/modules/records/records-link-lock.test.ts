// An import (or the API) that links an agency record onto an existing child takes the children's rows as a merge and a
// signal evaluation take them (lockChildren, in id order) before it moves anything: it waits for a merge or an
// evaluation holding them, and lands where a merge that has just committed took the child (ADR 0008).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { sql } from 'kysely'
import { describeApp } from '../../../test/support/app.ts'
import { agencyRecords, CSC, P } from '../../../test/support/agency-records.ts'
import { lockChildren } from '../../data/repositories/children.ts'


describeApp('agency records: a link onto an existing child takes the children as a merge does, and an update keeps the record’s own child right', (ctx) => {
  const { db, recordOf, importCsv, kids, exactly } = agencyRecords(ctx)
  const entriesOfRecord = async (recordId: string) => (await db().selectFrom('entry').select(['id', 'child_id']).where('agency_record_id', '=', recordId).orderBy('id').execute())
  /** A record of a child no demo child resembles, with two entries: a child of its own. */
  const ownChild = async (ref: string, given: string, family: string, dob: string) => {
    await importCsv('records', [`${ref},${given},${family},${dob},female,,,NS9 7QQ,`])
    const rec = await recordOf(ref)
    assert.equal(rec.match_state, 'new_child')
    await importCsv('entries', [`${ref},2026-11-02,police_incident,domestic_abuse,high,Police called to the home,team`, `${ref},2026-11-04,health_attendance,,medium,Seen at the emergency department,team`])
    assert.equal((await entriesOfRecord(rec.id)).length, 2)
    return rec
  }

  it('an update that links a record to an existing child moves its entries there, marks the child it left as merged, and audits both children', async () => {
    const [k] = await kids()
    const rec = await ownChild('LOCK-1', 'Perpetua', 'Quillfeather', '2004-07-23')
    const own = rec.child_id
    await importCsv('records', [exactly('LOCK-1', k!)])
    const after = await recordOf('LOCK-1')
    assert.deepEqual([after.match_state, after.child_id], ['matched', k!.id])
    assert.deepEqual((await entriesOfRecord(rec.id)).map((e) => e.child_id), [k!.id, k!.id])
    const left = await db().selectFrom('child').select('merged_into_child_id').where('id', '=', own).executeTakeFirstOrThrow()
    assert.equal(left.merged_into_child_id, k!.id, 'the empty child is marked, as a merge marks it: no longer offered to the matcher or the search')
    const audit = await db().selectFrom('audit_event').select('child_ids').where('action', '=', 'records.import').where('outcome', '=', 'success').orderBy('at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow()
    assert.deepEqual([...audit.child_ids].sort(), [own, k!.id].sort(), 'the audit row names the child the entries left as well as the one they went to')
  })

  it('an update that puts a record in the review queue marks its own child provisional, and one that leaves no likely match clears it', async () => {
    const ks = await kids()
    const k = ks[ks.length - 1]!
    const provisional = async (childId: string) => (await db().selectFrom('child').select('provisional').where('id', '=', childId).executeTakeFirstOrThrow()).provisional
    // another first name, the same family name and date of birth, sex not recorded: possibly the same child
    const near = (ref: string) => `${ref},Zebedee,${k.family_name},${k.date_of_birth},,,,,`
    const unlike = (ref: string) => `${ref},Araminta,Postlethwaite,2002-06-14,female,,,NS9 7QQ,`
    // a child of its own, then an update that makes it a possible match
    await importCsv('records', [unlike('PROV-1')])
    const first = await recordOf('PROV-1')
    assert.deepEqual([first.match_state, await provisional(first.child_id)], ['new_child', false])
    await importCsv('records', [near('PROV-1')])
    const queued = await recordOf('PROV-1')
    assert.deepEqual([queued.match_state, queued.review_child_id, queued.child_id], ['review', k.id, first.child_id])
    assert.equal(await provisional(first.child_id), true, 'waiting for a reviewer: provisional, as on arrival')
    // in the review queue on arrival, then an update that leaves no likely match
    await importCsv('records', [near('PROV-2')])
    const second = await recordOf('PROV-2')
    assert.deepEqual([second.match_state, await provisional(second.child_id)], ['review', true])
    await importCsv('records', [`PROV-2,Araminta,Postlethwaite,2001-03-09,female,,,NS9 7QQ,`])
    const alone = await recordOf('PROV-2')
    assert.deepEqual([alone.match_state, alone.child_id], ['new_child', second.child_id])
    assert.equal(await provisional(second.child_id), false, 'a child of its own: no longer shown as “not yet matched”')
  })

  it('a link waits for a merge holding the child it links to, and goes to the child that merge took it into', async (t) => {
    if (ctx.s.t.engine !== 'postgres') {
      t.skip('PGlite runs one transaction at a time: there is no "same moment"')
      return
    }
    const d = db()
    const [, target, into] = await kids()
    const rec = await ownChild('LOCK-2', 'Hermione', 'Sackville-Tarrant', '2003-01-29')
    const own = rec.child_id
    // a reviewer's merge under way: the children's rows taken as the merge takes them, the target child emptied into
    // another and marked, not yet committed
    let holding!: () => void
    let release!: () => void
    const held = new Promise<void>((r) => (holding = r))
    const gate = new Promise<void>((r) => (release = r))
    const merge = d.transaction().execute(async (trx) => {
      await lockChildren(trx, P, [target!.id, into!.id])
      await trx.updateTable('child').set({ merged_into_child_id: into!.id }).where('id', '=', target!.id).execute()
      holding()
      await gate
    })
    await held
    let finished = false
    const linking = importCsv('records', [exactly('LOCK-2', target!)]).finally(() => (finished = true))
    let waiting = false
    try {
      for (let i = 0; i < 150 && !waiting && !finished; i++) {
        await new Promise((r) => setTimeout(r, 20))
        waiting = await ctx.s.t.privileged(async (p) => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(p)).rows[0]!.n > 0)
      }
    } finally {
      release()
      await merge
      await linking
    }
    assert.ok(waiting, 'the import waited for the merge’s lock on the children')
    const after = await recordOf('LOCK-2')
    assert.deepEqual([after.match_state, after.child_id], ['matched', into!.id], 'linked to the child the merge went into, never the emptied one')
    assert.deepEqual((await entriesOfRecord(rec.id)).map((e) => e.child_id), [into!.id, into!.id])
    const rel = await d.selectFrom('relationship').select('child_id').where('source', '=', `agency record ${rec.id}`).executeTakeFirstOrThrow()
    assert.equal(rel.child_id, into!.id)
    assert.equal((await d.selectFrom('agency_record').select('id').where('child_id', '=', target!.id).where('id', '=', rec.id).execute()).length, 0)
    assert.equal((await d.selectFrom('child').select('merged_into_child_id').where('id', '=', own).executeTakeFirstOrThrow()).merged_into_child_id, into!.id)
  })

  it('a new record linked on arrival waits for a signal evaluation holding the child, and is on it once the evaluation lets go', async (t) => {
    if (ctx.s.t.engine !== 'postgres') {
      t.skip('PGlite runs one transaction at a time: there is no "same moment"')
      return
    }
    const d = db()
    const [, , , k] = await kids()
    let holding!: () => void
    let release!: () => void
    const held = new Promise<void>((r) => (holding = r))
    const gate = new Promise<void>((r) => (release = r))
    const evaluation = d.transaction().execute(async (trx) => {
      await lockChildren(trx, P, [k!.id])
      holding()
      await gate
    })
    await held
    let finished = false
    const linking = importCsv('records', [exactly('LOCK-3', k!)]).finally(() => (finished = true))
    let waiting = false
    try {
      for (let i = 0; i < 150 && !waiting && !finished; i++) {
        await new Promise((r) => setTimeout(r, 20))
        waiting = await ctx.s.t.privileged(async (p) => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(p)).rows[0]!.n > 0)
      }
    } finally {
      release()
      await evaluation
      await linking
    }
    assert.ok(waiting, 'the import waited for the lock on the child')
    const rec = await recordOf('LOCK-3')
    assert.deepEqual([rec.match_state, rec.child_id], ['matched', k!.id])
  })

  it('two requests creating the same record at the same moment: the second is refused as problem+json naming it, never a server error, nothing of it kept', async (t) => {
    if (ctx.s.t.engine !== 'postgres') {
      t.skip('PGlite runs one transaction at a time: there is no "same moment"')
      return
    }
    const d = db()
    const admin = await ctx.s.signIn('admin.csc')
    admin.csrf = (JSON.parse((await admin.get('/api/v1/me')).body) as { csrfToken: string }).csrfToken
    const children = async () => Number((await d.selectFrom('child').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const before = await children()
    // another import creating DUP-1, not yet committed
    let holding!: () => void
    let release!: () => void
    const held = new Promise<void>((r) => (holding = r))
    const gate = new Promise<void>((r) => (release = r))
    const other = d.transaction().execute(async (trx) => {
      const childId = randomUUID()
      const now = ctx.s.clock.now()
      await trx.insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Leocadia', family_name: 'Winterbottom', date_of_birth: '2005-08-19', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, provisional: false, created_at: now }).execute()
      await trx.insertInto('agency_record').values({ id: randomUUID(), partnership_id: P, agency_id: CSC, source_ref: 'DUP-1', given_name: 'Leocadia', family_name: 'Winterbottom', date_of_birth: '2005-08-19', sex: 'female', nhs_number: null, upn: null, postcode: null, address: null, child_id: childId, match_state: 'new_child', match_probability: null, match_explanation: null, review_child_id: null, created_at: now, updated_at: now }).execute()
      holding()
      await gate
    })
    await held
    let finished = false
    const sent = admin.postJson('/api/v1/records', { sourceRef: 'DUP-1', givenName: 'Leocadia', familyName: 'Winterbottom', dateOfBirth: '2005-08-19', sex: 'female' }, { 'idempotency-key': randomUUID() }).finally(() => (finished = true))
    try {
      for (let i = 0; i < 150 && !finished; i++) {
        await new Promise((r) => setTimeout(r, 20))
        if (await ctx.s.t.privileged(async (p) => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(p)).rows[0]!.n > 0)) break
      }
    } finally {
      release()
      await other
    }
    const res = await sent
    assert.equal(res.statusCode, 409, res.body)
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    assert.match((JSON.parse(res.body) as { detail: string }).detail, /source_ref DUP-1: another import or request created this record at the same moment/)
    assert.equal((await d.selectFrom('agency_record').select('id').where('source_ref', '=', 'DUP-1').execute()).length, 1)
    assert.equal(await children(), before + 1, 'only the other import’s child: none left behind by the refused one')
    assert.equal((await d.selectFrom('audit_event').select('id').where('action', '=', 'records.create').where('outcome', '=', 'refused').execute()).length, 1, 'the refusal is audited')
  })
})
