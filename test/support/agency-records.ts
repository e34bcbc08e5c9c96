// Agency records as the CSC's administrator imports them through the page, for tests of matching, merging and locking:
// the record by its reference, an import that must succeed, demo children an exact record links to, and such a record.
import assert from 'node:assert/strict'
import { stableUuid } from '../../src/data/ids.ts'
import type { TestApp } from './app.ts'

export const P = stableUuid('partnership:northshire')
export const CSC = stableUuid('northshire:agency:csc')
export const RECORDS = 'source_ref,given_name,family_name,date_of_birth,sex,nhs_number,upn,postcode,address'
export const ENTRIES = 'source_ref,occurred_at,type,category,significance,summary,visibility'

export type Kid = { id: string; given_name: string; family_name: string; date_of_birth: string | null; sex: string; nhs_number: string | null }

export function agencyRecords(ctx: { s: TestApp }) {
  const db = () => ctx.s.t.db
  /** A file posted to the import page by the CSC's administrator (a minute later than the last), whatever the answer. */
  const post = async (kind: 'records' | 'entries', lines: string[]) => {
    const admin = await ctx.s.signIn('admin.csc')
    ctx.s.clock.advance(60_000)
    return admin.post('/records/import', { kind, csv: [kind === 'records' ? RECORDS : ENTRIES, ...lines].join('\n') })
  }
  return {
    db,
    post,
    recordOf: (ref: string) => db().selectFrom('agency_record').selectAll().where('partnership_id', '=', P).where('agency_id', '=', CSC).where('source_ref', '=', ref).executeTakeFirstOrThrow(),
    /** A file that imports. */
    importCsv: async (kind: 'records' | 'entries', lines: string[]) => {
      const res = await post(kind, lines)
      assert.equal(res.statusCode, 200, res.body)
      return res
    },
    /** Demo children no other child shares a date of birth with, each with an NHS number: an exact record links. */
    kids: async (): Promise<Kid[]> =>
      db()
        .selectFrom('child as c')
        .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.sex', 'c.nhs_number'])
        .where('c.nhs_number', 'is not', null)
        .where('c.date_of_birth', 'is not', null)
        .where('c.merged_into_child_id', 'is', null)
        .where(({ eb, selectFrom }) => eb(selectFrom('child as d').select((e) => e.fn.countAll<number>().as('n')).whereRef('d.date_of_birth', '=', 'c.date_of_birth'), '=', 1))
        .orderBy('c.id')
        .limit(4)
        .execute(),
    /** A records row giving exactly a demo child's identity. */
    exactly: (ref: string, k: Kid) => `${ref},${k.given_name},${k.family_name},${k.date_of_birth},${k.sex},${k.nhs_number},,,`,
  }
}
