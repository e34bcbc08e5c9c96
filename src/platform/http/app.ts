// The HTTP application: middleware as a readable checklist, then the modules' routes.
import { randomBytes, randomUUID } from 'node:crypto'
import path from 'node:path'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import rateLimit from '@fastify/rate-limit'
import { hasPermission, ROLE_LABELS } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { DataAccess } from '../../data/index.ts'
import type { MembershipView, SessionView } from '../../data/repositories/auth.ts'
import { IDLE_MINUTES } from '../../data/repositories/auth.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { loggerOptions } from '../logging.ts'
import { csrfToken, csrfValid } from './csrf.ts'
import { declarationOf } from './route.ts'
import { registerApiReliability } from './api-reliability.ts'
import { passkeyRequired } from '../auth/passkeys.ts'
import { problem } from './problem.ts'
import { createRenderer, type Renderer } from './render.ts'
import { navigationItems, serviceNavigationHtml } from '../../web/navigation.ts'
import { registerModules } from '../../modules/index.ts'

declare module 'fastify' {
  interface FastifyRequest {
    session: SessionView | null
    actor: Actor | null
    memberships: MembershipView[]
    /** Binds the CSRF token before sign-in. */
    preBinding: string | null
  }
  interface FastifyInstance {
    routeTable: { method: string; url: string; declaration: import('./route.ts').RouteDeclaration | undefined }[]
  }
  interface FastifyReply {
    page(template: string, context?: Record<string, unknown>): FastifyReply
    /** A template rendered to a string with the same filters, for documents that are not pages (PDF exports). */
    renderToString(template: string, context: Record<string, unknown>): string
  }
}

export const SESSION_COOKIE = '__Host-ta_session'
export const PRE_COOKIE = '__Host-ta_pre'

export interface AppDeps {
  config: Config
  data: DataAccess
  clock: Clock
}

