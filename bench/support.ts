// Shared pieces of the benchmarks: a server on a real port (PostgreSQL "county" or PGlite), signing in over HTTP,
// and running the load generator in its own process.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql, Kysely, PostgresDialect } from 'kysely'
import nunjucks from 'nunjucks'
import type { FastifyInstance } from 'fastify'
import type { BenchResult, LoadResult, LoadSpec } from './types.ts'
import { openDatabase, postgresPool, type Database, type DatabaseTarget } from '../src/data/db.ts'
import { dataAccess } from '../src/data/index.ts'
import { seedDemo, demoPractitioners, DEMO_PASSWORD } from '../src/data/seed.ts'
import { buildApp } from '../src/platform/http/app.ts'
import { loadConfig, type Config } from '../src/platform/config.ts'
import { systemClock } from '../src/platform/clock.ts'
import { totpAt } from '../src/platform/auth/totp.ts'
import { routes } from '../src/platform/http/route.ts'
import { stableUuid } from '../src/data/ids.ts'

export const root = path.resolve(import.meta.dirname, '..')
export const PG_BASE = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const COUNTY = Number(process.env.BENCH_CHILDREN ?? 100_000)

/** A database of this name on the benchmark server, created the first time; its URL. */
export async function ensureBenchDatabase(name: string): Promise<URL> {
  const admin = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: postgresPool({ connectionString: PG_BASE, max: 1 }) }) })
  try {
    const exists = await sql<{ n: number }>`select count(*)::int as n from pg_database where datname = ${name}`.execute(admin)
    if (!exists.rows[0]!.n) await sql`create database ${sql.id(name)}`.execute(admin)
  } finally {
    await admin.destroy()
  }
  const u = new URL(PG_BASE)
  u.pathname = `/${name}`
  return u
}

export async function benchDatabase(engine: 'postgres' | 'pglite', children: number): Promise<{ database: Database; dataset: string; target: DatabaseTarget; cleanup(): Promise<void> }> {
  if (engine === 'postgres') {
    const u = await ensureBenchDatabase(`ta_bench_${children}`)
    const owner = await openDatabase({ kind: 'postgres', url: u.toString() }, { restrictedRole: false, poolSize: 4 })
    const t0 = Date.now()
    const seeded = await seedDemo(owner.db, { children })
    if (seeded.created) console.error(`  seeded ${children} children on PostgreSQL in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    await owner.close()
    const database = await openDatabase({ kind: 'postgres', url: u.toString() })
    return { database, dataset: `county-${children}`, target: { kind: 'postgres', url: u.toString() }, cleanup: () => database.close() }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-bench-pglite-'))
  const database = await openDatabase({ kind: 'pglite', dir })
  await seedDemo(database.db, { children })
  return {
    database,
    dataset: `demo-${children}`,
    target: { kind: 'pglite', dir },
    cleanup: async () => {
      await database.close().catch(() => undefined)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The app on a real port, with the framework ceiling route added: one indexed SELECT and a trivial template. */
export async function startServer(database: Database): Promise<{ app: FastifyInstance; base: string; close(): Promise<void> }> {
  const config: Config = { ...loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' }), signInRateLimit: 100_000 }
  const data = dataAccess(database, systemClock)
  const app = await buildApp({ config, data, clock: systemClock })
  const tmpl = nunjucks.compile('<!doctype html><title>{{ name }}</title><p>{{ name }}</p>')
  routes(app).get('/bench/ceiling/:childId', { permission: 'signed-in', audit: 'none: bench ceiling', record: true }, async (request, reply) => {
    const row = await database.db.selectFrom('child').select(['id', 'given_name']).where('id', '=', (request.params as { childId: string }).childId).executeTakeFirst()
    return reply.type('text/html').send(tmpl.render({ name: row?.given_name ?? 'none' }))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  return { app, base: `http://127.0.0.1:${port}`, close: () => app.close() }
}

/** Signs in over HTTP as a demo practitioner; returns the cookie header and the page CSRF token. */
export async function signIn(base: string, key: string): Promise<{ cookie: string; csrf: string }> {
  const p = demoPractitioners().find((x) => x.key === key)!
  const jar = new Map<string, string>()
  let csrf = ''
  const req = async (method: string, url: string, form?: Record<string, string>) => {
    const res = await fetch(base + url, {
      method,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams({ _csrf: csrf, ...form }).toString() : undefined,
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair!.indexOf('=')
      if (/Max-Age=0/.test(c)) jar.delete(pair!.slice(0, i))
      else jar.set(pair!.slice(0, i), pair!.slice(i + 1))
    }
    const text = await res.text()
    const m = /name="_csrf" value="([^"]+)"/.exec(text)
    if (m) csrf = m[1]!
    return { status: res.status, text }
  }
  await req('GET', '/sign-in')
  await req('POST', '/sign-in', { email: p.email, password: DEMO_PASSWORD })
  await req('GET', '/sign-in/mfa')
  let done = await req('POST', '/sign-in/mfa', { code: await totpAt(p.totpSecret, new Date()) })
  if (done.status !== 303) {
    // this step's code was spent by an earlier sign-in: wait for the next 30-second step
    await new Promise((r) => setTimeout(r, 30_500 - (Date.now() % 30_000)))
    done = await req('POST', '/sign-in/mfa', { code: await totpAt(p.totpSecret, new Date()) })
  }
  if (done.status !== 303) throw new Error(`bench sign-in failed for ${key}: ${done.status}`)
  await req('GET', '/')
  return { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), csrf }
}

