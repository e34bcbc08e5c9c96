// The partnership administrator's team-around-the-child settings screens: assessment domains, the statutory visit
// frequency, the exploitation screening rules (versioned, with their history) and the MACE panel's teams. Thin
// handlers: forms validated here (GOV.UK error summary, input kept), the repository checks the version the form
// was opened at (409 with both versions when someone else saved first) and writes the audit row.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { fieldError, parseForm, versionField, type CrossCheck, type FormErrors } from '../../web/forms.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { DEFAULT_DOMAINS, type Domain } from '../assessments/codes.ts'
import { DEFAULT_VISIT_WORKING_DAYS } from '../visits/visit-clock.ts'
import { DEFAULT_RULES, MAX_SCORE, type ExploitationRules } from '../exploitation/scoring.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { MAX_DOMAINS, MAX_INDICATORS, VISIT_DAYS_MAX, VISIT_DAYS_MIN, type SettingState } from './tac-settings.ts'

export const TAC_SETTINGS_URL = '/settings/team-around-the-child'
const U = TAC_SETTINGS_URL
const PERMISSION = 'partnership:administer' as const
/** Blank rows offered for new exploitation screening questions on each save. */
export const NEW_INDICATOR_ROWS = 3

type Values = Record<string, unknown>
const bodyOf = (request: FastifyRequest) => (request.body ?? {}) as Values
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '')
const rowVersion = versionField('Reload the page and try again', 0)
const optionalText = (max: number, what: string) => z.string().trim().max(max, `${what} must be ${max} characters or fewer`).optional().default('')
/** Indices of the rows a list form posted (`key_0`, `key_1`, …), in order, at most `max`. */
const rowsOf = (values: Values, field: string, max: number) =>
  Object.keys(values)
    .map((k) => new RegExp(`^${field}_(\\d{1,3})$`).exec(k))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => Number(m[1]))
    .filter((n) => n < max)
    .sort((a, b) => a - b)

// ---- assessment domains ----
function domainsSchema(rows: number[]) {
  const shape: Record<string, z.ZodType> = { rowVersion, newLabel: optionalText(100, 'The new domain’s name'), newSide: optionalText(100, 'The new domain’s heading') }
  for (const k of rows) {
    shape[`key_${k}`] = z.string().regex(/^[a-z0-9_]{1,60}$/, 'Reload the page and try again')
    shape[`label_${k}`] = z.string({ message: `Enter a name for domain ${k + 1}` }).trim().min(1, `Enter a name for domain ${k + 1}`).max(100, `The name of domain ${k + 1} must be 100 characters or fewer`)
    shape[`side_${k}`] = optionalText(100, `The heading of domain ${k + 1}`)
    shape[`position_${k}`] = z
      .string({ message: `Enter a position for domain ${k + 1}` })
      .trim()
      .regex(/^\d{1,2}$/, `Enter the position of domain ${k + 1} as a whole number from 1 to 99`)
      .transform(Number)
      .refine((n) => n >= 1 && n <= 99, `Enter the position of domain ${k + 1} as a whole number from 1 to 99`)
    shape[`retired_${k}`] = z.enum(['yes', ''], { message: 'Reload the page and try again' }).optional().default('')
  }
  return z.object(shape)
}
const domainsCross =
  (rows: number[]): CrossCheck =>
  (v) => {
    const out: { path: string; message: string }[] = []
    const seen = new Map<string, number>()
    for (const k of rows) {
      const l = str(v[`label_${k}`]).trim().toLowerCase()
      if (!l) continue
      if (seen.has(l)) out.push({ path: `label_${k}`, message: `Domain ${k + 1} has the same name as domain ${seen.get(l)! + 1}: give each domain a different name` })
      else seen.set(l, k)
    }
    const added = str(v.newLabel).trim().toLowerCase()
    if (added && seen.has(added)) out.push({ path: 'newLabel', message: `There is already a domain called ‘${str(v.newLabel).trim()}’` })
    if (!added && str(v.newSide).trim()) out.push({ path: 'newLabel', message: 'Enter a name for the new domain, or clear its heading' })
    if (rows.length && !added && rows.every((k) => str(v[`retired_${k}`]) === 'yes')) out.push({ path: `retired_${rows[0]}`, message: 'Keep at least one domain in use: new assessments need at least one' })
    if (added && rows.length >= MAX_DOMAINS) out.push({ path: 'newLabel', message: `A partnership can have up to ${MAX_DOMAINS} domains: retire one instead of adding another` })
    return out
  }

