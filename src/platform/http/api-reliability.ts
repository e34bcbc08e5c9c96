// The API's two reliability rules, applied by the route's declaration (security requirements 21 and 22):
// - a create ('create') carries an Idempotency-Key header (or, for the older concern and referral bodies, an
//   idempotencyKey field): the key is claimed before the handler runs, the response is kept and replayed for the
//   same key and body (with Idempotent-Replayed: true), a different body is 422, a request still running is 409; a
//   body refused as invalid (400) does not keep the key, so the corrected body can use it;
// - an update names its record: the client sends the ETag it read in If-Match (missing → 428, stale → 412, the
//   check and the change in one transaction, see withPrecondition), and gets the new ETag back.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DataAccess } from '../../data/index.ts'
import type { KeyOwner } from '../../data/repositories/idempotency.ts'
import { declarationOf } from './route.ts'
import { problem } from './problem.ts'

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: KeyOwner
    /** A page form's claimed key (RouteDeclaration.formKey), kept on a success and released otherwise. */
    formKey?: KeyOwner
  }
}

const KEY = /^[\x21-\x7e]{8,255}$/

/** Deeper than any body the API takes (the app refuses bodies nested over 32 levels before this hook runs). */
export const MAX_CANONICAL_DEPTH = 40

export class TooDeepError extends Error {}

/** A canonical JSON text (keys sorted), so the same body sent twice hashes the same. Bounded in depth: a body nested
 *  thousands of levels deep is refused (TooDeepError), never a stack overflow. */
export function canonical(v: unknown, depth = 0): string {
  if (v && typeof v === 'object' && depth >= MAX_CANONICAL_DEPTH) throw new TooDeepError(`nested more than ${MAX_CANONICAL_DEPTH} levels deep`)
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, depth + 1)).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => k !== '_csrf')
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k], depth + 1)}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** The version in an If-Match header: "7" or W/"7". */
export function parseIfMatch(header: string | undefined): number | null | 'absent' {
  if (header === undefined || header.trim() === '') return 'absent'
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header)
  return m ? Number(m[1]) : null
}

export const etag = (version: number): string => `"${version}"`

/** How long a repeat of a page form waits for the first submission to finish before saying it is still saving. */
const FORM_WAIT_MS = 5_000

