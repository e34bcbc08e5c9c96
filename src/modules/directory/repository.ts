// The directory: agencies, teams and roles with what each does, its duties and limits, how to contact it, and
// the threshold document (levels of need) — so everyone can see where each role fits. Not case data.
import { sql } from 'kysely'
import { ROLE_LABELS, ROLE_DUTIES, isRole } from '../../access/policy.ts'
import type { Ctx } from '../../data/unit-of-work.ts'
import { currentMembershipsQuery } from '../../data/memberships.ts'

export function directoryPages(ctx: Ctx) {
  return {
    async search(partnershipId: string, q: string) {
      const term = q.trim().slice(0, 100)
      let agencies = ctx.db
        .selectFrom('agency as a')
        .select(['a.id', 'a.name', 'a.kind', 'a.description', 'a.phone', 'a.email', 'a.school_start_of_day'])
        .where('a.partnership_id', '=', partnershipId)
        .orderBy('a.kind')
        .orderBy('a.name')
      if (term) {
        const lower = term.toLowerCase()
        const matchingRoles = Object.keys(ROLE_LABELS).filter((r) => isRole(r) && (ROLE_LABELS[r].toLowerCase().includes(lower) || ROLE_DUTIES[r].does.toLowerCase().includes(lower)))
        const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        agencies = agencies.where((eb) =>
          eb.or([
            eb('a.name', 'ilike', like),
            eb('a.description', 'ilike', like),
            eb.exists(eb.selectFrom('team as t').select('t.id').whereRef('t.agency_id', '=', 'a.id').where((e2) => e2.or([e2('t.name', 'ilike', like), e2('t.description', 'ilike', like)]))),
            ...(matchingRoles.length ? [eb.exists(eb.selectFrom('membership as m').select('m.id').whereRef('m.agency_id', '=', 'a.id').where('m.role', 'in', matchingRoles))] : []),
          ]),
        )
      }
      const [rows, teams, roles, levels] = await Promise.all([
        agencies.execute(),
        ctx.db.selectFrom('team').select(['id', 'agency_id', 'name', 'description', 'phone', 'email', 'is_front_door', 'is_out_of_hours']).where('partnership_id', '=', partnershipId).orderBy('name').execute(),
        // the people in post in each role (started, not ended, the account not disabled)
        currentMembershipsQuery(ctx.db, partnershipId, ctx.clock.now())
          .select(['m.agency_id', 'm.role', sql<number>`count(*)::int`.as('n')])
          .groupBy(['m.agency_id', 'm.role'])
          .execute(),
        ctx.db.selectFrom('need_level').selectAll().where('partnership_id', '=', partnershipId).orderBy('level').execute(),
      ])
      return {
        agencies: rows.map((a) => ({
          ...a,
          teams: teams.filter((t) => t.agency_id === a.id),
          roles: roles.filter((r) => r.agency_id === a.id && isRole(r.role)).map((r) => ({ role: r.role, label: ROLE_LABELS[r.role as keyof typeof ROLE_LABELS], ...ROLE_DUTIES[r.role as keyof typeof ROLE_DUTIES] })),
        })),
        levels,
      }
    },
  }
}
