// The partnership's team-around-the-child settings, as screens for its administrators: the early-help assessment
// domains, the statutory visit frequency for children on child protection plans, the exploitation screening rules
// (versioned) and the teams that form the MACE panel. Each is one `partnership_setting` row, read afresh by the
// capability on every request, so a change applies at the next request.
//
// Concurrency: every row carries row_version; a save names the version the form was opened at and is refused with
// the current value (nothing overwritten) when someone else saved first. A form opened on a setting that has no row
// yet (the built-in default) names version 0, and only one of two such saves can create the row.
//
// Nothing here is case content: the screens show configuration, who changed it, and aggregate counts (how many
// assessments use a domain, how many screenings were scored under each rules version). Every change is audited.
import { sql, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import type { AuditRecord } from '../../data/audit.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { DEFAULT_DOMAINS, DOMAINS_SETTING, normaliseDomains, slug, type Domain } from '../assessments/codes.ts'
import { DEFAULT_VISIT_WORKING_DAYS, VISIT_SETTING } from '../visits/visit-clock.ts'
import { DEFAULT_RULES, parseRules, RULES_KEY, rulesArchiveKey, rulesSchema, type ExploitationRules, type Indicator } from '../exploitation/scoring.ts'
import { PANEL_TEAMS_KEY, panelMembershipIds } from '../exploitation/repository.ts'

/** The range the settings screen accepts: at least daily, at most six weeks of working days. */
export const VISIT_DAYS_MIN = 1
export const VISIT_DAYS_MAX = 30
export const MAX_DOMAINS = 40
export const MAX_INDICATORS = 40

/** Who last changed a setting, and the version a form must name to change it. */
export interface SettingState {
  rowVersion: number
  /** No row: the built-in default applies. */
  isDefault: boolean
  updatedAt: Date | null
  updatedBy: string | null
}

/** A save that found the setting changed since the form was opened: nothing was written; this is what is there now. */
export interface Conflict<T> {
  conflict: { current: T; state: SettingState }
}

export type SaveOutcome<T> = { saved: true } | { unchanged: true } | Conflict<T>

export interface DomainsInput {
  rowVersion: number
  rows: { key: string; label: string; side: string; position: number; retired: boolean }[]
  add: { label: string; side: string } | null
}

export interface RulesInput {
  rowVersion: number
  indicators: { code: string; label: string; hint: string; remove: boolean }[]
  added: { label: string; hint: string }[]
  medium: number
  high: number
  anyThreeIsHigh: boolean
}

export interface PanelTeam {
  id: string
  name: string
  agency: string
  /** Part of the built-in default (a police team whose name mentions exploitation). */
  inDefault: boolean
}

/** The stored panel teams, tolerant of anything odd in the row (only ids that look like ids). */
export function storedPanelTeams(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && isUuid(v)) : []
}

/** The stored visit frequency as the visits module reads it (anything unusable is the default). */
export function storedVisitDays(value: unknown): number {
  const n = typeof value === 'string' ? Number(value.trim()) : value
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 60 ? n : DEFAULT_VISIT_WORKING_DAYS
}

/** A code for a new indicator from its label: unique among every code the rules have ever used. */
export function indicatorCode(label: string, taken: ReadonlySet<string>): string {
  let base = slug(label).slice(0, 34)
  if (!/^[a-z]/.test(base)) base = `i_${base}`.slice(0, 34)
  let code = base
  for (let n = 2; taken.has(code); n++) code = `${base}_${n}`
  return code
}

const sameRules = (a: ExploitationRules, b: ExploitationRules) =>
  JSON.stringify({ i: a.indicators, t: a.thresholds, x: a.anyThreeIsHigh }) === JSON.stringify({ i: b.indicators, t: b.thresholds, x: b.anyThreeIsHigh })