// ---- visit frequency ----
const visitSchema = z.object({
  rowVersion,
  days: z
    .string({ message: 'Enter the number of working days' })
    .trim()
    .min(1, 'Enter the number of working days')
    .regex(/^\d{1,3}$/, `Enter a whole number of working days from ${VISIT_DAYS_MIN} to ${VISIT_DAYS_MAX}`)
    .transform(Number)
    .refine((n) => n >= VISIT_DAYS_MIN && n <= VISIT_DAYS_MAX, `Enter a whole number of working days from ${VISIT_DAYS_MIN} to ${VISIT_DAYS_MAX}`),
})

// ---- exploitation rules ----
const threshold = (what: string) =>
  z
    .string({ message: `Enter the score at which the risk is ${what}` })
    .trim()
    .min(1, `Enter the score at which the risk is ${what}`)
    .regex(/^\d{1,3}$/, `Enter the ${what} threshold as a whole number`)
    .transform(Number)
    .refine((n) => n >= 1, `The ${what} threshold must be at least 1`)
function rulesSchemaFor(rows: number[]) {
  const shape: Record<string, z.ZodType> = { rowVersion, medium: threshold('medium'), high: threshold('high'), anyThreeIsHigh: z.enum(['yes', 'no'], { message: 'Say whether any question scored 3 makes the risk high' }) }
  for (const k of rows) {
    shape[`code_${k}`] = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'Reload the page and try again')
    shape[`label_${k}`] = z.string({ message: `Enter question ${k + 1}` }).trim().min(1, `Enter question ${k + 1}, or tick ‘Remove’`).max(200, `Question ${k + 1} must be 200 characters or fewer`)
    shape[`hint_${k}`] = optionalText(500, `The hint for question ${k + 1}`)
    shape[`remove_${k}`] = z.enum(['yes', ''], { message: 'Reload the page and try again' }).optional().default('')
  }
  for (let n = 1; n <= NEW_INDICATOR_ROWS; n++) {
    shape[`newLabel_${n}`] = optionalText(200, `New question ${n}`)
    shape[`newHint_${n}`] = optionalText(500, `The hint for new question ${n}`)
  }
  return z.object(shape)
}
const rulesCross =
  (rows: number[]): CrossCheck =>
  (v) => {
    const out: { path: string; message: string }[] = []
    const labels = new Map<string, string>()
    let count = 0
    for (const k of rows) {
      if (str(v[`remove_${k}`]) === 'yes') continue
      count++
      const l = str(v[`label_${k}`]).trim().toLowerCase()
      if (l && labels.has(l)) out.push({ path: `label_${k}`, message: `Question ${k + 1} is the same as ${labels.get(l)}: remove one of them` })
      else if (l) labels.set(l, `question ${k + 1}`)
    }
    for (let n = 1; n <= NEW_INDICATOR_ROWS; n++) {
      const l = str(v[`newLabel_${n}`]).trim()
      if (!l) {
        if (str(v[`newHint_${n}`]).trim()) out.push({ path: `newLabel_${n}`, message: `Enter new question ${n}, or clear its hint` })
        continue
      }
      count++
      if (labels.has(l.toLowerCase())) out.push({ path: `newLabel_${n}`, message: `New question ${n} is the same as ${labels.get(l.toLowerCase())}` })
      else labels.set(l.toLowerCase(), `new question ${n}`)
    }
    if (count === 0) out.push({ path: rows.length ? `remove_${rows[0]}` : 'newLabel_1', message: 'Keep at least one question' })
    if (count > MAX_INDICATORS) out.push({ path: 'newLabel_1', message: `Screening can ask up to ${MAX_INDICATORS} questions: remove one before adding another` })
    const medium = Number(str(v.medium).trim())
    const high = Number(str(v.high).trim())
    const max = count * MAX_SCORE
    if (/^\d+$/.test(str(v.medium).trim()) && /^\d+$/.test(str(v.high).trim())) {
      if (medium > high) out.push({ path: 'medium', message: 'The medium threshold cannot be above the high threshold' })
      else if (count && high > max) out.push({ path: 'high', message: `The high threshold cannot be above the highest possible score (${max}: ${count} questions scored up to ${MAX_SCORE})` })
    }
    return out
  }

