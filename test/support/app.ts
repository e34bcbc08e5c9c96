// A TeamAround app on a fresh test database with the demo partnership, a fake clock, and signed-in agents.
import { after, before, describe } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { FakeClock } from '../../src/platform/clock.ts'
import { loadConfig, type Config } from '../../src/platform/config.ts'
import { dataAccess, type DataAccess } from '../../src/data/index.ts'
import { seedDemo, demoPractitioners, DEMO_PASSWORD } from '../../src/data/seed.ts'
import { buildApp } from '../../src/platform/http/app.ts'
import { totpAt } from '../../src/platform/auth/totp.ts'
import type { Engine } from '../../src/data/db.ts'
import { openTestDatabase, testEngines, type TestDb } from './db.ts'
import { Agent } from './agent.ts'
import { SoftPasskey } from './webauthn.ts'

export interface TestApp {
  app: FastifyInstance
  data: DataAccess
  clock: FakeClock
  t: TestDb
  config: Config
  /** A new agent signed in as the demo practitioner with this key (e.g. 'dsl.brookside'). */
  signIn(key: string): Promise<Agent>
  /** Software passkeys registered by signIn for roles that require one (information governance, administrators). */
  passkeys: Map<string, SoftPasskey>
  /** The origin a browser would report for this app (fastify.inject's host). */
  origin: string
  agent(): Agent
  close(): Promise<void>
}

export async function startTestApp(engine: Engine, opts: { children?: number; start?: string; config?: Partial<Config> } = {}): Promise<TestApp> {
  const t = await openTestDatabase(engine)
  await seedDemo(t.db, { children: opts.children ?? 200 })
  const clock = new FakeClock(opts.start ?? '2026-11-23T10:00:00Z')
  // tests sign in many times a minute: the rate limit has its own test with the default
  const config = { ...loadConfig(), database: { kind: 'pglite', dir: 'unused' }, signInRateLimit: 10_000, ...opts.config } as Config
  const data = dataAccess(t.database, clock)
  const app = await buildApp({ config, data, clock })
  await app.ready()
  const people = demoPractitioners()
  const passkeys = new Map<string, SoftPasskey>()
  const origin = config.publicOrigin ? new URL(config.publicOrigin).origin : 'http://localhost:80'
  return {
    app,
    data,
    clock,
    t,
    config,
    agent: () => new Agent(app),
    passkeys,
    origin,
    async signIn(key: string) {
      const p = people.find((x) => x.key === key)
      if (!p) throw new Error(`no demo practitioner ${key}`)
      const a = new Agent(app)
      await a.get('/sign-in')
      const r1 = await a.post('/sign-in', { email: p.email, password: DEMO_PASSWORD })
      if (r1.statusCode !== 303) throw new Error(`sign-in failed for ${key}: ${r1.statusCode}`)
      await a.get('/sign-in/mfa')
      // each sign-in spends a TOTP step: move the clock on so codes are never reused across agents
      clock.advance(31_000)
      const passkey = passkeys.get(key)
      if (passkey) {
        // roles that require a passkey (and anyone who has one) sign in with it
        const o = await a.postJson('/sign-in/passkey/options', {})
        if (o.statusCode !== 200) throw new Error(`passkey options failed for ${key}: ${o.statusCode}`)
        const r2 = await a.post('/sign-in/passkey', { response: passkey.authenticate(JSON.parse(o.body), origin) })
        if (r2.statusCode !== 303) throw new Error(`passkey sign-in failed for ${key}: ${r2.statusCode} ${r2.body.slice(0, 200)}`)
      } else {
        const r2 = await a.post('/sign-in/mfa', { code: await totpAt(p.totpSecret, clock.now()) })
        if (r2.statusCode !== 303) throw new Error(`MFA failed for ${key}: ${r2.statusCode} ${r2.body.slice(0, 200)}`)
        if (r2.headers.location === '/sign-in/passkey/enrol') {
          // first sign-in of a role that requires a passkey: add one, as the browser would
          await a.get('/sign-in/passkey/enrol')
          const created = new SoftPasskey()
          const o = await a.postJson('/sign-in/passkey/enrol/options', {})
          if (o.statusCode !== 200) throw new Error(`passkey registration options failed for ${key}: ${o.statusCode}`)
          const r3 = await a.post('/sign-in/passkey/enrol', { name: 'Test passkey', response: created.register(JSON.parse(o.body), origin) })
          if (r3.statusCode !== 303) throw new Error(`passkey enrolment failed for ${key}: ${r3.statusCode} ${r3.body.slice(0, 300)}`)
          passkeys.set(key, created)
        }
      }
      await a.get('/')
      return a
    },
    async close() {
      await app.close()
      await t.close()
    },
  }
}

/** Runs the suite once per engine against a fresh app. */
export function describeApp(name: string, body: (ctx: { s: TestApp }) => void, opts: { children?: number } = {}): void {
  for (const engine of testEngines()) {
    describe(`${name} [${engine}]`, () => {
      const ctx = {} as { s: TestApp }
      before(async () => {
        ctx.s = await startTestApp(engine, opts)
      })
      after(async () => {
        await ctx.s?.close()
      })
      body(ctx)
    })
  }
}
