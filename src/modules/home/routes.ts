// Home: "my children" — every child I can see through my current relationships, and why.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { MY_CHILDREN_LIMIT } from '../../data/repositories/children.ts'

export async function homeRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  r.get('/', { permission: 'signed-in', audit: 'child.list' }, async (request, reply) => {
    const actor = request.actor!
    // the page lists the first MY_CHILDREN_LIMIT; when there are more it says so (before, it gave the length of the cut-off
    // list as the number of children the practitioner has a reason to see)
    const { children, more } = await data.forActor(actor).children.mineFirst(MY_CHILDREN_LIMIT)
    return reply.page('home/views/home.njk', { title: 'My children', children, more, limit: MY_CHILDREN_LIMIT, passwordChanged: (request.query as { done?: unknown }).done === 'password' })
  })
}