export function registerApiReliability(app: FastifyInstance, data: DataAccess): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return
    const decl = declarationOf(request.routeOptions.config)
    if (decl?.formKey && request.method === 'POST' && request.actor) return formKeyClaim(request, reply)
    if (!decl?.api || request.method !== 'POST' || !request.actor) return
    if (decl.api === 'create') {
      const header = request.headers['idempotency-key']
      const fromBody = (request.body as Record<string, unknown> | undefined)?.idempotencyKey
      const key = typeof header === 'string' ? header : typeof fromBody === 'string' ? fromBody : undefined
      // a malformed key in the body is one of the body's fields: the handler lists it with the others
      if (typeof header !== 'string' && key !== undefined && !KEY.test(key)) return
      if (!key) return problem(reply, 400, 'Idempotency-Key required', 'Send an Idempotency-Key header with a value you choose for this create (a UUID is best). Sending the same key again returns the same response and never creates a second record.')
      if (!KEY.test(key)) return problem(reply, 400, 'Invalid Idempotency-Key', 'The Idempotency-Key must be 8 to 255 visible characters (a UUID is best).')
      const owner: KeyOwner = { partnershipId: request.actor.partnershipId, practitionerId: request.actor.practitionerId, key }
      let text: string
      try {
        text = canonical({ params: request.params, body: request.body ?? null })
      } catch (err) {
        if (!(err instanceof TooDeepError)) throw err
        return problem(reply, 400, 'Invalid request', `The JSON body is ${err.message}. Nothing was saved.`, [{ name: 'body', reason: `Nested more than ${MAX_CANONICAL_DEPTH} levels deep.` }])
      }
      const hash = createHash('sha256').update(text).digest('hex')
      const path = request.routeOptions.url ?? request.url
      // a kept answer can name a child: the data layer audits its sending before handing it back
      const claim = await data.idempotency.claim(owner, { method: request.method, path, hash, requestId: request.id }, request.actor)
      if (claim.kind === 'new') {
        request.idempotency = owner
        return
      }
      if (claim.kind === 'in_progress') return problem(reply, 409, 'Request in progress', 'A request with this Idempotency-Key is still being processed. Wait a moment and send it again.')
      if (claim.kind === 'mismatch') return problem(reply, 422, 'Idempotency-Key reused', 'This Idempotency-Key was used for a different request. Use a new key for a new request. Nothing was saved.')
      reply.code(claim.status).header('idempotent-replayed', 'true')
      if (claim.contentType) reply.type(claim.contentType)
      return reply.send(claim.body)
    }
    const version = parseIfMatch(request.headers['if-match'])
    if (version === 'absent') return problem(reply, 428, 'If-Match required', 'Read the record first (GET) and send its ETag in an If-Match header, so that a change made by someone else since is never overwritten.')
    if (version === null) return problem(reply, 400, 'Invalid If-Match', 'Send the ETag exactly as the GET returned it, for example If-Match: "3".')
    const id = (request.params as Record<string, string>)[decl.api.ifMatch.param] ?? ''
    request.precondition = { table: decl.api.ifMatch.table, id, version }
  })

  /**
   * A page form's key (RouteDeclaration.formKey): the first submission claims it; a repeat while it runs waits for
   * it, then (as every later repeat) is sent where it went. The same key with other details is refused: the form was
   * already sent. A form without a key (a page rendered before keys, a hand-made request) is handled as before.
   */
  async function formKeyClaim(request: FastifyRequest, reply: FastifyReply) {
    const key = (request.body as Record<string, unknown> | undefined)?.formKey
    if (typeof key !== 'string' || !KEY.test(key)) return
    // one rendering's key serves every form on the page: it is scoped to the form's URL, and hashed to a fixed length
    const scoped = createHash('sha256').update(`${key}\n${request.url}`).digest('hex')
    const owner: KeyOwner = { partnershipId: request.actor!.partnershipId, practitionerId: request.actor!.practitionerId, key: `form:${scoped}` }
    const hash = createHash('sha256').update(canonical({ body: request.body ?? null })).digest('hex')
    const started = Date.now()
    for (;;) {
      const claim = await data.idempotency.claim(owner, { method: request.method, path: request.url, hash, requestId: request.id })
      if (claim.kind === 'new') {
        request.formKey = owner
        return
      }
      if (claim.kind === 'replay') return reply.redirect(claim.body, 303)
      if (claim.kind === 'mismatch' && !claim.pending) {
        return reply.code(422).page('error.njk', {
          title: 'This form was already sent',
          detail: 'This form was sent before with different details, and those were saved. Nothing new was saved this time. Go back, reload the page to see what was saved, and add your changes again if they are still needed.',
          status: 422,
        })
      }
      if (Date.now() - started > FORM_WAIT_MS) {
        return reply.code(409).page('error.njk', { title: 'Your form is still being saved', detail: 'It was sent a moment ago and is still being saved. Wait a few seconds, then reload the page to see it. Do not send it again.', status: 409 })
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.formKey) {
      const owner = request.formKey
      request.formKey = undefined
      const location = reply.getHeader('location')
      // only a success (a redirect to what was made) keeps the key; a form shown again with errors gets a new key
      if (reply.statusCode === 303 && typeof location === 'string') await data.idempotency.complete(owner, 303, location, null)
      else await data.idempotency.release(owner).catch(() => undefined)
    }
    if (request.precondition?.newVersion !== undefined && reply.statusCode < 300) reply.header('etag', etag(request.precondition.newVersion))
    const owner = request.idempotency
    if (!owner) return payload
    request.idempotency = undefined
    // kept: the answer of a request that was carried out or refused by the record's state. Released: a server error,
    // and a 400 — the body refused as invalid, nothing done — so the corrected body can be sent with the same key
    // (as Stripe's keys work: no result is saved for a request that failed validation)
    if (reply.statusCode >= 500 || reply.statusCode === 400 || typeof payload !== 'string') await data.idempotency.release(owner).catch(() => undefined)
    else await data.idempotency.complete(owner, reply.statusCode, payload, String(reply.getHeader('content-type') ?? '') || null)
    return payload
  })
}