export function tacSettingsRepository(ctx: Ctx, actor: Actor) {
  const P = actor.partnershipId
  /** The data layer's own gate: these settings are the partnership administrator's (the route checks it first). */
  const mayAdminister = () => {
    if (!hasPermission(actor.role, 'partnership:administer')) throw new RefusedError('Only a partnership administrator changes the team-around-the-child settings')
  }

  async function nameOf(trx: Transaction<DB>, membershipId: string | null): Promise<string | null> {
    if (!membershipId) return null
    const p = await trx.selectFrom('membership as m').innerJoin('practitioner as p', 'p.id', 'm.practitioner_id').select(['p.given_name', 'p.family_name']).where('m.id', '=', membershipId).executeTakeFirst()
    return p ? `${p.given_name} ${p.family_name}` : null
  }

  /** The row (locked when about to change it) and its state for the screens. */
  async function read(trx: Transaction<DB>, key: string, forUpdate = false): Promise<{ value: unknown; state: SettingState }> {
    let q = trx.selectFrom('partnership_setting').select(['value', 'row_version', 'updated_at', 'updated_by']).where('partnership_id', '=', P).where('key', '=', key)
    if (forUpdate) q = q.forUpdate()
    const row = await q.executeTakeFirst()
    if (!row) return { value: null, state: { rowVersion: 0, isDefault: true, updatedAt: null, updatedBy: null } }
    return { value: row.value, state: { rowVersion: row.row_version, isDefault: false, updatedAt: row.updated_at, updatedBy: await nameOf(trx, row.updated_by) } }
  }

  /** Writes the new value if the row is still at `expected`; false when someone else got there first. */
  async function write(trx: Transaction<DB>, key: string, expected: number, value: unknown, now: Date): Promise<boolean> {
    const json = JSON.stringify(value)
    if (expected === 0) {
      const r = await trx
        .insertInto('partnership_setting')
        .values({ partnership_id: P, key, value: json, updated_at: now, updated_by: actor.membershipId, row_version: 1 })
        .onConflict((oc) => oc.columns(['partnership_id', 'key']).doNothing())
        .returning('row_version')
        .execute()
      return r.length === 1
    }
    const r = await trx
      .updateTable('partnership_setting')
      .set({ value: json, updated_at: now, updated_by: actor.membershipId, row_version: sql<number>`row_version + 1` })
      .where('partnership_id', '=', P)
      .where('key', '=', key)
      .where('row_version', '=', expected)
      .returning('row_version')
      .execute()
    return r.length === 1
  }

  const audit = (action: string, key: string, outcome: 'success' | 'refused', details: Record<string, unknown>): AuditRecord => ({ action, outcome, entityType: 'partnership_setting', entityId: key, details })

  // ---- assessment domains ----
  async function domainsNow(trx: Transaction<DB>, forUpdate = false) {
    const { value, state } = await read(trx, DOMAINS_SETTING, forUpdate)
    return { domains: state.isDefault ? [...DEFAULT_DOMAINS] : normaliseDomains(value), state }
  }

  // ---- exploitation rules ----
  async function rulesNow(trx: Transaction<DB>, forUpdate = false) {
    const { value, state } = await read(trx, RULES_KEY, forUpdate)
    return { rules: state.isDefault ? DEFAULT_RULES : parseRules(value), state }
  }
  async function archived(trx: Transaction<DB>) {
    const rows = await trx.selectFrom('partnership_setting').select(['value', 'updated_at', 'updated_by']).where('partnership_id', '=', P).where('key', 'like', `${RULES_KEY}@v%`).execute()
    const out = new Map<number, { rules: ExploitationRules; at: Date | null; by: string | null }>()
    for (const r of rows) {
      const parsed = rulesSchema.safeParse(r.value)
      if (parsed.success) out.set(parsed.data.version, { rules: parsed.data, at: r.updated_at, by: r.updated_by })
    }
    return out
  }

  // ---- MACE panel ----
  async function policeTeams(trx: Transaction<DB>): Promise<PanelTeam[]> {
    const rows = await trx
      .selectFrom('team as t')
      .innerJoin('agency as a', 'a.id', 't.agency_id')
      .select(['t.id', 't.name', 'a.name as agency'])
      .where('t.partnership_id', '=', P)
      .where('a.kind', '=', 'police')
      .orderBy('a.name')
      .orderBy('t.name')
      .execute()
    return rows.map((t) => ({ ...t, inDefault: /exploit/i.test(t.name) }))
  }

  return {
    /** The four settings in one view, for the settings page. */
    async overview() {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => {
        const domains = await domainsNow(trx)
        const visit = await read(trx, VISIT_SETTING)
        const rules = await rulesNow(trx)
        const panel = await read(trx, PANEL_TEAMS_KEY)
        const teams = await policeTeams(trx)
        const chosen = storedPanelTeams(panel.value)
        return {
          domains: { active: domains.domains.filter((d) => !d.retired).length, retired: domains.domains.filter((d) => d.retired).length, state: domains.state },
          visit: { days: visit.state.isDefault ? DEFAULT_VISIT_WORKING_DAYS : storedVisitDays(visit.value), state: visit.state },
          rules: { version: rules.rules.version, indicators: rules.rules.indicators.length, thresholds: rules.rules.thresholds, state: rules.state },
          panel: { teams: chosen.length ? teams.filter((t) => chosen.includes(t.id)) : teams.filter((t) => t.inDefault), isDefault: !chosen.length, state: panel.state },
        }
      })
    },

    async domains() {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => {
        const { domains, state } = await domainsNow(trx)
        const uses = await trx.selectFrom('assessment_domain').select(['domain', (eb) => eb.fn.countAll<number>().as('n')]).where('partnership_id', '=', P).groupBy('domain').execute()
        const count = new Map(uses.map((u) => [u.domain, Number(u.n)]))
        return { domains: domains.map((d) => ({ ...d, uses: count.get(d.key) ?? 0 })), state }
      })
    },

    async saveDomains(input: DomainsInput): Promise<SaveOutcome<Domain[]>> {
      return auditedTransaction<SaveOutcome<Domain[]>>(ctx, actor, 'settings.assessment-domains', async (trx, now) => {
        mayAdminister()
        const { domains, state } = await domainsNow(trx, true)
        if (state.rowVersion !== input.rowVersion) return { result: { conflict: { current: domains, state } }, audit: audit('settings.assessment-domains', DOMAINS_SETTING, 'refused', { conflict: true, rowVersion: input.rowVersion, current: state.rowVersion }) }
        const byKey = new Map(domains.map((d) => [d.key, d]))
        const keys = input.rows.map((r) => r.key)
        if (keys.length !== domains.length || new Set(keys).size !== keys.length || keys.some((k) => !byKey.has(k))) throw new RefusedError('The list of domains on the form does not match the saved list: reload the page and make your changes again')
        // a domain given a new position goes before one that kept the same position (moving one to 1 puts it first)
        const was = new Map(domains.map((d, i) => [d.key, i + 1]))
        const next: (Domain & { position: number; moved: number; order: number })[] = input.rows.map((r, order) => ({ key: r.key, label: r.label, side: r.side, ...(r.retired ? { retired: true } : {}), position: r.position, moved: was.get(r.key) === r.position ? 1 : 0, order }))
        const added: string[] = []
        if (input.add) {
          const taken = new Set(keys)
          let key = slug(input.add.label)
          for (let n = 2; taken.has(key); n++) key = `${slug(input.add.label).slice(0, 55)}_${n}`
          next.push({ key, label: input.add.label, side: input.add.side, position: Number.MAX_SAFE_INTEGER, moved: 1, order: next.length })
          added.push(key)
        }
        const labels = next.map((d) => d.label.toLowerCase())
        if (new Set(labels).size !== labels.length) throw new RefusedError('Two domains have the same name: give each a different name')
        if (!next.some((d) => !d.retired)) throw new RefusedError('Keep at least one domain in use: new assessments need at least one')
        if (next.length > MAX_DOMAINS) throw new RefusedError(`A partnership can have up to ${MAX_DOMAINS} domains: retire one instead of adding another`)
        const ordered: Domain[] = next.sort((a, b) => a.position - b.position || a.moved - b.moved || a.order - b.order).map((d) => ({ key: d.key, label: d.label, side: d.side, ...(d.retired ? { retired: true } : {}) }))
        if (JSON.stringify(ordered) === JSON.stringify(domains)) return { result: { unchanged: true }, audit: audit('settings.assessment-domains', DOMAINS_SETTING, 'success', { unchanged: true }) }
        if (!(await write(trx, DOMAINS_SETTING, state.rowVersion, ordered, now))) {
          const again = await domainsNow(trx)
          return { result: { conflict: { current: again.domains, state: again.state } }, audit: audit('settings.assessment-domains', DOMAINS_SETTING, 'refused', { conflict: true }) }
        }
        const before = (k: string) => byKey.get(k)
        const details = {
          rowVersion: state.rowVersion + 1,
          added,
          renamed: ordered.filter((d) => before(d.key) && (before(d.key)!.label !== d.label || before(d.key)!.side !== d.side)).map((d) => d.key),
          retired: ordered.filter((d) => d.retired && before(d.key) && !before(d.key)!.retired).map((d) => d.key),
          reinstated: ordered.filter((d) => !d.retired && before(d.key)?.retired).map((d) => d.key),
          reordered: ordered.filter((d) => before(d.key)).map((d) => d.key).join() !== domains.map((d) => d.key).join(),
        }
        return { result: { saved: true }, audit: audit('settings.assessment-domains', DOMAINS_SETTING, 'success', details) }
      })
    },

    async visitFrequency() {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => {
        const { value, state } = await read(trx, VISIT_SETTING)
        return { days: state.isDefault ? DEFAULT_VISIT_WORKING_DAYS : storedVisitDays(value), state }
      })
    },

    async saveVisitFrequency(input: { rowVersion: number; days: number }): Promise<SaveOutcome<number>> {
      return auditedTransaction<SaveOutcome<number>>(ctx, actor, 'settings.visit-frequency', async (trx, now) => {
        mayAdminister()
        if (!Number.isInteger(input.days) || input.days < VISIT_DAYS_MIN || input.days > VISIT_DAYS_MAX) throw new RefusedError(`Enter a whole number of working days from ${VISIT_DAYS_MIN} to ${VISIT_DAYS_MAX}`)
        const { value, state } = await read(trx, VISIT_SETTING, true)
        const days = state.isDefault ? DEFAULT_VISIT_WORKING_DAYS : storedVisitDays(value)
        if (state.rowVersion !== input.rowVersion) return { result: { conflict: { current: days, state } }, audit: audit('settings.visit-frequency', VISIT_SETTING, 'refused', { conflict: true, rowVersion: input.rowVersion, current: state.rowVersion }) }
        if (days === input.days) return { result: { unchanged: true }, audit: audit('settings.visit-frequency', VISIT_SETTING, 'success', { unchanged: true, days }) }
        if (!(await write(trx, VISIT_SETTING, state.rowVersion, input.days, now))) {
          const again = await read(trx, VISIT_SETTING)
          return { result: { conflict: { current: storedVisitDays(again.value), state: again.state } }, audit: audit('settings.visit-frequency', VISIT_SETTING, 'refused', { conflict: true }) }
        }
        return { result: { saved: true }, audit: audit('settings.visit-frequency', VISIT_SETTING, 'success', { from: days, to: input.days, rowVersion: state.rowVersion + 1 }) }
      })
    },

    /** The current rules, and every version the partnership has had (newest first) with how many screenings used it. */
    async rules() {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => {
        const { rules, state } = await rulesNow(trx)
        const old = await archived(trx)
        if (!old.has(DEFAULT_RULES.version) && rules.version !== DEFAULT_RULES.version) old.set(DEFAULT_RULES.version, { rules: DEFAULT_RULES, at: null, by: null })
        const counts = new Map((await trx.selectFrom('exploitation_screening').select(['rules_version', (eb) => eb.fn.countAll<number>().as('n')]).where('partnership_id', '=', P).groupBy('rules_version').execute()).map((r) => [r.rules_version, Number(r.n)]))
        const versions = [...new Set([rules.version, ...old.keys()])].filter((v) => v <= rules.version).sort((a, b) => b - a)
        const history = []
        for (const v of versions) {
          const current = v === rules.version
          const r = current ? rules : old.get(v)!.rules
          const replaced = current ? null : old.get(v)!
          const before = old.get(v - 1)
          history.push({
            version: v,
            current,
            indicators: r.indicators.length,
            thresholds: r.thresholds,
            anyThreeIsHigh: r.anyThreeIsHigh,
            screenings: counts.get(v) ?? 0,
            from: current ? state.updatedAt : (before?.at ?? null),
            replacedAt: replaced?.at ?? null,
            replacedBy: replaced ? await nameOf(trx, replaced.by) : null,
          })
        }
        return { rules, state, history }
      })
    },

    /** One version of the rules (the current one, an archived one, or the built-in version 1), or null. */
    async rulesVersion(version: number) {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => {
        const { rules } = await rulesNow(trx)
        if (version === rules.version) return { rules, current: true }
        if (version > rules.version) return null
        const row = await trx.selectFrom('partnership_setting').select('value').where('partnership_id', '=', P).where('key', '=', rulesArchiveKey(version)).executeTakeFirst()
        const parsed = row ? rulesSchema.safeParse(row.value) : null
        if (parsed?.success) return { rules: parsed.data, current: false }
        return version === DEFAULT_RULES.version ? { rules: DEFAULT_RULES, current: false } : null
      })
    },

    async saveRules(input: RulesInput): Promise<SaveOutcome<ExploitationRules> | ({ saved: true; version: number })> {
      return auditedTransaction<SaveOutcome<ExploitationRules> | { saved: true; version: number }>(ctx, actor, 'settings.exploitation-rules', async (trx, now) => {
        mayAdminister()
        const { rules, state } = await rulesNow(trx, true)
        if (state.rowVersion !== input.rowVersion) return { result: { conflict: { current: rules, state } }, audit: audit('settings.exploitation-rules', RULES_KEY, 'refused', { conflict: true, rowVersion: input.rowVersion, current: state.rowVersion }) }
        const codes = input.indicators.map((i) => i.code)
        if (codes.length !== rules.indicators.length || codes.some((c, k) => c !== rules.indicators[k]!.code)) throw new RefusedError('The questions on the form do not match the saved rules: reload the page and make your changes again')
        const old = await archived(trx)
        const taken = new Set([...rules.indicators.map((i) => i.code), ...[...old.values()].flatMap((o) => o.rules.indicators.map((i) => i.code)), ...DEFAULT_RULES.indicators.map((i) => i.code)])
        const indicators: Indicator[] = input.indicators.filter((i) => !i.remove).map((i) => ({ code: i.code, label: i.label, hint: i.hint }))
        for (const a of input.added) {
          const code = indicatorCode(a.label, taken)
          taken.add(code)
          indicators.push({ code, label: a.label, hint: a.hint })
        }
        const version = Math.max(rules.version, ...old.keys()) + 1
        const parsed = rulesSchema.safeParse({ version, indicators, thresholds: { medium: input.medium, high: input.high }, anyThreeIsHigh: input.anyThreeIsHigh })
        if (!parsed.success) throw new RefusedError(parsed.error.issues.map((i) => (i.path[0] === 'indicators' && i.code === 'too_small' ? 'Keep at least one question' : i.message)).join('; '))
        const next = parsed.data
        if (next.thresholds.medium > indicators.length * 3 || next.thresholds.high > indicators.length * 3) throw new RefusedError(`The thresholds cannot be above the highest possible score (${indicators.length * 3})`)
        if (sameRules(next, rules)) return { result: { unchanged: true }, audit: audit('settings.exploitation-rules', RULES_KEY, 'success', { unchanged: true, version: rules.version }) }
        if (!(await write(trx, RULES_KEY, state.rowVersion, next, now))) {
          const again = await rulesNow(trx)
          return { result: { conflict: { current: again.rules, state: again.state } }, audit: audit('settings.exploitation-rules', RULES_KEY, 'refused', { conflict: true }) }
        }
        // the version replaced is archived under its own key (its content never changes; the row says when it was
        // replaced and by whom): screenings scored under it go on reading as they were scored
        await trx
          .insertInto('partnership_setting')
          .values({ partnership_id: P, key: rulesArchiveKey(rules.version), value: JSON.stringify(rules), updated_at: now, updated_by: actor.membershipId })
          .onConflict((oc) => oc.columns(['partnership_id', 'key']).doUpdateSet({ updated_at: now, updated_by: actor.membershipId }))
          .execute()
        const removed = rules.indicators.filter((i) => !next.indicators.some((n) => n.code === i.code)).map((i) => i.code)
        const addedCodes = next.indicators.filter((n) => !rules.indicators.some((i) => i.code === n.code)).map((i) => i.code)
        return {
          result: { saved: true, version },
          audit: audit('settings.exploitation-rules', RULES_KEY, 'success', { fromVersion: rules.version, toVersion: version, archivedAs: rulesArchiveKey(rules.version), added: addedCodes, removed, thresholds: next.thresholds, anyThreeIsHigh: next.anyThreeIsHigh }),
        }
      })
    },

    async panel() {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => {
        const now = ctx.clock.now()
        const { value, state } = await read(trx, PANEL_TEAMS_KEY)
        const teams = await policeTeams(trx)
        const chosen = storedPanelTeams(value).filter((id) => teams.some((t) => t.id === id))
        const ids = await panelMembershipIds(trx, P, now)
        const members = ids.length
          ? await trx
              .selectFrom('membership as m')
              .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
              .innerJoin('agency as a', 'a.id', 'm.agency_id')
              .leftJoin('team as t', 't.id', 'm.team_id')
              .select(['m.id', 'm.role', 'p.given_name', 'p.family_name', 'a.name as agency', 't.name as team'])
              .where('m.id', 'in', ids)
              .orderBy('a.name')
              .orderBy('p.family_name')
              .orderBy('p.given_name')
              .execute()
          : []
        return { teams, chosen, isDefault: !chosen.length, members, state }
      })
    },

    async savePanel(input: { rowVersion: number; teamIds: string[] }): Promise<SaveOutcome<string[]>> {
      return auditedTransaction<SaveOutcome<string[]>>(ctx, actor, 'settings.mace-panel', async (trx, now) => {
        mayAdminister()
        const { value, state } = await read(trx, PANEL_TEAMS_KEY, true)
        const teams = await policeTeams(trx)
        const before = storedPanelTeams(value)
        if (state.rowVersion !== input.rowVersion) return { result: { conflict: { current: before, state } }, audit: audit('settings.mace-panel', PANEL_TEAMS_KEY, 'refused', { conflict: true, rowVersion: input.rowVersion, current: state.rowVersion }) }
        const chosen = [...new Set(input.teamIds)]
        if (chosen.some((id) => !teams.some((t) => t.id === id))) throw new RefusedError('Choose from the police teams listed')
        const ordered = teams.filter((t) => chosen.includes(t.id)).map((t) => t.id)
        if (!state.isDefault && ordered.join() === before.join()) return { result: { unchanged: true }, audit: audit('settings.mace-panel', PANEL_TEAMS_KEY, 'success', { unchanged: true }) }
        if (state.isDefault && !ordered.length) return { result: { unchanged: true }, audit: audit('settings.mace-panel', PANEL_TEAMS_KEY, 'success', { unchanged: true }) }
        if (!(await write(trx, PANEL_TEAMS_KEY, state.rowVersion, ordered, now))) {
          const again = await read(trx, PANEL_TEAMS_KEY)
          return { result: { conflict: { current: storedPanelTeams(again.value), state: again.state } }, audit: audit('settings.mace-panel', PANEL_TEAMS_KEY, 'refused', { conflict: true }) }
        }
        return { result: { saved: true }, audit: audit('settings.mace-panel', PANEL_TEAMS_KEY, 'success', { from: before, to: ordered, builtInDefault: !ordered.length, rowVersion: state.rowVersion + 1 }) }
      })
    },
  }
}

export type TacSettingsRepository = ReturnType<typeof tacSettingsRepository>
