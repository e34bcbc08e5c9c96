// The HTTP application: middleware as a readable checklist, then the modules' routes.
import { randomBytes, randomUUID } from 'node:crypto'
import path from 'node:path'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import rateLimit from '@fastify/rate-limit'
import { hasPermission, ROLE_LABELS } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { DataAccess } from '../../data/index.ts'
import type { MembershipView, SessionView } from '../../data/repositories/auth.ts'
import { IDLE_MINUTES } from '../../data/repositories/auth.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { loggerOptions } from '../logging.ts'
import { csrfToken, csrfValid } from './csrf.ts'
import { declarationOf } from './route.ts'
import { registerApiReliability } from './api-reliability.ts'
import { passkeyRequired } from '../auth/passkeys.ts'
import { problem } from './problem.ts'
import { duplicateKey } from './json-duplicates.ts'
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

/** The error code of a JSON body that is not UTF-8 (refused by the app's JSON parser). */
const NOT_UTF8 = 'TA_BODY_NOT_UTF8'
/** The error code of a JSON body with a key twice in one object (refused by the app's JSON parser). */
const DUPLICATE_KEY = 'TA_BODY_DUPLICATE_KEY'
/** What a practitioner still on an administrator's temporary password may reach: changing it, and signing out. */
const PASSWORD_FIRST = new Set(['/account/password', '/sign-out', '/session/extend'])

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
    // the router's own refusals (an address with broken percent-encoding, a path segment over 100 characters) come
    // here, before any hook has run: answered like every other error, a GOV.UK page or problem+json
    frameworkErrors: (error, request, reply) => routerError(error, request, reply),
  })
  const renderer = createRenderer(root, config.env !== 'production')

  app.decorateRequest('session', null)
  app.decorateRequest('actor', null)
  app.decorateRequest('memberships', null as unknown as MembershipView[])
  app.decorateRequest('preBinding', null)

  const CSP_DIRECTIVES: Record<string, string[] | null> = {
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
  }
  // 1. security headers: strict CSP with nonces, HSTS, nosniff, frame-ancestors none
  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: { directives: CSP_DIRECTIVES },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  })

  // 2. bodies: forms and JSON only (anything else is 415)
  await app.register(formbody, { bodyLimit: 1_000_000 })
  app.removeContentTypeParser('text/plain')
  // JSON is read as UTF-8 strictly: a body in another encoding (Latin-1's "Zo\xEB") is refused, never stored with
  // U+FFFD in place of the letter (Fastify's own parser decodes leniently); then parsed as Fastify does (secure-json-parse,
  // __proto__ and constructor refused)
  const jsonParser = app.getDefaultJsonParser('error', 'error')
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = utf8.decode(body as Buffer)
    } catch {
      return done(Object.assign(new Error('The body is not UTF-8'), { statusCode: 400, code: NOT_UTF8 }), undefined)
    }
    // a key twice in one object ({"childId":"a","childId":"b"}) is refused, not read as its last value: see
    // json-duplicates.ts. Checked once the text has parsed, so broken JSON is answered as before.
    jsonParser(request, text, (err, parsed) => {
      if (err) return done(err, undefined)
      const repeated = duplicateKey(text)
      if (repeated) return done(Object.assign(new Error('A key is repeated in the JSON body'), { statusCode: 400, code: DUPLICATE_KEY, path: repeated }), undefined)
      done(null, parsed)
    })
  })
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
    // signed in with an administrator's temporary password: choosing one's own comes before anything else
    if (request.actor && request.session?.practitioner.mustChangePassword) {
      const path = request.url.split('?')[0]!
      if (!PASSWORD_FIRST.has(path)) {
        if (isApi(request)) {
          return reply.code(403).type('application/problem+json').send({ type: 'about:blank', title: 'Change your temporary password first', status: 403, detail: 'You signed in with a temporary password: choose your own at /account/password before anything else' })
        }
        return reply.redirect('/account/password', 303)
      }
    }
  })

  // 5. rendering with the layout's context
  app.decorateReply('page', function (this: FastifyReply, template: string, context: Record<string, unknown> = {}) {
    return renderPage(this, template, context)
  })

  // the page decorator's body, callable on a reply the router made before any hook or decorator applied to it
  function renderPage(reply: FastifyReply, template: string, context: Record<string, unknown>): FastifyReply {
    const request = reply.request
    let binding = request.session?.idHash ?? request.preBinding
    if (!binding) {
      binding = randomBytes(24).toString('base64url')
      request.preBinding = binding
      reply.header('set-cookie', setCookie(PRE_COOKIE, binding, 60 * 60 * 2))
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
    const full = {
      cspNonce: (reply as unknown as { cspNonce?: { script: string } | null }).cspNonce?.script,
      csrfToken: csrfToken(config.sessionSecret, binding),
      currentPath,
      user,
      serviceNavigation: serviceNavigationHtml(navigationItems(user, currentPath)),
      // set by the break-glass module on a child's pages while the actor's emergency access to the child runs
      breakGlassUntil: request.breakGlassUntil ?? null,
      idleMinutes: IDLE_MINUTES,
      // the key of this rendering's forms that declare formKey (route.ts): sent twice, such a form makes one record
      formKey: randomUUID(),
      ...context,
    }
    let html = renderer.render(template, full)
    // the error summary never links to nothing: an error about a field the page does not show (a hidden field of a
    // stale form, a form the record has moved past) links to the page's main content instead
    if (Array.isArray(context.errors) && context.errors.length) {
      const linked = errorsLinkedToPage(html, context.errors as SummaryError[])
      if (linked.missing.length) {
        request.log.warn({ missing: linked.missing, template }, 'error summary linked fields not on the page')
        html = renderer.render(template, { ...full, errors: linked.errors })
      }
    }
    return reply.type('text/html; charset=utf-8').send(html)
  }

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
    lowerCaseIds(request.params)
    lowerCaseIds(request.query)
    if (request.method === 'POST') {
      const binding = request.session?.idHash ?? request.preBinding
      const presented = (request.body as Record<string, unknown> | undefined)?._csrf ?? request.headers['x-csrf-token']
      if (!binding || !csrfValid(config.sessionSecret, binding, presented)) {
        if (request.actor) await data.auth.refused(request.actor, 'csrf.refused', { route: request.routeOptions.url })
        return sendError(request, reply, 403, 'This page has expired', 'The form was out of date or did not come from TeamAround. Go back, reload the page and try again.')
      }
    }
    if (decl.permission !== 'public' && !(await admitted(request, reply))) return reply
    return refuseUnusableBody(request, reply)
  })

  /** The actor's sign-in and permission for the route; false when the reply has been sent (a redirect, a 403, a 404). */
  async function admitted(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const decl = declarationOf(request.routeOptions.config)!
    const actor = request.actor
    if (!actor) {
      if (isApi(request)) sendError(request, reply, 401, 'Sign in required', 'Sign in to use this API.')
      else if (request.session?.state === 'mfa_challenge') reply.redirect('/sign-in/mfa')
      else if (request.session?.state === 'mfa_enrol') reply.redirect('/sign-in/mfa/enrol')
      else if (request.session?.state === 'passkey_enrol') reply.redirect('/sign-in/passkey/enrol')
      else reply.redirect('/sign-in')
      return false
    }
    if (!hasPermission(actor.role, decl.permission)) {
      await data.auth.refused(actor, decl.audit.startsWith('none') ? 'route.refused' : decl.audit, { route: request.routeOptions.url, permission: decl.permission })
      if (decl.record) notFound(request, reply)
      else sendError(request, reply, 403, 'You cannot use this page', 'Your role does not include this. Ask your agency administrator if you think it should.')
      return false
    }
    return true
  }

  // PostgreSQL cannot hold a NUL in text, and no form or API field has a use for the other control characters:
  // a body carrying one (in any string, any key, at any depth) is refused whole, naming the field, before a handler
  // runs — so nothing is saved and the database's refusal never becomes a server error. Tab, CR and LF are text.
  // The same walk (iterative, never recursive) refuses a body nested deeper than MAX_BODY_DEPTH.
  function refuseUnusableBody(request: FastifyRequest, reply: FastifyReply) {
    const bad = unusableInput(request.body)
    if (!bad) return
    if (bad.kind === 'depth') {
      if (isApi(request)) return problem(reply, 400, 'Invalid request', `The JSON body is nested more than ${MAX_BODY_DEPTH} levels deep. Nothing was saved.`, [{ name: fieldPath(bad.path) || 'body', reason: `Nested more than ${MAX_BODY_DEPTH} levels deep.` }])
      return sendError(request, reply, 400, 'There is a problem with what you sent', `What you sent is nested more than ${MAX_BODY_DEPTH} levels deep, so TeamAround cannot read it. Nothing was saved.`)
    }
    if (bad.kind === 'unpaired') {
      // half of a UTF-16 surrogate pair is not a character: stored, it would silently become U+FFFD (or, in JSON,
      // be refused by the database)
      if (isApi(request)) {
        return problem(reply, 400, 'Invalid request', 'A field contains half of a character (an unpaired UTF-16 surrogate, such as \\ud800), which is not valid Unicode and cannot be stored as sent. Check the fields listed in invalid-params. Nothing was saved.', [
          { name: fieldPath(bad.path) || 'body', reason: 'Contains an unpaired UTF-16 surrogate: not valid Unicode. Send the whole character, or remove it.' },
        ])
      }
      const field = plainFieldName(bad.path)
      return sendError(request, reply, 400, 'There is a problem with what you entered', `${field ? `The “${field}” field` : 'What you sent'} contains a broken character that TeamAround cannot store. Nothing was saved. Go back, type that field again without pasting, and try again.`)
    }
    if (isApi(request)) {
      return problem(reply, 400, 'Invalid request', 'A field contains a control character (such as NUL) that TeamAround cannot store. Check the fields listed in invalid-params. Nothing was saved.', [
        { name: fieldPath(bad.path) || 'body', reason: 'Contains a control character (such as NUL). Only tab, carriage return and line feed are allowed. Remove it and send again.' },
      ])
    }
    const field = plainFieldName(bad.path)
    return sendError(
      request,
      reply,
      400,
      'There is a problem with what you entered',
      `${field ? `The “${field}” field` : 'What you sent'} contains a hidden control character that TeamAround cannot store (these are sometimes copied in from another program). Nothing was saved. Go back, type that field again without pasting, and try again.`,
    )
  }

  // 7. the API's idempotency keys on creates and If-Match on updates, once the caller is let in
  registerApiReliability(app, data)

  app.setNotFoundHandler((request, reply) => notFound(request, reply))
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    // a refusal (the data layer saying no: a state, a rule) that the handler did not show as its own form error is
    // still an answer about what was sent, never a server error
    if (error instanceof RefusedError) {
      request.log.warn({ err: error }, 'refusal not handled by the route')
      return sendError(request, reply, 422, 'There is a problem', error.message)
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    if (status === 429) return sendError(request, reply, 429, 'Too many attempts', 'Wait a few minutes, then try again.')
    if (status === 415) return sendError(request, reply, 415, 'Unsupported content type', 'Send application/x-www-form-urlencoded or application/json.')
    if ((error as { code?: string }).code === NOT_UTF8) return sendError(request, reply, 400, 'What you sent is not UTF-8 text', 'The body has bytes that are not UTF-8 (text saved in another encoding, such as Latin-1 or Windows-1252). Nothing was saved. Send the body encoded as UTF-8.')
    if ((error as { code?: string }).code === DUPLICATE_KEY) {
      const name = fieldPath((error as { path?: FieldPath }).path ?? [])
      if (isApi(request)) {
        return problem(reply, 400, 'Invalid request', `The JSON body has the key “${name}” more than once in the same object, so which value was meant is unclear. Send each key once. Nothing was saved.`, [
          { name, reason: 'Sent more than once in the same object. Send each key once.' },
        ])
      }
      return sendError(request, reply, 400, 'There is a problem with what you sent', `What you sent names “${plainFieldName((error as { path?: FieldPath }).path ?? [])}” more than once, so TeamAround cannot tell which was meant. Nothing was saved. Go back and try again.`)
    }
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
    return renderPage(reply, 'error.njk', { title, detail, status })
  }

  // Fastify's router refusals. The request and reply are Fastify's plain ones: no hook has run (no session, no
  // security headers) and no decorator applies, so the page is rendered as a stranger's, with the headers set here.
  function routerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    request.memberships = []
    request.session = null
    request.actor = null
    request.preBinding = null
    reply.header('content-security-policy', cspHeader(CSP_DIRECTIVES))
    reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('cache-control', 'no-store')
    if (error.code === 'FST_ERR_BAD_URL') {
      return sendError(request, reply, 400, 'There is a problem with the address', 'The address is not a valid web address (it has a broken % code). Check the link, or go back and try again.')
    }
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      return sendError(request, reply, 414, 'The address is too long', 'Part of the address is longer than any address in TeamAround. Check the link, or go back and try again.')
    }
    request.log.error({ err: error }, 'request failed in the router')
    return sendError(request, reply, 500, 'Sorry, there is a problem with TeamAround', 'Try again later. Nothing you sent was half-saved.')
  }
}

