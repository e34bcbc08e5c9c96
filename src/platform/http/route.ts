// Every route declares what it needs: the permission that lets a role in (the coarse first gate — the data layer
// is the real one) and the audit event its handler writes. A test fails any route without both.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify'
import type { Permission } from '../../access/policy.ts'

export interface RouteDeclaration {
  permission: Permission
  /** The audit action the handler's repository call writes, or 'none: <reason>' for routes that touch no record. */
  audit: string
  /** The URL names a record: a missing permission answers 404 (existence hidden), never 403. */
  record?: boolean
}

declare module 'fastify' {
  interface FastifyContextConfig {
    declaration?: RouteDeclaration
  }
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown

export interface Routes {
  get(url: string, decl: RouteDeclaration, handler: Handler, opts?: RouteShorthandOptions): void
  post(url: string, decl: RouteDeclaration, handler: Handler, opts?: RouteShorthandOptions): void
}

export function routes(app: FastifyInstance): Routes {
  const add = (method: 'GET' | 'POST') => (url: string, decl: RouteDeclaration, handler: Handler, opts: RouteShorthandOptions = {}) => {
    app.route({ ...opts, method, url, handler, config: { ...(opts.config as object | undefined), declaration: decl } })
  }
  return { get: add('GET'), post: add('POST') }
}

export function declarationOf(config: unknown): RouteDeclaration | undefined {
  return (config as { declaration?: RouteDeclaration } | undefined)?.declaration
}