/**
 * Two loads taken in turns — a, b, a, b, … for `rounds` rounds, each measuring durationMs / rounds — and each side's
 * rounds merged (requests over measured seconds; percentiles over every latency). On a shared machine whose speed
 * drifts from one ten-second window to the next, a page and its ceiling measured in alternate windows see the same
 * machine, so their ratio moves far less than when each is measured once, one after the other.
 */
export async function loadInTurns(a: LoadSpec, b: LoadSpec, opts: { rounds?: number; durationMs?: number; cpuOf?: { serverPid: number } } = {}): Promise<[LoadResult, LoadResult]> {
  const rounds = opts.rounds ?? 4
  const each = Math.round((opts.durationMs ?? 12_000) / rounds)
  const runs: [LoadResult[], LoadResult[]] = [[], []]
  for (let i = 0; i < rounds; i++) {
    for (const [k, spec] of [a, b].entries()) runs[k]!.push(await load({ ...spec, durationMs: each, warmupMs: i === 0 ? 2000 : 500, latencies: true }, { cpuOf: opts.cpuOf }))
  }
  const merge = (rs: LoadResult[]): LoadResult => {
    const latencies = rs.flatMap((r) => r.latencies ?? []).sort((x, y) => x - y)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0
    const sum = (pick: (r: LoadResult) => Record<string, number>) => {
      const out: Record<string, number> = {}
      for (const r of rs) for (const [s, n] of Object.entries(pick(r))) out[s] = (out[s] ?? 0) + n
      return out
    }
    const requests = rs.reduce((t, r) => t + r.requests, 0)
    const seconds = rs.reduce((t, r) => t + (r.seconds ?? 0), 0)
    const cpu = rs.every((r) => r.cpu)
      ? { server: rs.reduce((t, r) => t + r.cpu!.server, 0), database: rs.every((r) => r.cpu!.database !== null) ? rs.reduce((t, r) => t + r.cpu!.database!, 0) : null }
      : undefined
    return { requests, rps: requests / seconds, p50: pct(50), p95: pct(95), p99: pct(99), errors: rs.reduce((t, r) => t + r.errors, 0), statuses: sum((r) => r.statuses), warmupStatuses: sum((r) => r.warmupStatuses), seconds, ...(cpu ? { cpu } : {}) }
  }
  return [merge(runs[0]), merge(runs[1])]
}