type SummaryError = { text: string; href?: string }

/**
 * The error summary's items with every link to an element not on the rendered page pointed at the main content
 * (which every page has), and the targets that were missing.
 */
export function errorsLinkedToPage(html: string, errors: readonly SummaryError[]): { errors: SummaryError[]; missing: string[] } {
  const ids = new Set(Array.from(html.matchAll(/\sid="([^"]+)"/g), (m) => m[1]!))
  const missing: string[] = []
  const linked = errors.map((e) => {
    if (!e.href?.startsWith('#') || ids.has(e.href.slice(1))) return e
    missing.push(e.href.slice(1))
    return { ...e, href: '#main-content' }
  })
  return { errors: linked, missing }
}

/** The deepest a request body may nest (objects and arrays): no form or API body comes near it. */
export const MAX_BODY_DEPTH = 32
/**
 * A route's ids in lower case, and ids given in its query string (a filter's agency, a chosen child). A UUID's hex digits may be written in either case (RFC 9562), and PostgreSQL's uuid
 * type finds the record either way; but audit rows name what was looked at by its id as text, and a search of the
 * audit by a child's id uses the lower case PostgreSQL writes. So an id in capitals is taken, before any handler sees
 * it, as the same id in lower case (test/reliability/uuid-case.test.ts).
 */
const UUID_ANY_CASE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function lowerCaseIds(params: unknown): void {
  if (!params || typeof params !== 'object') return
  const p = params as Record<string, unknown>
  const lower = (v: unknown) => (typeof v === 'string' && UUID_ANY_CASE.test(v) && /[A-F]/.test(v) ? v.toLowerCase() : v)
  for (const [k, v] of Object.entries(p)) p[k] = Array.isArray(v) ? v.map(lower) : lower(v)
}

/** A C0 control character other than tab (9), line feed (10) and carriage return (13). */
const isControl = (code: number): boolean => code < 0x20 && code !== 9 && code !== 10 && code !== 13
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true
  return false
}
function mapControls(text: string, replace: (code: number) => string): string {
  let out = ''
  for (const ch of text) out += ch.length === 1 && isControl(ch.charCodeAt(0)) ? replace(ch.charCodeAt(0)) : ch
  return out
}

