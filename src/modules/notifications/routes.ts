// In-app notifications: what has arrived for me, and a link to each.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'

export async function notificationRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  r.get('/notifications', { permission: 'signed-in', audit: 'notification.list' }, async (request, reply) => {
    const items = await data.forActor(request.actor!).notifications.list()
    return reply.page('notifications/views/list.njk', { title: 'Notifications', items, backLink: '/' })
  })
  r.post('/notifications/:notificationId/open', { permission: 'signed-in', audit: 'none: marks my notification read', record: true }, async (request, reply) => {
    const link = await data.forActor(request.actor!).notifications.open((request.params as { notificationId: string }).notificationId)
    if (!link || !link.startsWith('/')) return reply.callNotFound()
    return reply.redirect(link, 303)
  })
}
