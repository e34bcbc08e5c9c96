// The partnership administrator's risk signal rules: each rule's current version, whether it runs, its counts and
// window, and a form per rule that saves a new version (earlier versions are kept: every fired signal names the
// version that fired it). Thin handlers: the form validated here (GOV.UK error summary, input kept); the repository
// checks the version the form was opened at (409 with the current version when someone else saved first), writes
// the new version and its audit row.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { parseForm, versionField, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { MIN_AGENCIES, MIN_COUNT, WINDOW_DAYS } from './rules.ts'
import type { RuleView } from './repository.ts'

export const SIGNAL_RULES_URL = '/settings/risk-signals'
const PERMISSION = 'partnership:administer' as const
const CODE = /^[a-z][a-z0-9_]{0,59}$/

type Values = Record<string, unknown>
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '')

/** A whole number in a range, from a text input: empty, not a number, and out of range each say so. */
const whole = (what: string, range: { min: number; max: number }) => {
  const say = `Enter ${what} as a whole number from ${range.min} to ${range.max}`
  return z
    .string({ message: `Enter ${what}` })
    .trim()
    .min(1, `Enter ${what}`)
    .regex(/^\d{1,6}$/, say)
    .transform(Number)
    .refine((n) => n >= range.min && n <= range.max, say)
}

function schemaFor(kind: 'count' | 'combination') {
  // in the order of the form, so the error summary lists the problems in the order the page shows the fields
  const shape: Record<string, z.ZodType> = { version: versionField() }
  if (kind === 'count') {
    shape.minCount = whole('how many entries', MIN_COUNT)
    shape.minAgencies = whole('how many agencies', MIN_AGENCIES)
  }
  shape.windowDays = whole('the window in days', WINDOW_DAYS)
  shape.active = z.enum(['yes', 'no'], { message: 'Say whether the rule runs' })
  return z.object(shape)
}

const cross: CrossCheck = (v) => {
  const count = str(v.minCount).trim()
  const agencies = str(v.minAgencies).trim()
  if (/^\d+$/.test(count) && /^\d+$/.test(agencies) && Number(count) >= MIN_COUNT.min && Number(agencies) > Number(count)) return [{ path: 'minAgencies', message: 'The number of agencies cannot be more than the number of entries' }]
  return []
}

/** The form's errors with each link pointing at this rule's field (every rule's form is on the one page). */
const forRule = (code: string, e: FormErrors): FormErrors => ({ errors: e.errors.map((x) => ({ text: x.text, href: `#${code}-${x.href.slice(1)}` })), fieldErrors: e.fieldErrors })

export async function signalRuleRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).signals

  interface State {
    code?: string
    values?: Values
    errors?: FormErrors
    conflict?: RuleView
  }
  async function page(request: FastifyRequest, reply: FastifyReply, st: State = {}) {
    const found = await repo(request).rules()
    const q = request.query as { saved?: string; rule?: string }
    const rules = found.map((rule) => {
      const mine = st.code === rule.code && st.values && !st.conflict
      const p = rule.parameters
      return {
        ...rule,
        values: mine
          ? { windowDays: str(st.values!.windowDays), minCount: str(st.values!.minCount), minAgencies: str(st.values!.minAgencies), active: str(st.values!.active) }
          : { windowDays: String(p.windowDays), minCount: String(p.minCount ?? ''), minAgencies: String(p.minAgencies ?? ''), active: rule.active ? 'yes' : 'no' },
        fieldErrors: st.code === rule.code ? (st.errors?.fieldErrors ?? {}) : {},
        conflict: st.code === rule.code && st.conflict ? true : false,
      }
    })
    const savedRule = found.find((x) => x.code === q.rule)
    // the categories the rules match, as the partnership names them
    const categoryLabels = await repo(request).categoryLabels(found.flatMap(({ definition: d }) => (d.kind === 'count' ? [d.match] : [d.first, d.second]).flatMap((m) => m.categories ?? [])))
    return reply.code(st.conflict ? 409 : st.errors ? 400 : 200).page('signals/views/rules.njk', {
      title: 'Risk signal rules',
      rules,
      categoryLabels,
      saved: savedRule && (q.saved === 'saved' || q.saved === 'unchanged') ? { what: q.saved, rule: savedRule } : null,
      windowRange: WINDOW_DAYS,
      countRange: MIN_COUNT,
      agencyRange: MIN_AGENCIES,
      errors: st.errors?.errors,
      backLink: '/settings',
    })
  }

  r.get(SIGNAL_RULES_URL, { permission: PERMISSION, audit: 'none: configuration, no case data' }, async (request, reply) => page(request, reply))

  r.post(`${SIGNAL_RULES_URL}/:ruleCode`, { permission: PERMISSION, audit: 'signal.rule.save' }, async (request, reply) => {
    const code = (request.params as { ruleCode: string }).ruleCode
    if (!CODE.test(code)) return reply.callNotFound()
    const rule = (await repo(request).rules()).find((x) => x.code === code)
    if (!rule) return reply.callNotFound()
    const values = (request.body ?? {}) as Values
    const parsed = parseForm(schemaFor(rule.definition.kind), values, rule.definition.kind === 'count' ? cross : undefined)
    if (!parsed.ok) return page(request, reply, { code, values, errors: forRule(code, parsed.errors) })
    const d = parsed.data as { version: number; active: 'yes' | 'no'; windowDays: number; minCount?: number; minAgencies?: number }
    try {
      const out = await repo(request).saveRule(code, { version: d.version, active: d.active === 'yes', windowDays: d.windowDays, ...(rule.definition.kind === 'count' ? { minCount: d.minCount!, minAgencies: d.minAgencies! } : {}) })
      if (!out) return reply.callNotFound()
      if ('conflict' in out) return page(request, reply, { code, values, conflict: out.conflict, errors: { errors: [{ text: `Someone else saved version ${out.conflict.version} of this rule while you were editing: nothing was saved. Check it and save again if yours is still right.`, href: `#${code}` }], fieldErrors: {} } })
      return reply.redirect(`${SIGNAL_RULES_URL}?saved=${'saved' in out ? 'saved' : 'unchanged'}&rule=${code}#${code}`, 303)
    } catch (err) {
      if (err instanceof RefusedError) return page(request, reply, { code, values, errors: forRule(code, { errors: [{ text: err.message, href: '#windowDays' }], fieldErrors: { windowDays: { text: err.message } } }) })
      throw err
    }
  })
}
