// Nunjucks with the GOV.UK Frontend macros (globals: no template imports them); search path: our layouts, the
// modules' views, govuk-frontend.
import fs from 'node:fs'
import path from 'node:path'
import nunjucks from 'nunjucks'
import { ROLE_LABELS, isRole } from '../../access/policy.ts'
import { londonParts } from '../../web/dates.ts'

export interface Renderer {
  render(template: string, context: Record<string, unknown>): string
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
// London dates and times as GOV.UK writes them ("29 November 2026", "6:19pm"), from the wall-clock parts of
// src/web/dates.ts rather than an Intl format per value: pages format dozens of them (tested against Intl)
const londonDate = (d: Date) => {
  const l = londonParts(d)
  return `${l.d} ${MONTHS[l.m - 1]} ${l.y}`
}
const londonTime = (d: Date) => {
  const l = londonParts(d)
  return `${l.h % 12 || 12}:${String(l.mi).padStart(2, '0')}${l.h < 12 ? 'am' : 'pm'}`
}

export const RELATIONSHIP_LABELS: Record<string, string> = {
  pupil_at: 'Pupil at your school',
  agency_record: 'Your agency holds a record',
  allocated_worker: 'Allocated worker',
  front_door_contact: 'Open contact at the front door',
  team_member: 'Member of the team around the child',
  break_glass: 'Emergency access (break-glass)',
  self_claimed: 'Self-claimed relationship',
}

export function formatDate(value: unknown): string {
  if (!value) return ''
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    // a calendar date (a date of birth): no time zone, so no London offset
    const [y, m, d] = value.split('-').map(Number)
    const t = new Date(Date.UTC(y!, m! - 1, d!))
    return `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}`
  }
  return londonDate(new Date(value as string))
}

export function formatDateTime(value: unknown): string {
  if (!value) return ''
  const d = new Date(value as string)
  return `${londonDate(d)} at ${londonTime(d)}`
}

export function ageFrom(dob: string | null, now = new Date()): string {
  if (!dob) return ''
  const [y, m, d] = dob.split('-').map(Number)
  let age = now.getUTCFullYear() - y!
  if (now.getUTCMonth() + 1 < m! || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d!)) age--
  return age < 1 ? 'under 1' : String(age)
}

/** Chronology entry types whose names do not read well humanised (the rest: "missing_found" → "Missing found"). */
export const ENTRY_TYPE_LABELS: Record<string, string> = {
  tac_started: 'Team around the child started',
  tac_member_joined: 'Joined the team around the child',
  tac_member_left: 'Left the team around the child',
  tac_lead_changed: 'Lead practitioner changed',
  tac_closed: 'Team around the child closed',
  dsl_action: 'DSL action',
  cp_conference: 'Child protection conference',
  cp_plan: 'Child protection plan',
  s47_outcome: 'Section 47 enquiry outcome',
  mace_panel: 'Exploitation (MACE) panel',
  mace_referral: 'Referral to the exploitation (MACE) panel',
  mace_review: 'Exploitation (MACE) review',
  plan_change: 'Plan changed',
  information_request: 'Request for information',
  information_shared: 'Information shared on request',
}