export type FieldPath = (string | number)[]

/** The first string or key (in the body's order) holding a control character other than tab, CR or LF, or half of a
 *  UTF-16 surrogate pair (not well-formed Unicode), or the first object or array nested deeper than MAX_BODY_DEPTH;
 *  null when the body is usable. */
export function unusableInput(body: unknown): { kind: 'control' | 'unpaired' | 'depth'; path: FieldPath } | null {
  const stack: { value: unknown; path: FieldPath }[] = [{ value: body, path: [] }]
  while (stack.length) {
    const { value, path } = stack.pop()!
    if (typeof value === 'string') {
      if (hasControl(value)) return { kind: 'control', path }
      if (!value.isWellFormed()) return { kind: 'unpaired', path }
      continue
    }
    if (!value || typeof value !== 'object') continue
    if (path.length >= MAX_BODY_DEPTH) return { kind: 'depth', path }
    const children: { value: unknown; path: FieldPath }[] = []
    if (Array.isArray(value)) {
      value.forEach((v, i) => children.push({ value: v, path: [...path, i] }))
    } else {
      for (const key of Object.keys(value)) {
        if (hasControl(key)) return { kind: 'control', path: [...path, key] }
        if (!key.isWellFormed()) return { kind: 'unpaired', path: [...path, key] }
        children.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] })
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return null
}

/** A field's path as the API names it (as zod's invalid-params do): bodyMap.0.description, control characters shown as \uXXXX. */
export function fieldPath(path: FieldPath): string {
  return path.map((p) => mapControls(String(p), (c) => `\\u${c.toString(16).padStart(4, '0')}`)).join('.')
}

/** A form field's name in plain words: seenOrHeard → seen or heard, child-dob-day → child dob day. */
export function plainFieldName(path: FieldPath): string {
  return path
    .filter((p): p is string => typeof p === 'string')
    .map((p) =>
      mapControls(p, () => '')
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .replace(/[-_.[\]]+/g, ' ')
        .trim()
        .toLowerCase(),
    )
    .filter(Boolean)
    .join(' ')
    .slice(0, 80)
}

/** A Content-Security-Policy header from helmet's directives (for the router's refusals, which helmet never sees). */
function cspHeader(directives: Record<string, string[] | null>): string {
  return Object.entries(directives)
    .filter((e): e is [string, string[]] => e[1] !== null)
    .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), ...v].join(' '))
    .join('; ')
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