/** Milliseconds of CPU a request, from a load measured with `cpuOf`: the server's, and the database's (null when not local). */
export function cpuPerRequest(r: LoadResult): { server: number; database: number | null } | null {
  if (!r.cpu || !r.requests) return null
  return { server: (r.cpu.server * 1000) / r.requests, database: r.cpu.database === null ? null : (r.cpu.database * 1000) / r.requests }
}

/**
 * Runs the load generator in its own process. With `cpuOf`, the CPU the server's process and the local PostgreSQL's
 * processes use over the measured window is read from /proc (Linux) when the generator opens and closes that window.
 */
export function load(spec: LoadSpec, opts: { cpuOf?: { serverPid: number } } = {}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bench/load.ts'), JSON.stringify({ connections: 32, durationMs: 10_000, ...spec })], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let before: CpuSnapshot | null = null
    let cpu: LoadResult['cpu']
    child.stdout.on('data', (d) => {
      out += d
      if (!opts.cpuOf) return
      if (before === null && /^measuring$/m.test(out)) before = cpuSnapshot(opts.cpuOf.serverPid)
      if (before !== null && cpu === undefined && /^measured$/m.test(out)) cpu = cpuSince(before, cpuSnapshot(opts.cpuOf.serverPid))
    })
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load exited ${code}`))
      const result = JSON.parse(out.trim().split('\n').pop()!) as LoadResult
      resolve(cpu ? { ...result, cpu } : result)
    })
  })
}

interface CpuSnapshot {
  server: number
  /** Each PostgreSQL process's CPU seconds, by pid. */
  database: Map<string, number>
}

const TICKS = 100 // USER_HZ: /proc's clock ticks a second on Linux
const localDatabase = ['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(new URL(PG_BASE).hostname)

/** utime + stime of a process (all its threads), in seconds; null when it is gone or /proc cannot be read. */
function processCpu(pid: string): { comm: string; seconds: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = stat.lastIndexOf(')')
    const fields = stat.slice(close + 2).split(' ')
    return { comm: stat.slice(stat.indexOf('(') + 1, close), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS }
  } catch {
    return null
  }
}

function cpuSnapshot(serverPid: number): CpuSnapshot {
  const database = new Map<string, number>()
  if (localDatabase) {
    for (const pid of fs.existsSync('/proc') ? fs.readdirSync('/proc') : []) {
      if (!/^\d+$/.test(pid)) continue
      const p = processCpu(pid)
      if (p && p.comm.startsWith('postgres')) database.set(pid, p.seconds)
    }
  }
  return { server: processCpu(String(serverPid))?.seconds ?? 0, database }
}

function cpuSince(a: CpuSnapshot, b: CpuSnapshot): NonNullable<LoadResult['cpu']> {
  let database = 0
  // a backend that started during the window counts from zero; one that ended is lost (the pool keeps its connections)
  for (const [pid, s] of b.database) database += s - (a.database.get(pid) ?? 0)
  return { server: b.server - a.server, database: localDatabase ? database : null }
}

export const now = () => new Date().toISOString()

/** The Node flags `npm start` runs the server with (package.json), so the benchmark's server runs as production's does. */
export function serverNodeFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  return start.split(/\s+/).filter((w) => w.startsWith('--'))
}

/**
 * The same server as startServer, in a process of its own (bench/serve.ts), so that its memory is its own: the
 * peak resident set is read from the kernel (VmHWM) when the run ends. A PGlite directory must be closed by the
 * caller first (one process at a time).
 */
export async function startServerProcess(target: DatabaseTarget): Promise<{ base: string; peakRssMb(): number; close(): Promise<void> }> {
  const child = spawn(process.execPath, [...serverNodeFlags(), path.join(root, 'bench/serve.ts'), JSON.stringify(target)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /^listening (\d+)$/m.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.on('exit', (code) => reject(new Error(`bench server exited ${code} before listening`)))
  })
  const pid = child.pid!
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    base: `http://127.0.0.1:${port}`,
    peakRssMb() {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN)
      return Math.round(kb / 1024)
    },
    close: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

