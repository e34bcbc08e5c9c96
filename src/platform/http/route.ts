// Every route declares what it needs: the permission that lets a role in (the coarse first gate — the data layer
// is the real one) and the audit event its handler writes. A test fails any route without both.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify'
import type { Permission } from '../../access/policy.ts'
import { withPrecondition, type Precondition } from '../../data/unit-of-work.ts'

export interface RouteDeclaration {
  permission: Permission
  /** The audit action the handler's repository call writes, or 'none: <reason>' for routes that touch no record. */
  audit: string
  /** The URL names a record: a missing permission answers 404 (existence hidden), never 403. */
  record?: boolean
  /**
   * What an API POST does (every POST under /api/v1 declares one): 'create' needs an Idempotency-Key (same key and
   * body → one record and the same response; same key, other body → 422); an update names the record whose version
   * the client must send in If-Match (missing → 428, stale → 412).
   */
  api?: 'create' | { ifMatch: { table: Precondition['table']; param: string } }
  /**
   * A page form that creates a record and has no key of its own in its table: the page gives each form it renders a
   * `formKey` (a hidden field), and the same form sent twice (a double click without JavaScript, a refresh, going
   * back and sending it again) makes one record — the repeat is sent where the first went. The key is claimed in the
   * API's key store before the handler runs; only a success (a redirect) keeps it.
   */
  formKey?: boolean
}

declare module 'fastify' {
  interface FastifyContextConfig {
    declaration?: RouteDeclaration
  }
  interface FastifyRequest {
    /** Set by the gate for an API update that sent a usable If-Match. */
    precondition?: Precondition
  }
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown

export interface Routes {
  get(url: string, decl: RouteDeclaration, handler: Handler, opts?: RouteShorthandOptions): void
  post(url: string, decl: RouteDeclaration, handler: Handler, opts?: RouteShorthandOptions): void
}

export function routes(app: FastifyInstance): Routes {
  const add = (method: 'GET' | 'POST') => (url: string, decl: RouteDeclaration, handler: Handler, opts: RouteShorthandOptions = {}) => {
    const run: Handler = typeof decl.api === 'object' ? (request, reply) => (request.precondition ? withPrecondition(request.precondition, () => handler(request, reply)) : handler(request, reply)) : handler
    app.route({ ...opts, method, url, handler: run, config: { ...(opts.config as object | undefined), declaration: decl } })
  }
  return { get: add('GET'), post: add('POST') }
}

export function declarationOf(config: unknown): RouteDeclaration | undefined {
  return (config as { declaration?: RouteDeclaration } | undefined)?.declaration
}
