// Partnership configuration that is data, not code: bank holidays (partnership admins), a school's term dates,
// closures and start of day (that school's admin), and the partnership's concern categories. Audited.
import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Actor } from '../actor.ts'
import type { DB } from '../schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../unit-of-work.ts'
import { isUuid } from './children.ts'

import { isCalendarDate } from '../../web/dates.ts'

// a real calendar date (no 30 February, no year 0000) in the years a form may give: the one shared check
const validDate = (d: string) => isCalendarDate(d)

/** The longest bank-holiday name, term name and closure reason taken (each shown on a line of the settings page). */
export const SETTINGS_TEXT_MAX = { bankHolidayName: 200, termName: 200, closureReason: 500, categoryLabel: 100 } as const

/** A rename of a concern category: done (or nothing to do), or refused as stale (someone renamed it since the form was opened). */
export type CategoryRename = { renamed: boolean } | { stale: { current: string } }

/** A concern category's code from its name: 'Peer-on-peer abuse' → 'peer_on_peer_abuse'; '' when it has no letters or digits. */
export function categoryCode(label: string): string {
  return label.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 60)
}

/** A category name as a reader tells names apart: its letters and digits, whatever their case, spacing and punctuation. */
const nameKey = (label: string) =>
  label
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
/** Two category names are the same name to a reader: 'neglect ', 'NEGLECT' and 'Neglect!!' are all 'Neglect'. */
const sameLabel = (a: string, b: string) => nameKey(a) === nameKey(b)