const BENCH_PARTNERSHIP = stableUuid('partnership:northshire')
const BROOKSIDE = stableUuid('northshire:agency:brookside')
/** The marker of the benchmark child's entries (an earlier marker, "Bench chronology entry", named a child the front door also wrote to). */
const BENCH_CHILD_MARK = 'Bench chronology strand '

/**
 * The Brookside pupils the front door posts concerns about: the first 500 by id. The child the page benchmarks
 * read (benchChild) is never one of them, so its chronology stays at exactly the entries given to it.
 */
export function frontDoorPupils(db: Database['db']): Promise<string[]> {
  return brooksidePupils(db, 'asc', 500)
}

/** Current Brookside pupils, by id: the first `limit` from one end. */
async function brooksidePupils(db: Database['db'], order: 'asc' | 'desc', limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('relationship')
    .select('child_id')
    .where('partnership_id', '=', BENCH_PARTNERSHIP)
    .where('type', '=', 'pupil_at')
    .where('holder_agency_id', '=', BROOKSIDE)
    .where('ends_at', 'is', null)
    .orderBy('child_id', order)
    .limit(limit)
    .execute()
  return rows.map((r) => r.child_id)
}

/**
 * The child the chronology and child page benchmarks read: the Brookside pupil with the highest id (never one of
 * the front door's), given `entries` entries from four agencies once — marked, so a rerun finds and reuses it.
 */
export async function benchChild(db: Database['db'], entries = 500): Promise<string> {
  const marked = await db.selectFrom('entry').select('child_id').where('partnership_id', '=', BENCH_PARTNERSHIP).where('summary', 'like', `${BENCH_CHILD_MARK}%`).limit(1).executeTakeFirst()
  if (marked) return marked.child_id
  const [childId] = await brooksidePupils(db, 'desc', 1)
  if (!childId) throw new Error('the benchmark dataset has no Brookside pupil')
  const agencies = ['brookside', 'csc', 'police', 'health'].map((k) => stableUuid(`northshire:agency:${k}`))
  const start = Date.parse('2024-01-01T09:00:00Z')
  const rows = Array.from({ length: entries }, (_, i) => ({
    id: randomUUID(),
    partnership_id: BENCH_PARTNERSHIP,
    child_id: childId,
    type: ['concern', 'police_incident', 'health_attendance', 'attendance_drop', 'dsl_action'][i % 5]!,
    category: ['neglect', 'domestic_abuse', 'missing', 'attendance', 'emotional_abuse'][i % 5]!,
    occurred_at: new Date(start + i * 36 * 3_600_000),
    recorded_at: new Date(start + i * 36 * 3_600_000 + 3_600_000),
    author_membership_id: null,
    author_team_id: null,
    source_agency_id: agencies[i % agencies.length]!,
    significance: (['low', 'medium', 'high', 'critical'] as const)[i % 4]!,
    summary: `${BENCH_CHILD_MARK}${i + 1}: a strand of the child's story from one agency.`,
    detail_type: null,
    detail_id: null,
    visibility: 'team' as const,
    addressed_to_membership_id: null,
    agency_record_id: null,
    supersedes_entry_id: null,
  }))
  await db.insertInto('entry').values(rows).execute()
  return childId
}

/** The server's and the database's CPU a request, each with the ceiling's as its baseline (none when not measured). */
export function cpuResults(prefix: string, page: LoadResult, ceiling: LoadResult, dataset: string, at: string): BenchResult[] {
  const p = cpuPerRequest(page)
  const c = cpuPerRequest(ceiling)
  if (!p || !c) return []
  const r3 = (n: number) => Math.round(n * 1000) / 1000
  return [
    { id: `${prefix}.server_cpu_ms`, value: r3(p.server), unit: 'ms/req', engine: 'postgres', dataset, baseline: r3(c.server), at },
    ...(p.database !== null && c.database !== null ? [{ id: `${prefix}.db_cpu_ms`, value: r3(p.database), unit: 'ms/req', engine: 'postgres', dataset, baseline: r3(c.database), at }] : []),
  ]
}
