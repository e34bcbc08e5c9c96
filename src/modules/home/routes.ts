// Home: "my children" — every child I can see through my current relationships, and why.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'

export async function homeRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  r.get('/', { permission: 'signed-in', audit: 'child.list' }, async (request, reply) => {
    const actor = request.actor!
    const children = await data.forActor(actor).children.mine()
    return reply.page('home/views/home.njk', { title: 'My children', children })
  })
}