export function settingsRepository(ctx: Ctx, actor: Actor) {
  const partnershipAdmin = actor.role === 'partnership_admin'
  const schoolAdmin = actor.role === 'agency_admin'

  /**
   * The school this admin administers; inside a transaction pass it (PGlite has one connection). `lock` takes the
   * school's row for the rest of the transaction, before a check of its calendar and the write that follows it (no
   * overlapping terms), so two saves at the same moment take turns and the second sees the first. `FOR NO KEY UPDATE`,
   * as lockChildren: the inserts that only refer to the agency (entries, concerns) are not held up.
   */
  async function mySchool(db: Kysely<DB> = ctx.db, lock = false) {
    if (!schoolAdmin) return null
    let q = db.selectFrom('agency').select(['id', 'name', 'kind', 'school_start_of_day']).where('partnership_id', '=', actor.partnershipId).where('id', '=', actor.agencyId)
    if (lock) q = q.forNoKeyUpdate()
    const a = await q.executeTakeFirst()
    return a?.kind === 'school' ? a : null
  }

  /**
   * The partnership's concern categories, locked for the rest of the transaction: an add and a rename check the
   * names against them and then write, so two at the same moment take turns and the second sees the first's name.
   * The partnership's category lock comes first: a row lock alone does not cover a category added at the same moment
   * (its row is not there to lock, and a read that waited on a lock does not see rows committed meanwhile).
   */
  const lockedCategories = async (trx: Kysely<DB>) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`concern-categories:${actor.partnershipId}`}))`.execute(trx)
    return trx.selectFrom('concern_category').select(['code', 'label', 'active']).where('partnership_id', '=', actor.partnershipId).orderBy('code').forUpdate().execute()
  }

  return {
    async calendar() {
      const school = await mySchool()
      const [holidays, terms, closures, categories] = await Promise.all([
        ctx.db.selectFrom('bank_holiday').select(['on_date', 'name']).where('partnership_id', '=', actor.partnershipId).orderBy('on_date').execute(),
        school ? ctx.db.selectFrom('school_term').selectAll().where('partnership_id', '=', actor.partnershipId).where('school_agency_id', '=', school.id).orderBy('starts_on').execute() : [],
        school ? ctx.db.selectFrom('school_closure').selectAll().where('partnership_id', '=', actor.partnershipId).where('school_agency_id', '=', school.id).orderBy('on_date').execute() : [],
        ctx.db.selectFrom('concern_category').selectAll().where('partnership_id', '=', actor.partnershipId).orderBy('sort').execute(),
      ])
      return { school, holidays, terms, closures, categories, partnershipAdmin }
    },

    async addBankHoliday(date: string, name: string) {
      return auditedTransaction(ctx, actor, 'settings.bank-holiday.add', async (trx) => {
        if (!partnershipAdmin) throw new RefusedError('Only a partnership administrator changes bank holidays')
        if (!validDate(date)) throw new RefusedError('Enter the date as YYYY-MM-DD')
        if (!name.trim()) throw new RefusedError('Enter the name of the bank holiday')
        if (name.trim().length > SETTINGS_TEXT_MAX.bankHolidayName) throw new RefusedError(`The name of the bank holiday must be ${SETTINGS_TEXT_MAX.bankHolidayName} characters or fewer`)
        await trx.insertInto('bank_holiday').values({ partnership_id: actor.partnershipId, on_date: date, name: name.trim() }).onConflict((oc) => oc.columns(['partnership_id', 'on_date']).doUpdateSet({ name: name.trim() })).execute()
        return { result: { ok: true }, audit: { action: 'settings.bank-holiday.add', outcome: 'success', details: { date, name } } }
      })
    },

    async removeBankHoliday(date: string) {
      return auditedTransaction(ctx, actor, 'settings.bank-holiday.remove', async (trx) => {
        if (!partnershipAdmin) throw new RefusedError('Only a partnership administrator changes bank holidays')
        if (!validDate(date)) return { result: null, audit: { action: 'settings.bank-holiday.remove', outcome: 'not_found' as const } }
        const r = await trx.deleteFrom('bank_holiday').where('partnership_id', '=', actor.partnershipId).where('on_date', '=', date).executeTakeFirst()
        return { result: Number(r.numDeletedRows) ? { ok: true } : null, audit: { action: 'settings.bank-holiday.remove', outcome: Number(r.numDeletedRows) ? 'success' : 'not_found', details: { date } } }
      })
    },

    async addTerm(name: string, startsOn: string, endsOn: string) {
      return auditedTransaction(ctx, actor, 'settings.term.add', async (trx) => {
        // the school's calendar is taken before the overlap check: a term saved at the same moment waits, then sees this one
        const school = await mySchool(trx, true)
        if (!school) throw new RefusedError('Only a school’s administrator changes its term dates')
        if (!name.trim()) throw new RefusedError('Enter the name of the term')
        if (name.trim().length > SETTINGS_TEXT_MAX.termName) throw new RefusedError(`The name of the term must be ${SETTINGS_TEXT_MAX.termName} characters or fewer`)
        if (!validDate(startsOn) || !validDate(endsOn)) throw new RefusedError('Enter the dates as YYYY-MM-DD')
        if (endsOn < startsOn) throw new RefusedError('The term must end on or after the day it starts')
        const overlap = await trx.selectFrom('school_term').select('id').where('partnership_id', '=', actor.partnershipId).where('school_agency_id', '=', school.id).where('starts_on', '<=', endsOn).where('ends_on', '>=', startsOn).executeTakeFirst()
        if (overlap) throw new RefusedError('The term overlaps another term')
        const id = randomUUID()
        await trx.insertInto('school_term').values({ id, partnership_id: actor.partnershipId, school_agency_id: school.id, name: name.trim(), starts_on: startsOn, ends_on: endsOn }).execute()
        return { result: { id }, audit: { action: 'settings.term.add', outcome: 'success', details: { startsOn, endsOn } } }
      })
    },

    async removeTerm(termId: string) {
      return auditedTransaction(ctx, actor, 'settings.term.remove', async (trx) => {
        const school = await mySchool(trx)
        if (!school || !isUuid(termId)) return { result: null, audit: { action: 'settings.term.remove', outcome: 'not_found' as const } }
        const r = await trx.deleteFrom('school_term').where('id', '=', termId).where('school_agency_id', '=', school.id).executeTakeFirst()
        return { result: Number(r.numDeletedRows) ? { ok: true } : null, audit: { action: 'settings.term.remove', outcome: Number(r.numDeletedRows) ? 'success' : 'not_found', entityId: termId } }
      })
    },

    async addClosure(date: string, reason: string) {
      return auditedTransaction(ctx, actor, 'settings.closure.add', async (trx) => {
        // taken before the check, as for a term: the same day sent twice at once is recorded once
        const school = await mySchool(trx, true)
        if (!school) throw new RefusedError('Only a school’s administrator records its closures')
        if (!validDate(date)) throw new RefusedError('Enter the date as YYYY-MM-DD')
        if (!reason.trim()) throw new RefusedError('Say why the school is closed')
        if (reason.trim().length > SETTINGS_TEXT_MAX.closureReason) throw new RefusedError(`The reason must be ${SETTINGS_TEXT_MAX.closureReason} characters or fewer`)
        const already = await trx.selectFrom('school_closure').select('id').where('partnership_id', '=', actor.partnershipId).where('school_agency_id', '=', school.id).where('on_date', '=', date).executeTakeFirst()
        if (already) throw new RefusedError('The school is already recorded as closed on that day')
        await trx.insertInto('school_closure').values({ id: randomUUID(), partnership_id: actor.partnershipId, school_agency_id: school.id, on_date: date, reason: reason.trim() }).execute()
        return { result: { ok: true }, audit: { action: 'settings.closure.add', outcome: 'success', details: { date } } }
      })
    },

    /** A closure recorded by mistake: the day is a school day again for clocks started from now on. */
    async removeClosure(closureId: string) {
      return auditedTransaction(ctx, actor, 'settings.closure.remove', async (trx) => {
        const school = await mySchool(trx)
        if (!school || !isUuid(closureId)) return { result: null, audit: { action: 'settings.closure.remove', outcome: 'not_found' as const } }
        const r = await trx.deleteFrom('school_closure').where('partnership_id', '=', actor.partnershipId).where('id', '=', closureId).where('school_agency_id', '=', school.id).returning('on_date').executeTakeFirst()
        return { result: r ? { ok: true } : null, audit: { action: 'settings.closure.remove', outcome: r ? 'success' : 'not_found', entityId: closureId, ...(r ? { details: { date: r.on_date } } : {}) } }
      })
    },

    async setStartOfDay(time: string) {
      return auditedTransaction(ctx, actor, 'settings.start-of-day', async (trx) => {
        const school = await mySchool(trx)
        if (!school) throw new RefusedError('Only a school’s administrator sets its start of day')
        if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) throw new RefusedError('Enter the time as HH:MM, for example 08:45')
        await trx.updateTable('agency').set({ school_start_of_day: time }).where('id', '=', school.id).execute()
        return { result: { ok: true }, audit: { action: 'settings.start-of-day', outcome: 'success', details: { time } } }
      })
    },

    async addCategory(label: string) {
      return auditedTransaction(ctx, actor, 'settings.category.add', async (trx) => {
        if (!partnershipAdmin) throw new RefusedError('Only a partnership administrator changes the concern categories')
        const clean = label.trim()
        if (!clean || clean.length > SETTINGS_TEXT_MAX.categoryLabel) throw new RefusedError(`Enter a category name of up to ${SETTINGS_TEXT_MAX.categoryLabel} characters`)
        // a name of punctuation alone ('!!!') names nothing, as on a rename; one of letters outside A to Z ('Ŵŷ')
        // is a name, under a code of its own ('category')
        if (!nameKey(clean)) throw new RefusedError('Enter a category name that includes letters or numbers')
        const code = categoryCode(clean) || 'category'
        // the partnership's categories, locked (as a rename locks them): a name another category has, whatever its
        // case, spacing and punctuation ('Neglect!!'; 'Young carer', which 'other' was renamed), is refused
        const all = await lockedCategories(trx)
        const existing = all.find((c) => sameLabel(c.label, clean))
        if (existing) throw new RefusedError(`There is already a category called “${existing.label}”${existing.active ? '' : ' (not offered: choose “Offer again”)'}: enter a different name`)
        // a code is never shown: one taken by a category renamed since ('neglect', now called 'Basic care') leaves this
        // name free, and the new category gets a code of its own ('neglect_2')
        const taken = new Set(all.map((c) => c.code))
        let free = code
        for (let n = 2; taken.has(free); n++) free = `${code.slice(0, 55)}_${n}`
        const max = await trx.selectFrom('concern_category').select((eb) => eb.fn.max('sort').as('m')).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
        await trx.insertInto('concern_category').values({ partnership_id: actor.partnershipId, code: free, label: clean, sort: Number(max?.m ?? 0) + 1 }).execute()
        return { result: { code: free }, audit: { action: 'settings.category.add', outcome: 'success', details: { code: free } } }
      })
    },

    /** One of the partnership's concern categories, for its rename page; null when the partnership has none of that code. */
    async category(code: string) {
      if (!partnershipAdmin) throw new RefusedError('Only a partnership administrator changes the concern categories')
      return (await ctx.db.selectFrom('concern_category').select(['code', 'label', 'active']).where('partnership_id', '=', actor.partnershipId).where('code', '=', code).executeTakeFirst()) ?? null
    },

    /**
     * Renames a concern category: its label only. The code never changes, so every entry, concern, filter, signal rule
     * and export under it is named by the new label from the next page read. `from` is the label the form was opened
     * with (the table has no row_version: the label is the version): when someone renamed it since, the rename is
     * refused as stale and nothing is saved — unless it already has the new name (the same form sent twice, or both
     * made the same change), which is nothing to do. A name another of the partnership’s categories has (case, spacing and
     * punctuation aside: sameLabel) is refused, as is one of punctuation alone. Null when the partnership has no category of that code (another
     * partnership's is not found). Audited with the old and the new label.
     */
    async renameCategory(code: string, label: string, from: string): Promise<CategoryRename | null> {
      return auditedTransaction<CategoryRename | null>(ctx, actor, 'settings.category.rename', async (trx) => {
        if (!partnershipAdmin) throw new RefusedError('Only a partnership administrator changes the concern categories')
        const clean = label.trim()
        if (!clean) throw new RefusedError('Enter the category’s name')
        if (clean.length > SETTINGS_TEXT_MAX.categoryLabel) throw new RefusedError(`The category’s name must be ${SETTINGS_TEXT_MAX.categoryLabel} characters or fewer`)
        // as when adding one: a name of punctuation alone names nothing
        if (!nameKey(clean)) throw new RefusedError('Enter a category name that includes letters or numbers')
        const all = await lockedCategories(trx)
        const mine = all.find((c) => c.code === code)
        if (!mine) return { result: null, audit: { action: 'settings.category.rename', outcome: 'not_found', entityType: 'concern_category', entityId: code.slice(0, 100), details: { code: code.slice(0, 100) } } }
        const audit = (outcome: 'success' | 'refused', details: Record<string, unknown>) => ({ action: 'settings.category.rename', outcome, entityType: 'concern_category', entityId: code, details: { code, ...details } })
        if (mine.label === clean) return { result: { renamed: false }, audit: audit('success', { from: mine.label, to: clean, unchanged: true }) }
        if (mine.label !== from) return { result: { stale: { current: mine.label } }, audit: audit('refused', { stale: true, from, current: mine.label, to: clean }) }
        const taken = all.find((c) => c.code !== code && sameLabel(c.label, clean))
        if (taken) throw new RefusedError(`There is already a category called “${taken.label}”${taken.active ? '' : ' (not offered)'}: enter a different name`)
        await trx.updateTable('concern_category').set({ label: clean }).where('partnership_id', '=', actor.partnershipId).where('code', '=', code).execute()
        return { result: { renamed: true }, audit: audit('success', { from: mine.label, to: clean }) }
      })
    },

    async setCategoryActive(code: string, active: boolean) {
      return auditedTransaction(ctx, actor, 'settings.category.active', async (trx) => {
        if (!partnershipAdmin) throw new RefusedError('Only a partnership administrator changes the concern categories')
        if (!active) {
          // a concern is recorded under a category: withdrawing the last one offered would leave no concern recordable
          // (the form would refuse every submission). The rows are locked so two withdrawals cannot each leave the other.
          // every row, the target too (offered or not), in code order under the category lock, as a rename takes them:
          // the two wait in turn, never on each other
          const offered = (await lockedCategories(trx)).filter((c) => c.active)
          if (offered.length === 1 && offered[0]!.code === code) throw new RefusedError('Keep at least one concern category offered: a concern cannot be recorded without one')
        }
        const r = await trx.updateTable('concern_category').set({ active }).where('partnership_id', '=', actor.partnershipId).where('code', '=', code).executeTakeFirst()
        return { result: Number(r.numUpdatedRows) ? { ok: true } : null, audit: { action: 'settings.category.active', outcome: Number(r.numUpdatedRows) ? 'success' : 'not_found', details: { code, active } } }
      })
    },
  }
}