/** A code as words: "missing_found" → "Missing found"; nothing for nothing. */
export const humanise = (s: string | null | undefined): string => (s ? s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ') : '')

export function entryTypeLabel(type: string): string {
  return ENTRY_TYPE_LABELS[type] ?? humanise(type)
}

/**
 * A category as the partnership names it (its concern_category label, from src/data/category-labels.ts), or, for a
 * code the partnership does not have (an agency's import may carry its own), the code humanised; nothing for nothing.
 */
export function categoryLabel(code: string | null | undefined, labels: Readonly<Record<string, string>> | null | undefined): string {
  if (!code) return ''
  return labels && Object.hasOwn(labels, code) ? labels[code]! : humanise(code)
}

export function createRenderer(root: string, watch: boolean): Renderer {
  void watch
  const env = nunjucksEnvironment(root, { importsAsGlobals: true })
  return { render: (template, context) => env.render(template, context) }
}

/**
 * The Nunjucks environment of the pages: our layouts, the modules' views and govuk-frontend on the search path, our
 * filters, and every GOV.UK Frontend macro as a global (govukButton, govukSummaryList, …, and the helpers
 * govukAttributes, govukI18nAttributes and govukLogo).
 *
 * A template's `{% from "x/macro.njk" import govukX %}` runs that file again on every render — Nunjucks does not keep
 * what a template exports — and govuk-frontend's own templates do it everywhere: its page template imports five
 * macro files, and each component imports govukAttributes (and often govukHint, govukLabel, …) every time it is
 * called. With `importsAsGlobals`, govuk-frontend's files are read with each such import left out when every name
 * it imports is one of the globals, so the name is found among the globals instead: the same macro, the same
 * output (a test renders every fixture govuk-frontend publishes both ways). Rendering the bare layout went from about
 * 112 to 33 µs. Our own templates import nothing: they use the globals.
 */
export function nunjucksEnvironment(root: string, opts: { importsAsGlobals: boolean }): nunjucks.Environment {
  const govuk = path.join(root, 'node_modules/govuk-frontend/dist')
  const macros = govukMacroFiles(govuk)
  const globals = new Set(macros.map((m) => m.name))
  const searchPath = [path.join(root, 'src/web/views'), path.join(root, 'src/modules'), govuk]
  const loader = opts.importsAsGlobals ? new GlobalImportsLoader(searchPath, govuk, globals) : new nunjucks.FileSystemLoader(searchPath, { noCache: false, watch: false })
  const env = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false })
  env.addFilter('date', formatDate)
  env.addFilter('dateTime', formatDateTime)
  env.addFilter('age', (dob: string | null) => ageFrom(dob))
  env.addFilter('roleLabel', (r: string) => (isRole(r) ? ROLE_LABELS[r] : r))
  env.addFilter('relationshipLabel', (r: string) => RELATIONSHIP_LABELS[r] ?? r)
  env.addFilter('entryType', entryTypeLabel)
  env.addFilter('humanise', humanise)
  env.addFilter('categoryLabel', categoryLabel)
  env.addFilter('number', (n: number) => Number(n).toLocaleString('en-GB'))
  for (const { file, name } of macros) {
    // getExported is Nunjucks' own (what `{% from %}` calls), missing from its type declarations; it answers at once
    const template = env.getTemplate(file) as unknown as { getExported(cb: (err: Error | null, exported: Record<string, unknown>) => void): void }
    template.getExported((err, exported) => {
      if (err) throw err
      const macro = exported[name]
      if (typeof macro !== 'function') throw new Error(`${file} does not export ${name}`)
      env.addGlobal(name, macro)
    })
  }
  return env
}

/** govuk-frontend's macros: each component's (`govukX` of components/x/macro.njk) and the helpers in macros/*.njk. */
function govukMacroFiles(govuk: string): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = []
  const components = path.join(govuk, 'govuk/components')
  for (const dir of fs.readdirSync(components)) {
    if (!fs.existsSync(path.join(components, dir, 'macro.njk'))) continue
    out.push({ file: `govuk/components/${dir}/macro.njk`, name: `govuk${dir.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}` })
  }
  const helpers = path.join(govuk, 'govuk/macros')
  for (const f of fs.readdirSync(helpers).filter((x) => x.endsWith('.njk'))) {
    for (const m of fs.readFileSync(path.join(helpers, f), 'utf8').matchAll(/\{%-?\s*macro\s+(\w+)\s*\(/g)) out.push({ file: `govuk/macros/${f}`, name: m[1]! })
  }
  return out
}

const FROM_IMPORT = /\{%(-?)\s*from\s+"[^"]+"\s+import\s+([\w\s,]+?)\s*(-?)%\}/g

/** govuk-frontend's templates with each import of globals left out; the tag's whitespace control is kept. */
class GlobalImportsLoader extends nunjucks.FileSystemLoader {
  private readonly govuk: string
  private readonly globals: ReadonlySet<string>

  constructor(searchPath: string[], govuk: string, globals: ReadonlySet<string>) {
    super(searchPath, { noCache: false, watch: false })
    this.govuk = govuk
    this.globals = globals
  }

  override getSource(name: string): nunjucks.LoaderSource {
    const source = super.getSource(name)
    if (!source || !source.path.startsWith(this.govuk + path.sep)) return source
    const src = source.src.replace(FROM_IMPORT, (tag, before: string, names: string, after: string) =>
      names.split(',').every((n) => this.globals.has(n.trim())) ? `{%${before} if false %}{% endif ${after}%}` : tag,
    )
    return { ...source, src }
  }
}
