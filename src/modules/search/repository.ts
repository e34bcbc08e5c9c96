// Person search for practitioners: typo-tolerant name (trigram similarity, also over other names) plus date of
// birth (exact, or day and month transposed). Results are only children in the searcher's reach — except for the
// front door, who may search the partnership's identity index to match a referral, and see identity only.
import { sql, type Expression, type SqlBool } from 'kysely'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { auditedTransaction, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'

export const IDENTITY_INDEX_ROLES = ['front_door_social_worker'] as const

/** The actor searches the partnership's identity index (the front door), not only the children in their reach. */
export function searchesIdentityIndex(actor: Pick<Actor, 'role'>): boolean {
  return (IDENTITY_INDEX_ROLES as readonly string[]).includes(actor.role)
}

/**
 * A predicate on a child as `c`: the child is in the partnership's identity index — the partnership's, and not one a
 * reviewer's merge left empty (its record is on the child it was merged into). What the front door's search covers,
 * and what the front door may name in a referral it records (src/modules/referrals): one set, said once.
 */
export function inIdentityIndex(actor: Pick<Actor, 'partnershipId'>): Expression<SqlBool> {
  return sql<SqlBool>`(c.partnership_id = ${actor.partnershipId} and c.merged_into_child_id is null)`
}

export interface SearchResult {
  id: string
  givenName: string
  familyName: string
  dateOfBirth: string | null
  sex: string
  postcode: string | null
  score: number
  /** Identity only (from the partnership index): no link to case content. */
  identityOnly: boolean
}

export function searchRepository(ctx: Ctx, actor: Actor) {
  const identityIndex = searchesIdentityIndex(actor)
  return {
    /**
     * Identity (name, date of birth) of the children with these ids that are in the partnership's identity index, for
     * the front door's referral form, where a child found by its search is chosen (src/modules/search/picker.ts).
     * Nothing for a role that does not search the index, nor for an id that is not a child of the index.
     */
    async identities(ids: readonly string[]): Promise<{ id: string; givenName: string; familyName: string; dateOfBirth: string | null }[]> {
      const wanted = [...new Set(ids.filter(isUuid).map((i) => i.toLowerCase()))]
      if (!identityIndex || !wanted.length) return []
      return auditedTransaction(ctx, actor, 'child.search', async (trx) => {
        const rows = await trx.selectFrom('child as c').select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth']).where('c.id', 'in', wanted).where(inIdentityIndex(actor)).orderBy('c.family_name').orderBy('c.given_name').execute()
        const result = rows.map((r) => ({ id: r.id, givenName: r.given_name, familyName: r.family_name, dateOfBirth: r.date_of_birth }))
        return { result, audit: { action: 'child.search', outcome: 'success', childIds: result.map((r) => r.id), details: { index: 'partnership-identity', chosen: wanted.length } } }
      })
    },

    async people(q: { name: string; dateOfBirth?: string | null; limit?: number }): Promise<SearchResult[]> {
      return auditedTransaction(ctx, actor, 'child.search', async (trx, now) => {
        // `%` uses the connection's pg_trgm.similarity_threshold, set once per connection (SEARCH_SIMILARITY_THRESHOLD, src/data/db.ts)
        const name = q.name.trim().toLowerCase().replace(/\s+/g, ' ').slice(0, 100)
        const dob = q.dateOfBirth && /^\d{4}-\d{2}-\d{2}$/.test(q.dateOfBirth) ? q.dateOfBirth : null
        // day and month transposed, when that is a date at all
        const swapped = dob && Number(dob.slice(8, 10)) <= 12 ? `${dob.slice(0, 4)}-${dob.slice(8, 10)}-${dob.slice(5, 7)}` : dob
        const nameScore = sql<number>`greatest(
            similarity(ta_search_name(c.given_name, c.family_name), ${name}),
            similarity(ta_search_name(c.family_name, c.given_name), ${name}),
            coalesce((select max(similarity(ta_search_name(n.given_name, n.family_name), ${name})) from child_name n where n.child_id = c.id and n.partnership_id = c.partnership_id), 0))`
        const dobScore = dob ? sql<number>`case when c.date_of_birth = ${dob}::date then 0.6 when c.date_of_birth = ${swapped}::date then 0.4 when extract(year from c.date_of_birth) = ${Number(dob.slice(0, 4))} then 0.1 else 0 end` : sql<number>`0`
        // candidates from the indexes only (trigram GIN on the name — word order does not change a name's trigrams —,
        // on other names, and the date-of-birth index), each branch bringing the child's row with it, then scored; an
        // OR across tables would scan every child, and ids alone would fetch each candidate's row a second time
        const columns = ['id', 'partnership_id', 'given_name', 'family_name', 'date_of_birth', 'sex', 'merged_into_child_id'] as const
        const byName = trx.selectFrom('child as c0').select(columns.map((k) => `c0.${k}` as const)).where('c0.partnership_id', '=', actor.partnershipId).where(sql<SqlBool>`ta_search_name(c0.given_name, c0.family_name) % ${name}`)
        const byOtherName = trx
          .selectFrom('child_name as n')
          .innerJoin('child as c2', (j) => j.onRef('c2.id', '=', 'n.child_id').on('c2.partnership_id', '=', actor.partnershipId))
          .select(columns.map((k) => `c2.${k}` as const))
          .where('n.partnership_id', '=', actor.partnershipId)
          .where(sql<SqlBool>`ta_search_name(n.given_name, n.family_name) % ${name}`)
        const byDob = trx.selectFrom('child as c1').select(columns.map((k) => `c1.${k}` as const)).where('c1.partnership_id', '=', actor.partnershipId).where('c1.date_of_birth', 'in', [dob ?? '1900-01-01', swapped ?? dob ?? '1900-01-01'])
        const candidates = name && dob ? byName.union(byOtherName).union(byDob) : name ? byName.union(byOtherName) : byDob
        let query = trx
          .selectFrom(candidates.as('c'))
          .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth', 'c.sex'])
          .select(sql<number>`(${nameScore}) + (${dobScore})`.as('score'))
          .select((eb) => eb.selectFrom('child_address as a').select('a.postcode').whereRef('a.child_id', '=', 'c.id').where('a.confidential', '=', false).where('a.to_date', 'is', null).limit(1).as('postcode'))
          // a child a reviewer's merge left empty is not a child to find (inIdentityIndex)
          .where(inIdentityIndex(actor))
          .orderBy('score', 'desc')
          .orderBy('c.family_name')
          .limit(Math.min(q.limit ?? 20, 50))
        if (!identityIndex) query = query.where(childInReach(actor, now))
        const rows = name || dob ? await query.execute() : []
        const result = rows.map((r) => ({ id: r.id, givenName: r.given_name, familyName: r.family_name, dateOfBirth: r.date_of_birth, sex: r.sex, postcode: r.postcode, score: Number(r.score), identityOnly: identityIndex }))
        return {
          result,
          // the audit keeps the search terms (the audit is itself protected: IG access only) and the ids returned
          audit: { action: 'child.search', outcome: 'success', childIds: result.map((r) => r.id), details: { name: q.name, dateOfBirth: dob, index: identityIndex ? 'partnership-identity' : 'my-children' } },
        }
      })
    },
  }
}
