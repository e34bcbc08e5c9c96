// Partnership settings: bank holidays, school calendars, concern categories; and (tac-routes.ts) the
// team-around-the-child settings screens, summarised here for partnership administrators.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { RefusedError } from '../../data/unit-of-work.ts'
import { hasPermission } from '../../access/policy.ts'
import { TAC_SETTINGS_URL, tacSettingsRoutes } from './tac-routes.ts'
import { SETTINGS_TEXT_MAX } from '../../data/repositories/settings.ts'
import { dateError, oneValue, sentTwice } from '../../web/forms.ts'

type FieldError = { text: string; href: string }
/** A date field of a settings form: its error (linked to the field) when it is not a real date as YYYY-MM-DD. */
const dateCheck = (value: unknown, label: string, id: string): FieldError | null => {
  const text = dateError(String(value ?? '').trim(), label, { format: `Enter ${label.charAt(0).toLowerCase()}${label.slice(1)} as YYYY-MM-DD` })
  return text ? { text, href: `#${id}` } : null
}

/** A name or reason of at most `max` characters (the pages show them in a line). */
const lengthCheck = (value: unknown, max: number, label: string, id: string): FieldError | null =>
  String(value ?? '').trim().length > max ? { text: `${label} must be ${max} characters or fewer`, href: `#${id}` } : null

