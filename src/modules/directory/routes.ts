// Who does what: the searchable directory of agencies, teams and roles, and the levels of need.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { ROLES, ROLE_DUTIES, ROLE_LABELS } from '../../access/policy.ts'

export async function directoryRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  r.get('/directory', { permission: 'signed-in', audit: 'none: directory (no case data)' }, async (request, reply) => {
    const q = String((request.query as { q?: unknown }).q ?? '').slice(0, 100)
    const result = await data.directoryPages.search(request.actor!.partnershipId, q)
    const roles = ROLES.map((role) => ({ role, label: ROLE_LABELS[role], ...ROLE_DUTIES[role] }))
    return reply.page('directory/views/directory.njk', { title: 'Who does what', q, ...result, roles })
  })
}
