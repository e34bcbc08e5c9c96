// Risk signals routed to me: what fired, the entries that caused it, and my recorded response.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { oneValue, sentTwice } from '../../web/forms.ts'
import { signalRuleRoutes } from './rule-routes.ts'

export async function signalRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { data } = deps
  // the partnership administrator's screen for the rules themselves
  await signalRuleRoutes(app, deps)
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).signals
  r.get('/signals', { permission: 'child:read', audit: 'signal.list' }, async (request, reply) => {
    const rows = await repo(request).mine()
    return reply.page('signals/views/list.njk', { title: 'Risk signals', rows, backLink: '/' })
  })
  const show = async (request: FastifyRequest, reply: FastifyReply, id: string, values: Record<string, unknown>, error?: string) => {
    const found = await repo(request).get(id)
    if (!found) return reply.callNotFound()
    return reply.code(error ? 400 : 200).page('signals/views/show.njk', { title: 'Risk signal', ...found, values, errors: error ? [{ text: error, href: '#response' }] : [], fieldErrors: error ? { response: { text: error } } : {}, backLink: '/signals' })
  }
  r.get('/signals/:signalId', { permission: 'child:read', audit: 'signal.view', record: true }, async (request, reply) => show(request, reply, (request.params as { signalId: string }).signalId, {}))
  r.post('/signals/:signalId/acknowledge', { permission: 'child:read', audit: 'signal.acknowledge', record: true }, async (request, reply) => {
    const id = (request.params as { signalId: string }).signalId
    const sent = oneValue((request.body as { response?: unknown })?.response)
    if (sent === null) return show(request, reply, id, { response: '' }, sentTwice('The response'))
    const response = sent.trim()
    if (!response) return show(request, reply, id, { response }, 'Record your response: what you have done or decided, and why')
    if (response.length > 10_000) return show(request, reply, id, { response }, 'Your response must be 10,000 characters or fewer')
    try {
      const done = await repo(request).acknowledge(id, response)
      if (!done) return reply.callNotFound()
    } catch (err) {
      if (err instanceof RefusedError) return show(request, reply, id, { response }, err.message)
      throw err
    }
    return reply.redirect(`/signals/${id}`, 303)
  })
}
