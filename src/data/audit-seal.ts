// The tamper-evident audit chain (domain-model.md, "Audit"). Audit rows are inserted in the request's transaction
// and never updated. A sealer, one instance at a time (a database lease), takes committed rows in commit order —
// only rows whose transaction is older than every transaction still running, so nothing can later commit
// "before" them — and chains each into the seal table: seal_seq and hash = SHA-256(previous hash ‖ canonical row).
// After each round it appends HMAC(AUDIT_HMAC_KEY, partnership ‖ seal_seq ‖ hash) to a checkpoint file outside
// the database. The verifier recomputes the chain, from the last verified checkpoint or whole, and names the
// first bad row.
import fs from 'node:fs'
import path from 'node:path'
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Clock } from '../platform/clock.ts'
import type { AuditEventTable, DB } from './schema.ts'

export const GENESIS = '0'.repeat(64)
export const UNSEALED_LIMIT_MS = 10_000
const NIL = '00000000-0000-0000-0000-000000000000'

type AuditRow = Selectable<AuditEventTable>

/** Stable serialisation of every column of an audit row (sorted keys; instants as ISO strings). */
export function canonical(row: AuditRow): string {
  const plain: Record<string, unknown> = {
    action: row.action,
    actor_kind: row.actor_kind,
    actor_membership_id: row.actor_membership_id,
    actor_practitioner_id: row.actor_practitioner_id,
    at: new Date(row.at).toISOString(),
    child_ids: [...row.child_ids],
    details: row.details,
    entity_id: row.entity_id,
    entity_type: row.entity_type,
    id: Number(row.id),
    outcome: row.outcome,
    partnership_id: row.partnership_id,
    relationship_id: row.relationship_id,
    request_id: row.request_id,
  }
  return stableJson(plain)
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null)
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`
}

export function chainHash(previous: string, row: AuditRow): string {
  return createHash('sha256').update(previous).update('\n').update(canonical(row)).digest('hex')
}

export function checkpointHmac(key: string, partnershipId: string, sealSeq: number, hash: string): string {
  return createHmac('sha256', key).update(`${partnershipId}|${sealSeq}|${hash}`).digest('hex')
}

export interface Checkpoint {
  partnership: string
  seal_seq: number
  hash: string
  at: string
  hmac: string
}

export interface SealerOptions {
  db: Kysely<DB>
  clock: Clock
  hmacKey: string
  checkpointPath: string
  /** at most this many rows a round */
  batch?: number
}

/** This process's name on the sealer lease. */
const PROCESS_HOLDER = `sealer:${process.pid}:${randomBytes(4).toString('hex')}`

/** One sealing round for every partnership with unsealed rows. Returns how many rows were sealed. */
export async function sealOnce(opts: SealerOptions, holder = PROCESS_HOLDER): Promise<number> {
  const { db, clock } = opts
  const now = clock.now()
  const lease = await sql<{ holder: string }>`
    insert into lease (partnership_id, name, holder, expires_at) values (${NIL}, 'audit-sealer', ${holder}, ${new Date(now.getTime() + 10_000)})
    on conflict (partnership_id, name) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where lease.expires_at < ${now} or lease.holder = excluded.holder
    returning holder`.execute(db)
  if (lease.rows.length !== 1) return 0
  const checkpoints: Checkpoint[] = []
  let sealed = 0
  await db.transaction().execute(async (trx) => {
    // rows whose transaction finished before every transaction still running: their commit order is settled
    const rows = await trx
      .selectFrom('audit_event as a')
      .selectAll('a')
      .where(sql<boolean>`a.txid < pg_snapshot_xmin(pg_current_snapshot())`)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('audit_seal as s').select('s.audit_id').whereRef('s.audit_id', '=', 'a.id'))))
      .orderBy('a.id')
      .limit(opts.batch ?? 5000)
      .execute()
    if (!rows.length) return
    const byPartnership = new Map<string, AuditRow[]>()
    for (const r of rows) byPartnership.set(r.partnership_id, [...(byPartnership.get(r.partnership_id) ?? []), r])
    for (const [partnershipId, list] of byPartnership) {
      const last = await trx.selectFrom('audit_seal').select(['seal_seq', 'hash']).where('partnership_id', '=', partnershipId).orderBy('seal_seq', 'desc').limit(1).executeTakeFirst()
      let seq = Number(last?.seal_seq ?? 0)
      let hash = last?.hash ?? GENESIS
      const values = list.map((row) => {
        seq += 1
        hash = chainHash(hash, row)
        return { partnership_id: partnershipId, seal_seq: seq, audit_id: Number(row.id), hash, sealed_at: now }
      })
      for (let i = 0; i < values.length; i += 1000) await trx.insertInto('audit_seal').values(values.slice(i, i + 1000)).execute()
      sealed += values.length
      checkpoints.push({ partnership: partnershipId, seal_seq: seq, hash, at: now.toISOString(), hmac: checkpointHmac(opts.hmacKey, partnershipId, seq, hash) })
    }
  })
  if (checkpoints.length) {
    fs.mkdirSync(path.dirname(opts.checkpointPath), { recursive: true })
    fs.appendFileSync(opts.checkpointPath, checkpoints.map((c) => `${JSON.stringify(c)}\n`).join(''), { flag: 'a' })
  }
  return sealed
}

export function startSealer(opts: SealerOptions & { intervalMs: number; log?: (msg: string, err?: unknown) => void }): { stop(): Promise<void> } {
  const holder = PROCESS_HOLDER
  let running: Promise<unknown> | null = null
  const timer = setInterval(() => {
    if (running) return
    running = sealOnce(opts, holder)
      .catch((err) => opts.log?.('audit sealer failed', err))
      .finally(() => {
        running = null
      })
  }, opts.intervalMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}

export interface VerifyFinding {
  partnershipId: string
  sealSeq: number | null
  auditId: number | null
  problem: string
}

export interface VerifyReport {
  ok: boolean
  mode: 'full' | 'incremental'
  partnerships: { partnershipId: string; sealedThrough: number; verifiedFrom: number }[]
  firstBad: VerifyFinding[]
  unsealedOverLimit: { partnershipId: string; auditId: number; at: string }[]
  checkpointProblems: string[]
}

export function readCheckpoints(file: string): { checkpoints: Checkpoint[]; problems: string[] } {
  if (!fs.existsSync(file)) return { checkpoints: [], problems: [] }
  const problems: string[] = []
  const checkpoints: Checkpoint[] = []
  for (const [i, line] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue
    try {
      checkpoints.push(JSON.parse(line) as Checkpoint)
    } catch {
      problems.push(`checkpoint line ${i + 1} is not readable`)
    }
  }
  return { checkpoints, problems }
}

/**
 * Verifies the chain. Full: from seal 1. Incremental: from the last checkpoint recorded as verified (kept beside
 * the checkpoint file) whose HMAC and hash still match. Names, per partnership, the first bad row.
 */
export async function verifyAudit(
  db: Kysely<DB>,
  opts: {
    checkpointPath: string
    hmacKey: string
    mode: 'full' | 'incremental'
    now: Date
    /** Only this partnership's chain (and its unsealed rows). */
    partnershipId?: string
    /**
     * Full mode from a date: start at the last seal made before it (its stored hash), so every row sealed since —
     * all rows written since — is recomputed and checked against the keyed checkpoints, without re-reading years.
     */
    fromSealedAt?: Date
  },
): Promise<VerifyReport> {
  const { checkpoints, problems } = readCheckpoints(opts.checkpointPath)
  const checkpointProblems = [...problems]
  const latest = new Map<string, Checkpoint>()
  const valid: Checkpoint[] = []
  for (const c of checkpoints) {
    const expected = checkpointHmac(opts.hmacKey, c.partnership, c.seal_seq, c.hash)
    if (!safeEqual(expected, c.hmac)) {
      checkpointProblems.push(`checkpoint for partnership ${c.partnership} at seal ${c.seal_seq} has a bad HMAC: the checkpoint file was altered`)
      continue
    }
    valid.push(c)
    const prev = latest.get(c.partnership)
    if (!prev || c.seal_seq > prev.seal_seq) latest.set(c.partnership, c)
  }
  const verifiedPath = `${opts.checkpointPath}.verified`
  const verified: Record<string, { seal_seq: number; hash: string }> = opts.mode === 'incremental' && fs.existsSync(verifiedPath) ? (JSON.parse(fs.readFileSync(verifiedPath, 'utf8')) as Record<string, { seal_seq: number; hash: string }>) : {}

  const partnerships = new Set<string>(opts.partnershipId ? [opts.partnershipId] : [...latest.keys(), ...(await db.selectFrom('audit_seal').select('partnership_id').distinct().execute()).map((r) => r.partnership_id)])
  const report: VerifyReport = { ok: true, mode: opts.mode, partnerships: [], firstBad: [], unsealedOverLimit: [], checkpointProblems }
  const nextVerified: Record<string, { seal_seq: number; hash: string }> = { ...verified }

  for (const partnershipId of partnerships) {
    let from = 0
    let hash = GENESIS
    const start = verified[partnershipId]
    if (start) {
      const still = await db.selectFrom('audit_seal').select('hash').where('partnership_id', '=', partnershipId).where('seal_seq', '=', start.seal_seq).executeTakeFirst()
      if (still?.hash !== start.hash) {
        // the seal an earlier run verified is gone or different: the chain was changed after it was verified (a
        // truncated tail with its checkpoints cut too would otherwise verify from the start as a shorter chain)
        report.ok = false
        report.firstBad.push({ partnershipId, sealSeq: start.seal_seq, auditId: null, problem: `seal ${start.seal_seq}, verified by an earlier run, is ${still ? 'changed' : 'missing'}: the chain was altered after it was verified` })
        report.partnerships.push({ partnershipId, sealedThrough: 0, verifiedFrom: 0 })
        continue
      }
      // where an earlier run stopped, trusted only as far as a keyed checkpoint vouches for it: the record is a file
      // without a key, and one rewritten to name the end of a recomputed chain would otherwise have this run check
      // nothing (a run only ever records a checkpoint's own position and hash)
      const vouched = valid.some((c) => c.partnership === partnershipId && c.seal_seq === start.seal_seq && c.hash === start.hash)
      if (vouched) {
        from = start.seal_seq
        hash = start.hash
      } else {
        checkpointProblems.push(`the record of verified positions names seal ${start.seal_seq} of partnership ${partnershipId}, which no keyed checkpoint vouches for: it was altered, so the chain was verified from its start`)
      }
      const cpNow = latest.get(partnershipId)
      if (!cpNow || cpNow.seal_seq < start.seal_seq) checkpointProblems.push(`the checkpoints of partnership ${partnershipId} end ${cpNow ? `at seal ${cpNow.seal_seq}` : 'before any seal'}, but seal ${start.seal_seq} was verified against one before: checkpoints were removed`)
    }
    // every sealing round appends a checkpoint at its last seal: seals settled for longer than the unsealed limit with
    // no checkpoint at or after them mean the checkpoint file is missing, or its tail was cut (a chain recomputed after
    // that point would otherwise pass)
    const settled = await db.selectFrom('audit_seal').select('seal_seq').where('partnership_id', '=', partnershipId).where('sealed_at', '<', new Date(opts.now.getTime() - UNSEALED_LIMIT_MS)).orderBy('seal_seq', 'desc').limit(1).executeTakeFirst()
    const lastCheckpoint = latest.get(partnershipId)
    if (settled && (!lastCheckpoint || lastCheckpoint.seal_seq < Number(settled.seal_seq))) {
      checkpointProblems.push(`partnership ${partnershipId} has seals up to ${settled.seal_seq} with no checkpoint at or after them (${lastCheckpoint ? `the last is at seal ${lastCheckpoint.seal_seq}` : 'none at all'}): the checkpoint file is missing or was cut`)
    }
    if (opts.mode === 'full' && opts.fromSealedAt) {
      const prior = await db
        .selectFrom('audit_seal')
        .select(['seal_seq', 'hash'])
        .where('partnership_id', '=', partnershipId)
        .where('sealed_at', '<', opts.fromSealedAt)
        .orderBy('sealed_at', 'desc')
        .orderBy('seal_seq', 'desc')
        .limit(1)
        .executeTakeFirst()
      if (prior) {
        from = Number(prior.seal_seq)
        hash = prior.hash
      }
    }
    const byCheckpoint = new Map(valid.filter((c) => c.partnership === partnershipId).map((c) => [c.seal_seq, c]))
    let expectedSeq = from + 1
    let bad: VerifyFinding | null = null
    let lastSeq = from
    const pageSize = 5000
    for (;;) {
      const seals = await db
        .selectFrom('audit_seal as s')
        .leftJoin('audit_event as a', 'a.id', 's.audit_id')
        .select(['s.seal_seq', 's.audit_id', 's.hash as seal_hash'])
        .selectAll('a')
        .where('s.partnership_id', '=', partnershipId)
        .where('s.seal_seq', '>=', expectedSeq)
        .orderBy('s.seal_seq')
        .limit(pageSize)
        .execute()
      for (const s of seals) {
        const seq = Number(s.seal_seq)
        if (seq !== expectedSeq) {
          bad = { partnershipId, sealSeq: expectedSeq, auditId: null, problem: `seal ${expectedSeq} is missing (the chain jumps to ${seq}): a sealed row was deleted` }
          break
        }
        if (s.id === null || s.id === undefined) {
          bad = { partnershipId, sealSeq: seq, auditId: Number(s.audit_id), problem: `audit row ${s.audit_id} (seal ${seq}) has been deleted` }
          break
        }
        // a seal names a row of its own partnership: a row taken into another chain (a seal inserted for it under a
        // made-up partnership, so the sealer passes it by) is out of its own chain
        if (s.partnership_id !== partnershipId) {
          bad = { partnershipId, sealSeq: seq, auditId: Number(s.audit_id), problem: `audit row ${s.audit_id} (seal ${seq}) belongs to partnership ${s.partnership_id}, not this chain's: a seal was forged to take it out of its own chain` }
          break
        }
        const recomputed = chainHash(hash, s as unknown as AuditRow)
        if (recomputed !== s.seal_hash) {
          bad = { partnershipId, sealSeq: seq, auditId: Number(s.audit_id), problem: `audit row ${s.audit_id} (seal ${seq}) does not match its seal: the row or the chain was changed` }
          break
        }
        const cp = byCheckpoint.get(seq)
        if (cp && cp.hash !== recomputed) {
          bad = { partnershipId, sealSeq: seq, auditId: Number(s.audit_id), problem: `seal ${seq} does not match the keyed checkpoint: the chain was recomputed` }
          break
        }
        hash = recomputed
        lastSeq = seq
        expectedSeq = seq + 1
      }
      if (bad || seals.length < pageSize) break
    }
    const cp = latest.get(partnershipId)
    if (!bad && cp && cp.seal_seq > lastSeq) {
      bad = { partnershipId, sealSeq: lastSeq + 1, auditId: null, problem: `the checkpoint records seal ${cp.seal_seq} but the chain ends at ${lastSeq}: the tail was truncated` }
    }
    if (bad) {
      report.ok = false
      report.firstBad.push(bad)
    } else if (lastSeq > 0) {
      // remember the latest checkpointed position we verified, for the next incremental run
      const covered = [...byCheckpoint.keys()].filter((k) => k <= lastSeq).sort((a, b) => b - a)[0]
      if (covered) nextVerified[partnershipId] = { seal_seq: covered, hash: byCheckpoint.get(covered)!.hash }
    }
    report.partnerships.push({ partnershipId, sealedThrough: lastSeq, verifiedFrom: from })
  }
  const stale = await db
    .selectFrom('audit_event as a')
    .select(['a.id', 'a.partnership_id', 'a.at'])
    .where('a.at', '<', new Date(opts.now.getTime() - UNSEALED_LIMIT_MS))
    .$if(Boolean(opts.partnershipId), (q) => q.where('a.partnership_id', '=', opts.partnershipId!))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('audit_seal as s').select('s.audit_id').whereRef('s.audit_id', '=', 'a.id'))))
    .orderBy('a.id')
    .limit(100)
    .execute()
  report.unsealedOverLimit = stale.map((s) => ({ partnershipId: s.partnership_id, auditId: Number(s.id), at: new Date(s.at).toISOString() }))
  if (stale.length || checkpointProblems.length) report.ok = false
  if (report.firstBad.length === 0 && opts.mode === 'incremental') {
    fs.mkdirSync(path.dirname(verifiedPath), { recursive: true })
    fs.writeFileSync(verifiedPath, JSON.stringify(nextVerified))
  }
  return report
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(String(b))
  return x.length === y.length && timingSafeEqual(x, y)
}
