// A partnership's names for its concern categories (concern_category.label: its defaults, or as its administrator
// edited them in the settings), for the pages that show an entry's or a concern's category. Entries imported from
// an agency may carry a category the partnership does not have: such a code is not in the map, and the page shows
// it humanised (categoryLabel in src/platform/http/render.ts).
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { DB } from './schema.ts'

export type CategoryLabels = Record<string, string>

/**
 * The labels of the categories among `codes` (a text[] expression) as one JSON object code → label, null when none
 * is the partnership's: one small lookup by concern_category's key, for a statement that already has the codes it
 * shows (so a page needs no query of its own for them).
 */
export function categoryLabelsJson(partnershipId: string, codes: RawBuilder<unknown>): RawBuilder<CategoryLabels | null> {
  return sql<CategoryLabels | null>`(select json_object_agg(cc.code, cc.label) from concern_category cc where cc.partnership_id = ${partnershipId}::uuid and cc.code = any(${codes}))`
}

/** The labels of these codes, read on their own (for a page whose rows are read by several queries); {} for none. */
export async function categoryLabels(db: Kysely<DB>, partnershipId: string, codes: readonly (string | null)[]): Promise<CategoryLabels> {
  const wanted = [...new Set(codes.filter((c): c is string => Boolean(c)))]
  if (!wanted.length) return {}
  const got = await sql<{ labels: CategoryLabels | null }>`select ${categoryLabelsJson(partnershipId, sql`${wanted}::text[]`)} as labels`.execute(db)
  return got.rows[0]?.labels ?? {}
}
