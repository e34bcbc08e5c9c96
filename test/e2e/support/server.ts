// The app in-process on a free port (PGlite, the demo partnership, a fake clock), for a real browser.
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { demoPractitioners, DEMO_PASSWORD, type DemoPractitioner } from '../../../src/data/seed.ts'
import { totpAt } from '../../../src/platform/auth/totp.ts'

export { DEMO_PASSWORD }

export interface E2eServer {
  s: TestApp
  /** http://localhost:<port> — Chromium treats localhost as a secure context, so `__Host-` Secure cookies work on http. */
  baseUrl: string
  practitioner(key: string): DemoPractitioner
  /**
   * The code an authenticator app would show now for this secret, after moving the fake clock on 31 s so that
   * no TOTP step is spent twice across sign-ins.
   */
  nextTotp(secret: string): Promise<string>
  /** Clears a practitioner's TOTP enrolment, as an administrator's reset would: the next sign-in enrols afresh. */
  resetTotp(key: string): Promise<void>
  /** A child allocated to a social worker in Assessment and Intervention Team North whose team around the child includes Brookside's DSL. */
  allocatedChildInTeamNorthWithBrooksideDsl(): Promise<{ id: string; name: string }>
  close(): Promise<void>
}

export async function startE2eServer(opts: { children?: number; logLevel?: string } = {}): Promise<E2eServer> {
  const s = await startTestApp('pglite', { children: opts.children ?? 200, ...(opts.logLevel ? { config: { logLevel: opts.logLevel } } : {}) })
  await s.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = s.app.server.address() as AddressInfo
  const people = demoPractitioners()
  const practitioner = (key: string) => {
    const p = people.find((x) => x.key === key)
    if (!p) throw new Error(`no demo practitioner ${key}`)
    return p
  }
  return {
    s,
    baseUrl: `http://localhost:${port}`,
    practitioner,
    async nextTotp(secret) {
      s.clock.advance(31_000)
      return totpAt(secret, s.clock.now())
    },
    async resetTotp(key) {
      const email = practitioner(key).email
      await s.t.privileged((db) => db.updateTable('practitioner').set({ totp_secret: null, totp_enrolled_at: null }).where('email', '=', email).execute())
    },
    async allocatedChildInTeamNorthWithBrooksideDsl() {
      const emails = ['sw.north', 'sw2.north'].map((k) => practitioner(k).email)
      const dsl = practitioner('dsl.brookside').email
      const row = await s.t.privileged(async (db) => {
        const r = await sql<{ id: string; given_name: string; family_name: string }>`
          select c.id, c.given_name, c.family_name
          from child c
          join relationship a on a.child_id = c.id and a.type = 'allocated_worker' and a.ends_at is null
          join membership am on am.id = a.holder_membership_id
          join practitioner ap on ap.id = am.practitioner_id
          where ap.email in (${sql.join(emails)})
            and exists (
              select 1 from relationship t
              join membership tm on tm.id = t.holder_membership_id
              join practitioner tp on tp.id = tm.practitioner_id
              where t.child_id = c.id and t.type = 'team_member' and t.ends_at is null and tp.email = ${dsl})
          order by c.family_name, c.given_name, c.id
          limit 1`.execute(db)
        return r.rows[0]
      })
      if (!row) throw new Error('the demo data has no child allocated in team North with Brookside’s DSL in the team around the child')
      return { id: row.id, name: `${row.given_name} ${row.family_name}` }
    },
    close: () => s.close(),
  }
}