export async function settingsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { data } = deps
  await tacSettingsRoutes(app, deps)
  const r = routes(app)
  const repo = (req: FastifyRequest) => data.forActor(req.actor!).settings
  /** `typed`: what a refused form sent, by the form (its URL's last part), so that form shows it again. */
  const page = async (request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = [], done?: string, typed: Record<string, Record<string, string>> = {}) => {
    const s = await repo(request).calendar()
    const years = [...new Set(s.holidays.map((h) => h.on_date.slice(0, 4)))]
    const tac = hasPermission(request.actor!.role, 'partnership:administer') ? await data.forActor(request.actor!).tacSettings.overview() : null
    return reply.code(errors.length ? 400 : 200).page('settings/views/settings.njk', { title: tac ? 'Settings' : 'Calendars and lists', ...s, years, tac, tacUrl: TAC_SETTINGS_URL, errors, fieldErrors: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])), typed, done: done ?? (request.query as { done?: string }).done, backLink: '/' })
  }
  r.get('/settings', { permission: 'practitioner:administer', audit: 'none: configuration, no case data' }, async (request, reply) => page(request, reply))
  /**
   * A settings form's POST: its fields checked first (each error linked to its field), then run; a refusal is shown
   * linked to the form's main field (refusedAt).
   */
  const post = (url: string, audit: string, run: (request: FastifyRequest, body: Record<string, string>, params: Record<string, string>) => Promise<unknown>, refusedAt = '#main-content', check?: (body: Record<string, unknown>) => (FieldError | null)[], formKey = false) =>
    r.post(url, { permission: 'practitioner:administer', audit, record: url.includes(':'), formKey }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, string>
      // what was typed goes back into the refused form (never the token nor the form key)
      const typed = { [url.split('/').pop()!]: Object.fromEntries(Object.entries(body).filter(([k, v]) => typeof v === 'string' && k !== '_csrf' && k !== 'formKey')) }
      // these forms send each field once: a repeated one is refused, not saved as "a,b"
      const repeated = Object.keys(body).filter((k) => oneValue(body[k]) === null)
      if (repeated.length) return page(request, reply, [{ text: sentTwice(`The field “${repeated[0]}”`), href: refusedAt }], undefined, typed)
      const errors = (check?.(body) ?? []).filter((e): e is FieldError => e !== null)
      if (errors.length) return page(request, reply, errors, undefined, typed)
      try {
        const done = await run(request, body, request.params as Record<string, string>)
        if (!done) return reply.callNotFound()
      } catch (err) {
        if (err instanceof RefusedError) return page(request, reply, [{ text: err.message, href: refusedAt }], undefined, typed)
        throw err
      }
      return reply.redirect('/settings?done=1', 303)
    })
  post('/settings/bank-holidays', 'settings.bank-holiday.add', (q, b) => repo(q).addBankHoliday(String(b.date ?? '').trim(), String(b.name ?? '')), '#bh-date', (b) => [dateCheck(b.date, 'The date of the bank holiday', 'bh-date'), lengthCheck(b.name, SETTINGS_TEXT_MAX.bankHolidayName, 'The name of the bank holiday', 'bh-name')])
  post('/settings/bank-holidays/:dateId/remove', 'settings.bank-holiday.remove', (q, _b, p) => repo(q).removeBankHoliday(p.dateId!))
  post('/settings/terms', 'settings.term.add', (q, b) => repo(q).addTerm(String(b.name ?? ''), String(b.startsOn ?? '').trim(), String(b.endsOn ?? '').trim()), '#term-name', (b) => [lengthCheck(b.name, SETTINGS_TEXT_MAX.termName, 'The name of the term', 'term-name'), dateCheck(b.startsOn, 'The first day of the term', 'startsOn'), dateCheck(b.endsOn, 'The last day of the term', 'endsOn')], true)
  post('/settings/terms/:termId/remove', 'settings.term.remove', (q, _b, p) => repo(q).removeTerm(p.termId!))
  post('/settings/closures', 'settings.closure.add', (q, b) => repo(q).addClosure(String(b.date ?? '').trim(), String(b.reason ?? '')), '#closure-date', (b) => [dateCheck(b.date, 'The closure date', 'closure-date'), lengthCheck(b.reason, SETTINGS_TEXT_MAX.closureReason, 'The reason', 'closure-reason')], true)
  post('/settings/closures/:closureId/remove', 'settings.closure.remove', (q, _b, p) => repo(q).removeClosure(p.closureId!))
  post('/settings/start-of-day', 'settings.start-of-day', (q, b) => repo(q).setStartOfDay(String(b.time ?? '')), '#time')
  post('/settings/categories', 'settings.category.add', (q, b) => repo(q).addCategory(String(b.label ?? '')), '#label')
  post('/settings/categories/:categoryId/active', 'settings.category.active', (q, b, p) => repo(q).setCategoryActive(p.categoryId!, b.active === 'yes'))

  // ---- renaming a concern category (the "Change" link by each category: a page with its name) ----
  // Only the partnership administrator (the gate; the repository refuses anyone else too); the URL names the category
  // by its code, which never changes, so another partnership's category (or none) is not found. The form carries
  // the name it was opened with (a stale form is shown again with the current name, the typed one kept) and the
  // page's form key (sent twice, one rename).
  const CATEGORY_CODE = /^[a-z0-9_]{1,60}$/
  type RenameState = { typed?: string; errors?: FieldError[]; stale?: string }
  const renamePage = async (request: FastifyRequest, reply: FastifyReply, st: RenameState = {}) => {
    const { categoryId } = request.params as { categoryId: string }
    const category = CATEGORY_CODE.test(categoryId) ? await repo(request).category(categoryId) : null
    if (!category) return reply.callNotFound()
    const errors = st.errors ?? []
    return reply.code(st.stale !== undefined ? 409 : errors.length ? 400 : 200).page('settings/views/category-rename.njk', {
      title: `Change the name of the category “${category.label}”`,
      category,
      value: st.typed ?? category.label,
      // a stale form is opened again at the current name, so saving it once more renames from there
      from: category.label,
      stale: st.stale !== undefined,
      errors,
      fieldErrors: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
      backLink: '/settings#categories',
    })
  }
  r.get('/settings/categories/:categoryId/rename', { permission: 'partnership:administer', audit: 'none: configuration, no case data', record: true }, async (request, reply) => renamePage(request, reply))
  r.post('/settings/categories/:categoryId/rename', { permission: 'partnership:administer', audit: 'settings.category.rename', record: true, formKey: true }, async (request, reply) => {
    const { categoryId } = request.params as { categoryId: string }
    if (!CATEGORY_CODE.test(categoryId)) return reply.callNotFound()
    const body = (request.body ?? {}) as Record<string, unknown>
    const [label, from] = [oneValue(body.label), oneValue(body.from)]
    if (label === null || from === null) return renamePage(request, reply, { typed: label ?? '', errors: [{ text: sentTwice(`The field “${label === null ? 'label' : 'from'}”`), href: '#label' }] })
    const clean = label.trim()
    const check = !clean ? 'Enter the category’s name' : clean.length > SETTINGS_TEXT_MAX.categoryLabel ? `The category’s name must be ${SETTINGS_TEXT_MAX.categoryLabel} characters or fewer` : !from ? 'Reload the page and try again: the form did not say which name it changed' : null
    if (check) return renamePage(request, reply, { typed: label, errors: [{ text: check, href: '#label' }] })
    try {
      const out = await repo(request).renameCategory(categoryId, clean, from)
      if (!out) return reply.callNotFound()
      if ('stale' in out) return renamePage(request, reply, { typed: label, stale: out.stale.current })
    } catch (err) {
      if (err instanceof RefusedError) return renamePage(request, reply, { typed: label, errors: [{ text: err.message, href: '#label' }] })
      throw err
    }
    return reply.redirect('/settings?done=category#categories', 303)
  })
}
