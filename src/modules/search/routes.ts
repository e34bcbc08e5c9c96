// Find a child by name and date of birth.
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { dateError, oneValue, sentTwice } from '../../web/forms.ts'
import { formHref, pickingFor, PICKER_FORMS } from './picker.ts'
import { searchesIdentityIndex } from './repository.ts'

export async function searchRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const run = async (q: Record<string, unknown>, actor: NonNullable<Parameters<typeof data.forActor>[0]>) => {
    // each once: `?name=Amy&name=Smith` is refused, never searched (and audited) as "Amy,Smith"
    const nameSent = oneValue(q.name)
    const dobSent = oneValue(q.dob)
    const name = (nameSent ?? '').slice(0, 100)
    const dob = (dobSent ?? '').trim()
    const errors: { text: string; href: string }[] = []
    if (nameSent === null) errors.push({ text: sentTwice('The name'), href: '#name' })
    if (dobSent === null) errors.push({ text: sentTwice('The date of birth'), href: '#dob' })
    const dobError = dob ? dateError(dob, 'Date of birth', { format: 'Enter the date of birth as YYYY-MM-DD' }) : null
    if (dobError) errors.push({ text: dobError, href: '#dob' })
    if (nameSent !== null && dobSent !== null && q.name !== undefined && !name.trim() && !dob) errors.push({ text: 'Enter a name or a date of birth', href: '#name' })
    const searched = q.name !== undefined || q.dob !== undefined
    const results = searched && !errors.length ? await data.forActor(actor).search.people({ name, dateOfBirth: dob || null }) : []
    return { name, dob, errors, results, searched }
  }
  r.get('/search', { permission: 'child:read', audit: 'child.search' }, async (request, reply) => {
    const out = await run(request.query as Record<string, unknown>, request.actor!)
    // searching for a form whose list of children was cut off (?for=referral): each result in reach links back to the
    // form with the child chosen, added to those the form had chosen already; a result from the identity index only
    // for a form that takes one (the front door's referral: picker.ts)
    const picking = pickingFor(request.query as { for?: unknown; child?: unknown }, request.actor!.role)
    const results = picking ? out.results.map((c) => ({ ...c, chooseHref: c.identityOnly && !PICKER_FORMS[picking.form].identityIndex ? null : formHref(picking.form, [...new Set([...picking.carried, c.id])]) })) : out.results
    const choosing = picking && { ...picking, ...PICKER_FORMS[picking.form], back: formHref(picking.form, picking.carried) }
    return reply
      .code(out.errors.length ? 400 : 200)
      // what the search covers is said before a search and after one that found nothing, not only beside results: "no
      // matches" in the partnership's identity index is not "no matches among my children"
      .page('search/views/search.njk', { title: 'Find a child', ...out, results, choosing, identityIndex: searchesIdentityIndex(request.actor!), ...(choosing ? { backLink: choosing.back } : {}), fieldErrors: Object.fromEntries(out.errors.map((e) => [e.href.slice(1), { text: e.text }])) })
  })
  r.get('/api/v1/search', { permission: 'child:read', audit: 'child.search' }, async (request, reply) => {
    const out = await run(request.query as Record<string, unknown>, request.actor!)
    if (out.errors.length) return reply.code(400).type('application/problem+json').send({ type: 'about:blank', title: 'There is a problem with the search', status: 400, detail: out.errors.map((e) => e.text).join('; '), 'invalid-params': out.errors.map((e) => ({ name: e.href.slice(1), reason: e.text })) })
    return { data: out.results }
  })
}