const root = path.resolve(import.meta.dirname, '../../..')

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, data } = deps
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    genReqId: () => randomUUID(),
    bodyLimit: 1_000_000,
    routerOptions: { ignoreTrailingSlash: true },
  })
  const renderer = createRenderer(root, config.env !== 'production')

  app.decorateRequest('session', null)
  app.decorateRequest('actor', null)
  app.decorateRequest('memberships', null as unknown as MembershipView[])
  app.decorateRequest('preBinding', null)

  // 1. security headers: strict CSP with nonces, HSTS, nosniff, frame-ancestors none
  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        connectSrc: ["'self'"],
        // only behind TLS: on http://localhost it would upgrade the page's own assets to https
        upgradeInsecureRequests: config.env === 'production' ? [] : null,
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  })

  // 2. bodies: forms and JSON only (anything else is 415)
  await app.register(formbody, { bodyLimit: 1_000_000 })
  app.removeContentTypeParser('text/plain')
  await app.register(rateLimit, { global: false })

  // 3. static assets are public and declared so here
  app.addHook('onRoute', (opts) => {
    if (opts.url.startsWith('/assets/') || opts.url.startsWith('/public/')) {
      opts.config = { ...(opts.config as object), declaration: { permission: 'public', audit: 'none: static asset' } }
    }
  })
  // every route, as registered, for the declaration and access-matrix tests
  const routeTable: { method: string; url: string; declaration: ReturnType<typeof declarationOf> }[] = []
  app.decorate('routeTable', routeTable)
  app.addHook('onRoute', (opts) => {
    for (const method of [opts.method].flat()) routeTable.push({ method: String(method), url: opts.url, declaration: declarationOf(opts.config) })
  })

  await app.register(fastifyStatic, { root: path.join(root, 'node_modules/govuk-frontend/dist/govuk/assets'), prefix: '/assets/', decorateReply: false, maxAge: '1d' })
  await app.register(fastifyStatic, { root: path.join(root, 'src/web/public'), prefix: '/public/', decorateReply: false, maxAge: '1h' })
  await app.register(fastifyStatic, {
    root: path.join(root, 'node_modules/govuk-frontend/dist/govuk'),
    prefix: '/public/govuk/',
    decorateReply: false,
    maxAge: '1d',
    allowedPath: (pathName) => pathName === '/govuk-frontend.min.js',
  })

  // 4. session and the acting membership, resolved once per request
  app.addHook('onRequest', async (request, reply) => {
    request.memberships = []
    if (request.url.startsWith('/assets/') || request.url.startsWith('/public/')) return
    const cookies = parseCookies(request.headers.cookie)
    const token = cookies[SESSION_COOKIE]
    if (token) {
      const session = await data.auth.loadSession(token)
      if (session) {
        request.session = session
        if (session.state === 'active' && session.secondFactor !== 'passkey' && passkeyRequired(session.memberships)) {
          // a role that requires a passkey was granted after this session began with the code alone: the change
          // applies at once — the session ends and the next sign-in asks for the passkey (ASVS 8.3.2)
          await data.auth.endSession(session.idHash, 'passkey required')
          await data.auth.refused({ kind: 'anonymous', partnershipId: session.partnershipId, requestId: request.id }, 'auth.passkey-required', { practitionerId: session.practitionerId })
          request.session = null
          reply.header('set-cookie', clearCookie(SESSION_COOKIE))
        } else if (session.state === 'active') {
          const memberships = session.memberships
          request.memberships = memberships
          const acting = memberships.find((m) => m.id === session.membershipId) ?? memberships[0]
          if (acting) {
            request.actor = {
              kind: 'practitioner',
              partnershipId: session.partnershipId,
              practitionerId: session.practitionerId,
              membershipId: acting.id,
              agencyId: acting.agencyId,
              teamId: acting.teamId,
              role: acting.role,
              requestId: request.id,
            }
          }
        }
      } else {
        reply.header('set-cookie', clearCookie(SESSION_COOKIE))
      }
    }
    if (!request.session) {
      request.preBinding = cookies[PRE_COOKIE] ?? null
    }
    reply.header('cache-control', 'no-store')
  })

  // 5. rendering with the layout's context
  app.decorateReply('page', function (this: FastifyReply, template: string, context: Record<string, unknown> = {}) {
    const request = this.request
    let binding = request.session?.idHash ?? request.preBinding
    if (!binding) {
      binding = randomBytes(24).toString('base64url')
      request.preBinding = binding
      this.header('set-cookie', setCookie(PRE_COOKIE, binding, 60 * 60 * 2))
    }
    const actor = request.actor
    const acting = request.memberships.find((m) => m.id === actor?.membershipId)
    const currentPath = request.url.split('?')[0]!
    const user = request.session && actor
      ? {
          name: `${request.session.practitioner.givenName} ${request.session.practitioner.familyName}`,
          role: actor.role,
          roleLabel: ROLE_LABELS[actor.role],
          agencyName: acting?.agencyName,
          teamName: acting?.teamName,
          memberships: request.memberships.map((m) => ({ ...m, roleLabel: ROLE_LABELS[m.role], current: m.id === actor.membershipId })),
          can: {
            administer: hasPermission(actor.role, 'practitioner:administer'),
            raiseConcern: hasPermission(actor.role, 'concern:raise'),
            refer: hasPermission(actor.role, 'referral:make'),
            frontDoor: hasPermission(actor.role, 'front-door:work'),
            encompass: hasPermission(actor.role, 'encompass:record'),
            triage: hasPermission(actor.role, 'concern:triage'),
            consult: hasPermission(actor.role, 'consultation:ask') || hasPermission(actor.role, 'consultation:give'),
            importRecords: hasPermission(actor.role, 'records:import'),
            matchRecords: hasPermission(actor.role, 'records:match'),
            teams: hasPermission(actor.role, 'tac:work'),
            clocks: hasPermission(actor.role, 'clocks:oversee'),
            mace: hasPermission(actor.role, 'mace:panel'),
            askAgencies: hasPermission(actor.role, 'requests:ask'),
            transferFiles: hasPermission(actor.role, 'transfer:send'),
            answerRequests: hasPermission(actor.role, 'requests:answer'),
            sharing: hasPermission(actor.role, 'sharing:record'),
            sharingAgreement: hasPermission(actor.role, 'partnership:administer'),
            breakGlass: hasPermission(actor.role, 'access:break-glass'),
            selfClaim: hasPermission(actor.role, 'access:self-claim'),
            reviewAccess: hasPermission(actor.role, 'access:review'),
            retention: hasPermission(actor.role, 'retention:manage'),
            subjectAccess: hasPermission(actor.role, 'sar:manage'),
            bulkExport: hasPermission(actor.role, 'export:manage'),
            disputeEntries: hasPermission(actor.role, 'entry:dispute'),
          },
        }
      : null
    const html = renderer.render(template, {
      cspNonce: (this as unknown as { cspNonce?: { script: string } }).cspNonce?.script,
      csrfToken: csrfToken(config.sessionSecret, binding),
      currentPath,
      user,
      serviceNavigation: serviceNavigationHtml(navigationItems(user, currentPath)),
      // set by the break-glass module on a child's pages while the actor's emergency access to the child runs
      breakGlassUntil: request.breakGlassUntil ?? null,
      idleMinutes: IDLE_MINUTES,
      ...context,
    })
    return this.type('text/html; charset=utf-8').send(html)
  })

  app.decorateReply('renderToString', function (this: FastifyReply, template: string, context: Record<string, unknown>) {
    return renderer.render(template, context)
  })

  // 6. the route gate (deny by default) and CSRF on every POST, after the body is parsed
  app.addHook('preHandler', async (request, reply) => {
    const decl = declarationOf(request.routeOptions.config)
    if (!decl) return notFound(request, reply)
    // PostgreSQL cannot hold a NUL in text: an address carrying one (%00, in a filter or a search) is bad input,
    // answered here, before a handler sends it to the database and the database's refusal becomes a server error
    if (/%00/i.test(request.url)) return sendError(request, reply, 400, 'There is a problem with the address', 'The address contains a character TeamAround cannot use. Check the link, or go back and try again.')
    if (request.method === 'POST') {
      const binding = request.session?.idHash ?? request.preBinding
      const presented = (request.body as Record<string, unknown> | undefined)?._csrf ?? request.headers['x-csrf-token']
      if (!binding || !csrfValid(config.sessionSecret, binding, presented)) {
        if (request.actor) await data.auth.refused(request.actor, 'csrf.refused', { route: request.routeOptions.url })
        return sendError(request, reply, 403, 'This page has expired', 'The form was out of date or did not come from TeamAround. Go back, reload the page and try again.')
      }
    }
    if (decl.permission === 'public') return
    const actor = request.actor
    if (!actor) {
      if (isApi(request)) return sendError(request, reply, 401, 'Sign in required', 'Sign in to use this API.')
      if (request.session?.state === 'mfa_challenge') return reply.redirect('/sign-in/mfa')
      if (request.session?.state === 'mfa_enrol') return reply.redirect('/sign-in/mfa/enrol')
      if (request.session?.state === 'passkey_enrol') return reply.redirect('/sign-in/passkey/enrol')
      return reply.redirect('/sign-in')
    }
    if (!hasPermission(actor.role, decl.permission)) {
      await data.auth.refused(actor, decl.audit.startsWith('none') ? 'route.refused' : decl.audit, { route: request.routeOptions.url, permission: decl.permission })
      if (decl.record) return notFound(request, reply)
      return sendError(request, reply, 403, 'You cannot use this page', 'Your role does not include this. Ask your agency administrator if you think it should.')
    }
  })

  // 7. the API's idempotency keys on creates and If-Match on updates, once the caller is let in
  registerApiReliability(app, data)

  app.setNotFoundHandler((request, reply) => notFound(request, reply))
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    if (status === 429) return sendError(request, reply, 429, 'Too many attempts', 'Wait a few minutes, then try again.')
    if (status === 415) return sendError(request, reply, 415, 'Unsupported content type', 'Send application/x-www-form-urlencoded or application/json.')
    if (status === 413) return sendError(request, reply, 413, 'What you sent is too large', 'Nothing was saved. Send less at a time — a large file can be split, or imported with the command line (npm run import).')
    if (status >= 500) return sendError(request, reply, 500, 'Sorry, there is a problem with TeamAround', 'Try again later. Nothing you sent was half-saved.')
    return sendError(request, reply, status, 'There is a problem with the request', 'Check what you sent and try again.')
  })

  await registerModules(app, deps)
  return app

  function notFound(request: FastifyRequest, reply: FastifyReply) {
    return sendError(request, reply, 404, 'Page not found', 'If you typed the web address, check it is correct. If you followed a link to a record, it may not exist or you may not have a current reason to see it.')
  }

  function sendError(request: FastifyRequest, reply: FastifyReply, status: number, title: string, detail: string) {
    reply.code(status)
    if (isApi(request)) return problem(reply, status, title, detail)
    return reply.page('error.njk', { title, detail, status })
  }
}

export function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/')
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!header) return out
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

export function setCookie(name: string, value: string, maxAgeSeconds?: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax${maxAgeSeconds ? `; Max-Age=${maxAgeSeconds}` : ''}`
}

export function clearCookie(name: string): string {
  return `${name}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`
}

export type { Renderer }