// ---- MACE panel ----
const panelSchema = z.object({
  rowVersion,
  teams: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((t) => (t === undefined || t === '' ? [] : Array.isArray(t) ? t : [t]))
    .refine((t) => t.length <= 100 && t.every(isUuid), 'Choose from the police teams listed'),
})

export async function tacSettingsRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).tacSettings
  const saved = (request: FastifyRequest) => (request.query as { saved?: string }).saved
  const done = (reply: FastifyReply, url: string, what: 'saved' | 'unchanged') => reply.redirect(`${url}?saved=${what}`, 303)
  const conflictOf = <T>(c: { current: T; state: SettingState }) => ({ ...c.state, current: c.current })

  // ---- assessment domains ----
  interface DomainsState {
    values?: Values
    errors?: FormErrors
    conflict?: { current: Domain[]; state: SettingState }
  }
  async function domainsPage(request: FastifyRequest, reply: FastifyReply, st: DomainsState = {}) {
    const found = await repo(request).domains()
    const posted = st.values ? rowsOf(st.values, 'key', MAX_DOMAINS).map((k) => str(st.values![`key_${k}`])) : null
    // yours on top of theirs when the list is still the same domains; otherwise theirs (and yours shown beside)
    const keepYours = posted !== null && posted.join() === found.domains.map((d) => d.key).join()
    const rows = found.domains.map((d, k) => ({
      k,
      key: d.key,
      uses: d.uses,
      label: keepYours ? str(st.values![`label_${k}`]) : d.label,
      side: keepYours ? str(st.values![`side_${k}`]) : d.side,
      position: keepYours ? str(st.values![`position_${k}`]) : String(k + 1),
      retired: keepYours ? str(st.values![`retired_${k}`]) === 'yes' : Boolean(d.retired),
    }))
    const yours = st.conflict && st.values ? rowsOf(st.values, 'key', MAX_DOMAINS).map((k) => ({ label: str(st.values![`label_${k}`]), side: str(st.values![`side_${k}`]), retired: str(st.values![`retired_${k}`]) === 'yes' })) : []
    return reply.code(st.conflict ? 409 : st.errors ? 400 : 200).page('settings/views/domains.njk', {
      title: 'Early help assessment domains',
      rows,
      state: found.state,
      sides: [...new Set(DEFAULT_DOMAINS.map((d) => d.side))],
      values: { newLabel: str(st.values?.newLabel), newSide: str(st.values?.newSide) },
      conflict: st.conflict ? { ...conflictOf(st.conflict), yours, keptYours: keepYours } : null,
      saved: saved(request),
      errors: st.errors?.errors,
      fieldErrors: st.errors?.fieldErrors ?? {},
      backLink: '/settings',
    })
  }
  r.get(`${U}/assessment-domains`, { permission: PERMISSION, audit: 'none: configuration, no case data' }, async (request, reply) => domainsPage(request, reply))
  r.post(`${U}/assessment-domains`, { permission: PERMISSION, audit: 'settings.assessment-domains' }, async (request, reply) => {
    const values = bodyOf(request)
    const rows = rowsOf(values, 'key', MAX_DOMAINS)
    const parsed = parseForm(domainsSchema(rows), values, domainsCross(rows))
    if (!parsed.ok) return domainsPage(request, reply, { values, errors: parsed.errors })
    const d = parsed.data as Record<string, unknown>
    try {
      const out = await repo(request).saveDomains({
        rowVersion: d.rowVersion as number,
        rows: rows.map((k) => ({ key: d[`key_${k}`] as string, label: d[`label_${k}`] as string, side: d[`side_${k}`] as string, position: d[`position_${k}`] as number, retired: d[`retired_${k}`] === 'yes' })),
        add: d.newLabel ? { label: d.newLabel as string, side: d.newSide as string } : null,
      })
      if ('conflict' in out) return domainsPage(request, reply, { values, conflict: out.conflict })
      return done(reply, `${U}/assessment-domains`, 'saved' in out ? 'saved' : 'unchanged')
    } catch (err) {
      if (err instanceof RefusedError) return domainsPage(request, reply, { values, errors: fieldError(err.message, /name/.test(err.message) ? 'newLabel' : rows.length ? `label_${rows[0]}` : 'newLabel') })
      throw err
    }
  })

  // ---- statutory visit frequency ----
  async function visitPage(request: FastifyRequest, reply: FastifyReply, st: { values?: Values; errors?: FormErrors; conflict?: { current: number; state: SettingState } } = {}) {
    const found = await repo(request).visitFrequency()
    return reply.code(st.conflict ? 409 : st.errors ? 400 : 200).page('settings/views/visit-frequency.njk', {
      title: 'Statutory visits to children on child protection plans',
      ...found,
      defaultDays: DEFAULT_VISIT_WORKING_DAYS,
      min: VISIT_DAYS_MIN,
      max: VISIT_DAYS_MAX,
      values: { days: st.values ? str(st.values.days) : String(found.days) },
      conflict: st.conflict ? conflictOf(st.conflict) : null,
      saved: saved(request),
      errors: st.errors?.errors,
      fieldErrors: st.errors?.fieldErrors ?? {},
      backLink: '/settings',
    })
  }
  r.get(`${U}/visit-frequency`, { permission: PERMISSION, audit: 'none: configuration, no case data' }, async (request, reply) => visitPage(request, reply))
  r.post(`${U}/visit-frequency`, { permission: PERMISSION, audit: 'settings.visit-frequency' }, async (request, reply) => {
    const values = bodyOf(request)
    const parsed = parseForm(visitSchema, values)
    if (!parsed.ok) return visitPage(request, reply, { values, errors: parsed.errors })
    try {
      const out = await repo(request).saveVisitFrequency(parsed.data)
      if ('conflict' in out) return visitPage(request, reply, { values, conflict: out.conflict })
      return done(reply, `${U}/visit-frequency`, 'saved' in out ? 'saved' : 'unchanged')
    } catch (err) {
      if (err instanceof RefusedError) return visitPage(request, reply, { values, errors: fieldError(err.message, 'days') })
      throw err
    }
  })

  // ---- exploitation screening rules ----
  interface RulesState {
    values?: Values
    errors?: FormErrors
    conflict?: { current: ExploitationRules; state: SettingState }
  }
  async function rulesPage(request: FastifyRequest, reply: FastifyReply, st: RulesState = {}) {
    const found = await repo(request).rules()
    const v = st.values
    const posted = v ? rowsOf(v, 'code', MAX_INDICATORS).map((k) => str(v[`code_${k}`])) : null
    const keepYours = posted !== null && posted.join() === found.rules.indicators.map((i) => i.code).join()
    const rows = found.rules.indicators.map((i, k) => ({
      k,
      code: i.code,
      label: keepYours ? str(v![`label_${k}`]) : i.label,
      hint: keepYours ? str(v![`hint_${k}`]) : i.hint,
      remove: keepYours && str(v![`remove_${k}`]) === 'yes',
    }))
    const added = Array.from({ length: NEW_INDICATOR_ROWS }, (_, n) => ({ n: n + 1, label: str(v?.[`newLabel_${n + 1}`]), hint: str(v?.[`newHint_${n + 1}`]) }))
    const yours = st.conflict && v ? { indicators: rowsOf(v, 'code', MAX_INDICATORS).map((k) => ({ label: str(v[`label_${k}`]), remove: str(v[`remove_${k}`]) === 'yes' })), medium: str(v.medium), high: str(v.high), anyThreeIsHigh: str(v.anyThreeIsHigh) } : null
    return reply.code(st.conflict ? 409 : st.errors ? 400 : 200).page('settings/views/rules.njk', {
      title: 'Exploitation screening rules',
      rules: found.rules,
      state: found.state,
      history: found.history,
      rows,
      added,
      values: v ? { medium: str(v.medium), high: str(v.high), anyThreeIsHigh: str(v.anyThreeIsHigh) } : { medium: String(found.rules.thresholds.medium), high: String(found.rules.thresholds.high), anyThreeIsHigh: found.rules.anyThreeIsHigh ? 'yes' : 'no' },
      defaults: DEFAULT_RULES,
      conflict: st.conflict ? { ...conflictOf(st.conflict), yours, keptYours: keepYours } : null,
      saved: saved(request),
      errors: st.errors?.errors,
      fieldErrors: st.errors?.fieldErrors ?? {},
      backLink: '/settings',
    })
  }
  r.get(`${U}/exploitation-rules`, { permission: PERMISSION, audit: 'none: configuration, no case data' }, async (request, reply) => rulesPage(request, reply))
  r.post(`${U}/exploitation-rules`, { permission: PERMISSION, audit: 'settings.exploitation-rules' }, async (request, reply) => {
    const values = bodyOf(request)
    const rows = rowsOf(values, 'code', MAX_INDICATORS)
    const parsed = parseForm(rulesSchemaFor(rows), values, rulesCross(rows))
    if (!parsed.ok) return rulesPage(request, reply, { values, errors: parsed.errors })
    const d = parsed.data as Record<string, unknown>
    try {
      const out = await repo(request).saveRules({
        rowVersion: d.rowVersion as number,
        indicators: rows.map((k) => ({ code: d[`code_${k}`] as string, label: d[`label_${k}`] as string, hint: d[`hint_${k}`] as string, remove: d[`remove_${k}`] === 'yes' })),
        added: Array.from({ length: NEW_INDICATOR_ROWS }, (_, n) => ({ label: d[`newLabel_${n + 1}`] as string, hint: d[`newHint_${n + 1}`] as string })).filter((a) => a.label),
        medium: d.medium as number,
        high: d.high as number,
        anyThreeIsHigh: d.anyThreeIsHigh === 'yes',
      })
      if ('conflict' in out) return rulesPage(request, reply, { values, conflict: out.conflict })
      return done(reply, `${U}/exploitation-rules`, 'saved' in out ? 'saved' : 'unchanged')
    } catch (err) {
      if (err instanceof RefusedError) return rulesPage(request, reply, { values, errors: fieldError(err.message, /threshold/.test(err.message) ? 'high' : 'newLabel_1') })
      throw err
    }
  })
  r.get(`${U}/exploitation-rules/versions/:version`, { permission: PERMISSION, audit: 'none: configuration, no case data' }, async (request, reply) => {
    const { version } = request.params as { version: string }
    if (!/^\d{1,6}$/.test(version)) return reply.callNotFound()
    const found = await repo(request).rulesVersion(Number(version))
    if (!found) return reply.callNotFound()
    return reply.page('settings/views/rules-version.njk', { title: `Exploitation screening rules, version ${version}`, ...found, backLink: `${U}/exploitation-rules` })
  })

  // ---- MACE panel ----
  async function panelPage(request: FastifyRequest, reply: FastifyReply, st: { values?: Values; errors?: FormErrors; conflict?: { current: string[]; state: SettingState } } = {}) {
    const found = await repo(request).panel()
    const posted = st.values ? (Array.isArray(st.values.teams) ? st.values.teams.map(String) : st.values.teams ? [String(st.values.teams)] : []) : null
    const chosen = posted ?? found.chosen
    return reply.code(st.conflict ? 409 : st.errors ? 400 : 200).page('settings/views/panel.njk', {
      title: 'The multi-agency child exploitation (MACE) panel',
      ...found,
      items: found.teams.map((t) => ({ value: t.id, text: `${t.name} (${t.agency})`, checked: chosen.includes(t.id), hint: t.inDefault ? { text: 'In the built-in default' } : undefined })),
      defaultTeams: found.teams.filter((t) => t.inDefault),
      conflict: st.conflict ? { ...conflictOf(st.conflict), currentTeams: found.teams.filter((t) => st.conflict!.current.includes(t.id)), yourTeams: found.teams.filter((t) => (posted ?? []).includes(t.id)) } : null,
      saved: saved(request),
      errors: st.errors?.errors,
      fieldErrors: st.errors?.fieldErrors ?? {},
      backLink: '/settings',
    })
  }
  r.get(`${U}/mace-panel`, { permission: PERMISSION, audit: 'none: configuration, no case data' }, async (request, reply) => panelPage(request, reply))
  r.post(`${U}/mace-panel`, { permission: PERMISSION, audit: 'settings.mace-panel' }, async (request, reply) => {
    const values = bodyOf(request)
    const parsed = parseForm(panelSchema, values)
    if (!parsed.ok) return panelPage(request, reply, { values, errors: parsed.errors })
    try {
      const out = await repo(request).savePanel({ rowVersion: parsed.data.rowVersion, teamIds: parsed.data.teams })
      if ('conflict' in out) return panelPage(request, reply, { values, conflict: out.conflict })
      return done(reply, `${U}/mace-panel`, 'saved' in out ? 'saved' : 'unchanged')
    } catch (err) {
      if (err instanceof RefusedError) return panelPage(request, reply, { values, errors: fieldError(err.message, 'teams') })
      throw err
    }
  })
}
