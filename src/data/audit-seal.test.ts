import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { it } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { describeEachEngine } from '../../test/support/db.ts'
import { FakeClock } from '../platform/clock.ts'
import { writeAudit } from './audit.ts'
import { chainHash, sealOnce, verifyAudit, GENESIS } from './audit-seal.ts'
import type { DB } from './schema.ts'

const P = '11111111-1111-4111-8111-111111111111'
const KEY = 'test-audit-key-that-is-at-least-32-characters'

describeEachEngine('the audit chain: sealer, checkpoints, verifier', (ctx) => {
  const clock = new FakeClock('2026-11-23T10:00:00Z')
  let dir: string
  let checkpointPath: string
  const opts = () => ({ db: ctx.t.db, clock, hmacKey: KEY, checkpointPath })
  const verify = (mode: 'full' | 'incremental' = 'full') => verifyAudit(ctx.t.db, { checkpointPath, hmacKey: KEY, mode, now: clock.now() })
  const write = async (n: number, db: Kysely<DB> = ctx.t.db) => {
    for (let i = 0; i < n; i++) await writeAudit(db, { kind: 'system', partnershipId: P, job: 'test', requestId: `r${i}` }, clock.now(), { action: 'test.event', outcome: 'success', details: { i } })
  }
  // The sealer only takes rows older than every transaction still running in the *cluster* (xid horizons are
  // cluster-wide), so on a PostgreSQL shared with other test files a round can legitimately seal fewer rows than
  // are committed. Rounds are repeated until `expected` rows are sealed or 10 s pass; the total must match exactly.
  const sealUntil = async (expected: number, holder?: string) => {
    let total = 0
    const deadline = Date.now() + 10_000
    while (total < expected && Date.now() < deadline) {
      total += await sealOnce(opts(), holder)
      if (total < expected) await new Promise((r) => setTimeout(r, 50))
    }
    return total
  }
  const attack = async (fn: (db: Kysely<DB>) => Promise<void>) =>
    ctx.t.privileged(async (db) => {
      await sql`set session_replication_role = replica`.execute(db)
      try {
        await fn(db)
      } finally {
        await sql`set session_replication_role = origin`.execute(db)
      }
    })
  /** The attack a keyed checkpoint exists for: the second row rewritten and every seal's hash computed again. */
  const rewriteSecondRowAndRecomputeChain = () =>
    attack(async (db) => {
      const rows = await db.selectFrom('audit_event').selectAll().orderBy('id').execute()
      await sql`update audit_event set action = 'rewritten' where id = ${rows[1]!.id}`.execute(db)
      const changed = await db.selectFrom('audit_event').selectAll().orderBy('id').execute()
      let h = GENESIS
      for (const [i, row] of changed.entries()) {
        h = chainHash(h, row)
        await sql`update audit_seal set hash = ${h} where seal_seq = ${i + 1} and partnership_id = ${P}`.execute(db)
      }
    })
  const fresh = async () => {
    await attack(async (db) => {
      await sql`delete from audit_seal`.execute(db)
      await sql`delete from audit_event`.execute(db)
      await sql`delete from lease`.execute(db)
    })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-audit-'))
    checkpointPath = path.join(dir, 'checkpoints.log')
  }

  it('setup', async () => {
    await ctx.t.privileged(async (db) => {
      await db.insertInto('partnership').values({ id: P, partnership_id: P, name: 'Audit test', code: `audit-${Math.random()}`, created_at: new Date() }).execute()
    })
  })

  it('seals committed rows in order, hash-chained, with a keyed checkpoint outside the database', async () => {
    await fresh()
    await write(5)
    assert.equal(await sealUntil(5), 5)
    const seals = await ctx.t.db.selectFrom('audit_seal').selectAll().orderBy('seal_seq').execute()
    assert.deepEqual(seals.map((s) => Number(s.seal_seq)), [1, 2, 3, 4, 5])
    const rows = await ctx.t.db.selectFrom('audit_event').selectAll().orderBy('id').execute()
    let h = GENESIS
    for (const [i, r] of rows.entries()) {
      h = chainHash(h, r)
      assert.equal(seals[i]!.hash, h)
    }
    const cp = fs.readFileSync(checkpointPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seal_seq: number; hash: string })
    assert.deepEqual(cp.at(-1), { ...cp.at(-1)!, seal_seq: 5, hash: h })
    assert.equal(await sealOnce(opts()), 0)
    const report = await verify()
    assert.equal(report.ok, true, JSON.stringify(report))
  })

  it('the application role cannot update or delete audit rows or seals', async () => {
    await assert.rejects(sql`update audit_event set action = 'x'`.execute(ctx.t.db))
    await assert.rejects(sql`delete from audit_event`.execute(ctx.t.db))
    await assert.rejects(sql`delete from audit_seal`.execute(ctx.t.db))
    // and the triggers stop even the owner (short of disabling them)
    await ctx.t.privileged(async (db) => {
      await assert.rejects(sql`update audit_event set action = 'x'`.execute(db))
    })
  })

  it('a row written inside a transaction still open is not sealed until it commits, and nothing is skipped', async () => {
    if (ctx.t.engine === 'pglite') return // one connection: no concurrent transactions to interleave
    await fresh()
    await write(2)
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const long = ctx.t.db.transaction().execute(async (trx) => {
      await write(1, trx)
      await held
    })
    await new Promise((r) => setTimeout(r, 100))
    await write(2) // committed after the long transaction's row got its id
    assert.equal(await sealUntil(2), 2, 'only rows older than every running transaction')
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(await sealOnce(opts()), 0, 'nothing after the open transaction is sealed while it runs')
    release()
    await long
    assert.equal(await sealUntil(3), 3)
    assert.equal((await verify()).ok, true)
  })

  it('two sealers: one lease, one seals', async () => {
    await fresh()
    await write(3)
    const [a, b] = await Promise.all([sealOnce(opts(), 'A'), sealOnce(opts(), 'B')])
    assert.ok(a === 0 || b === 0, 'only the lease holder sealed')
    const holder = (await ctx.t.db.selectFrom('lease').select('holder').where('name', '=', 'audit-sealer').executeTakeFirstOrThrow()).holder
    const other = holder === 'A' ? 'B' : 'A'
    assert.equal(a + b + (await sealUntil(3 - a - b, holder)), 3)
    await write(1)
    assert.equal(await sealOnce(opts(), other), 0, 'the other sealer waits for the lease to expire')
    clock.advance(11_000)
    assert.equal(await sealUntil(1, other), 1)
  })

  it('detects a changed row and names it', async () => {
    await fresh()
    await write(6)
    assert.equal(await sealUntil(6), 6)
    const third = (await ctx.t.db.selectFrom('audit_event').select('id').orderBy('id').offset(2).limit(1).executeTakeFirstOrThrow()).id
    await attack(async (db) => {
      await sql`update audit_event set action = 'nothing.to.see' where id = ${third}`.execute(db)
    })
    const r = await verify()
    assert.equal(r.ok, false)
    assert.equal(r.firstBad[0]!.auditId, Number(third))
    assert.equal(r.firstBad[0]!.sealSeq, 3)
  })

  it('detects a deleted middle row', async () => {
    await fresh()
    await write(6)
    assert.equal(await sealUntil(6), 6)
    const fourth = (await ctx.t.db.selectFrom('audit_event').select('id').orderBy('id').offset(3).limit(1).executeTakeFirstOrThrow()).id
    await attack(async (db) => {
      await sql`delete from audit_event where id = ${fourth}`.execute(db)
    })
    const r = await verify()
    assert.equal(r.ok, false)
    assert.equal(r.firstBad[0]!.sealSeq, 4)
    assert.match(r.firstBad[0]!.problem, /deleted/)
    // and deleting the seal as well leaves a gap in the chain
    await attack(async (db) => {
      await sql`delete from audit_seal where audit_id = ${fourth}`.execute(db)
    })
    const r2 = await verify()
    assert.equal(r2.firstBad[0]!.sealSeq, 4)
  })

  it('detects a truncated tail (the external checkpoint remembers the end)', async () => {
    await fresh()
    await write(6)
    assert.equal(await sealUntil(6), 6)
    await attack(async (db) => {
      await sql`delete from audit_seal where seal_seq > 4`.execute(db)
      await sql`delete from audit_event where id in (select id from audit_event order by id desc limit 2)`.execute(db)
    })
    const r = await verify()
    assert.equal(r.ok, false)
    assert.equal(r.firstBad[0]!.sealSeq, 5)
    assert.match(r.firstBad[0]!.problem, /truncated/)
  })

  it('detects a fully recomputed chain (the keyed checkpoint does not match)', async () => {
    await fresh()
    await write(6)
    assert.equal(await sealUntil(6), 6)
    await rewriteSecondRowAndRecomputeChain()
    const r = await verify()
    assert.equal(r.ok, false)
    assert.match(r.firstBad[0]!.problem, /recomputed/)
    // a forged checkpoint without the key is caught too
    fs.appendFileSync(checkpointPath, `${JSON.stringify({ partnership: P, seal_seq: 6, hash: 'x', at: '', hmac: 'forged' })}\n`)
    assert.ok((await verify()).checkpointProblems.some((p) => /bad HMAC/.test(p)))
  })

  it('flags rows left unsealed for more than 10 seconds; incremental runs start from the last verified checkpoint', async () => {
    await fresh()
    await write(3)
    assert.equal(await sealUntil(3), 3)
    assert.equal((await verify('incremental')).ok, true)
    await write(2)
    const r1 = await verify('incremental')
    assert.equal(r1.ok, true)
    clock.advance(11_000)
    const r2 = await verify('incremental')
    assert.equal(r2.ok, false)
    assert.equal(r2.unsealedOverLimit.length, 2)
    assert.equal(await sealUntil(2), 2)
    const r3 = await verify('incremental')
    assert.equal(r3.ok, true)
    assert.equal(r3.partnerships.find((p) => p.partnershipId === P)!.verifiedFrom, 3)
  })

  it('a chain recomputed after its checkpoint file was deleted is caught: settled seals with no checkpoint', async () => {
    await fresh()
    await write(4)
    assert.equal(await sealUntil(4), 4)
    await rewriteSecondRowAndRecomputeChain()
    fs.rmSync(checkpointPath)
    // at once: the sealer may not have written the round's checkpoint yet
    assert.ok(!(await verify()).checkpointProblems.some((p) => p.includes(P)))
    clock.advance(11_000)
    const r = await verify()
    assert.equal(r.ok, false)
    assert.ok(r.checkpointProblems.some((p) => p.includes(P) && /seals up to 4 with no checkpoint .*none at all.*missing or was cut/.test(p)), JSON.stringify(r.checkpointProblems))
  })

  it('an incremental run remembers what it verified: a tail cut with its checkpoints, after it was verified, is caught', async () => {
    await fresh()
    await write(4)
    assert.equal(await sealUntil(4), 4)
    await write(2)
    assert.equal(await sealUntil(2), 2)
    clock.advance(11_000)
    const before = await verify('incremental')
    assert.equal(before.ok, true, JSON.stringify(before))
    await attack(async (db) => {
      await sql`delete from audit_seal where seal_seq > 4 and partnership_id = ${P}`.execute(db)
      await sql`delete from audit_event where id in (select id from audit_event order by id desc limit 2)`.execute(db)
    })
    const lines = fs.readFileSync(checkpointPath, 'utf8').trim().split('\n')
    fs.writeFileSync(checkpointPath, `${lines.filter((l) => (JSON.parse(l) as { seal_seq: number }).seal_seq <= 4).join('\n')}\n`)
    const r = await verify('incremental')
    assert.equal(r.ok, false)
    assert.match(r.firstBad[0]!.problem, /seal 6, verified by an earlier run, is missing/)
    // and the record of what was verified is kept, so the next run says so again
    assert.equal((await verify('incremental')).ok, false)
  })

  it('a record of verified positions rewritten to the end of a recomputed chain is not trusted: the run verifies from the start and finds the change', async () => {
    await fresh()
    await write(4)
    assert.equal(await sealUntil(4), 4)
    clock.advance(11_000)
    assert.equal((await verify('incremental')).ok, true)
    await rewriteSecondRowAndRecomputeChain()
    const last = await ctx.t.db.selectFrom('audit_seal').select(['seal_seq', 'hash']).where('partnership_id', '=', P).orderBy('seal_seq', 'desc').limit(1).executeTakeFirstOrThrow()
    fs.writeFileSync(`${checkpointPath}.verified`, JSON.stringify({ [P]: { seal_seq: Number(last.seal_seq), hash: last.hash } }))
    const r = await verify('incremental')
    assert.equal(r.ok, false)
    assert.ok(r.checkpointProblems.some((p) => /no keyed checkpoint vouches for/.test(p)), JSON.stringify(r.checkpointProblems))
    assert.equal(r.partnerships.find((p) => p.partnershipId === P)!.verifiedFrom, 0)
    assert.match(r.firstBad[0]!.problem, /recomputed/, 'the recomputed chain is found against the keyed checkpoint')
  })

  it('a seal forged under another partnership to take a row out of its own chain is found, naming the row', async () => {
    await fresh()
    await write(2)
    assert.equal(await sealUntil(2), 2)
    await write(1)
    const row = await ctx.t.db.selectFrom('audit_event').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    const other = '22222222-2222-4222-8222-222222222222'
    // with no key: a seal for the row, first of a made-up partnership's chain, dated ahead
    await sql`insert into audit_seal (partnership_id, seal_seq, audit_id, hash, sealed_at) values (${other}, 1, ${row.id}, ${chainHash(GENESIS, row)}, ${new Date('2999-01-01T00:00:00Z')})`.execute(ctx.t.db)
    assert.equal(await sealOnce(opts()), 0, 'the sealer passes the row by: it looks sealed')
    const r = await verify()
    assert.equal(r.ok, false)
    assert.ok(r.firstBad.some((b) => b.partnershipId === other && b.auditId === Number(row.id) && /belongs to partnership .* not this chain's/.test(b.problem)), JSON.stringify(r.firstBad))
  })

  it('an audit row inserted with a transaction id of its own choosing still gets the inserting transaction’s, and is sealed', async () => {
    await fresh()
    await sql`insert into audit_event (partnership_id, at, actor_kind, action, outcome, txid) values (${P}, ${clock.now()}, 'system', 'test.event', 'success', '9223372036854775000')`.execute(ctx.t.db)
    const row = await ctx.t.db.selectFrom('audit_event').select(['id', 'txid']).executeTakeFirstOrThrow()
    assert.notEqual(String(row.txid), '9223372036854775000')
    assert.equal(await sealUntil(1), 1)
  })
})
