// The children a form offers to choose from (the concern, referral, consultation and Operation Encompass forms): the first
// MY_CHILDREN_LIMIT of my children, as the home page lists them, and any child already chosen beyond them. When the
// list is cut off the form says so and links to the person search, whose results link back to the form with the
// child chosen (`?child=`, no JavaScript needed). Choosing never widens reach: the list holds only children in reach,
// and the form's write checks every child sent, as it always has (out of reach: not found). One exception, the front
// door's referral form (`identityIndex`): the front door searches the partnership's identity index, and records calls
// about children it does not yet reach, so a child found there may be chosen (identity only) — the referral it records
// is what then brings the child into its reach (its front_door_contact: src/modules/referrals).
import { hasPermission, type Permission, type Role } from '../../access/policy.ts'
import type { Repositories } from '../../data/index.ts'
import { isUuid, MY_CHILDREN_LIMIT, type MyChild } from '../../data/repositories/children.ts'

interface PickerFormSpec {
  /** The form's page, which takes `?child=` (once, or once for each child of a form of several). */
  path: string
  permission: Permission
  /** Several children may be chosen (checkboxes), not one (a select). */
  several: boolean
  /** The search result's link to the form. */
  choose: string
  /** "Find the child for …" on the search page. */
  purpose: string
  /** A practitioner who searches the partnership's identity index (the front door) may choose a child found there. */
  identityIndex: boolean
}

export const PICKER_FORMS = {
  concern: { path: '/concerns/new', permission: 'concern:raise', several: true, choose: 'Log a concern about this child', purpose: 'your concern', identityIndex: false },
  referral: { path: '/referrals/new', permission: 'referral:make', several: true, choose: 'Refer this child', purpose: 'your referral', identityIndex: true },
  consultation: { path: '/consultations/new', permission: 'consultation:ask', several: false, choose: 'Ask about this child', purpose: 'your consultation', identityIndex: false },
  encompass: { path: '/encompass/new', permission: 'encompass:record', several: true, choose: 'Add to the notice', purpose: 'the Operation Encompass notice', identityIndex: false },
} as const satisfies Record<string, PickerFormSpec>

export type PickerForm = keyof typeof PICKER_FORMS

/** Child ids from a query or a form (one value or several): well-formed ones only, in lower case, each once. */
export function childIds(v: unknown): string[] {
  const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]
  return [...new Set(values.filter((x): x is string => typeof x === 'string' && isUuid(x)).map((x) => x.toLowerCase()))].slice(0, MY_CHILDREN_LIMIT)
}

/** The form with these children chosen: `/referrals/new?child=…&child=…`. */
export function formHref(form: PickerForm, ids: readonly string[]): string {
  const q = new URLSearchParams(ids.map((id): [string, string] => ['child', id]))
  return q.size ? `${PICKER_FORMS[form].path}?${q}` : PICKER_FORMS[form].path
}

/** The person search, choosing for this form and keeping the children the form has chosen already. */
export function searchHref(form: PickerForm, ids: readonly string[]): string {
  return `/search?${new URLSearchParams([['for', form], ...ids.map((id): [string, string] => ['child', id])])}`
}

export interface ChildPicker {
  children: MyChild[]
  /** Chosen children not in reach but in the partnership's identity index, on a form that allows it (`identityIndex`),
   * for a practitioner who searches it: identity only. Empty for everyone else. */
  fromIndex: { id: string; givenName: string; familyName: string; dateOfBirth: string | null }[]
  /** The children chosen (to check or select), lower case. */
  chosen: string[]
  /** The list is cut off at `limit`: the form says so and links to `searchHref`. */
  more: boolean
  limit: number
  searchHref: string
}

/** The list for a form, with `chosen` (from the query or the form sent back) listed even beyond the first `limit`. */
export async function childPicker(repos: Repositories, form: PickerForm, chosen: unknown): Promise<ChildPicker> {
  const ids = PICKER_FORMS[form].several ? childIds(chosen) : childIds(chosen).slice(0, 1)
  const { children, more } = await repos.children.mineFirst(MY_CHILDREN_LIMIT, ids)
  // a form of several keeps its chosen children through the search (the child found is added to them); only ones listed
  const listed = new Set(children.map((c) => c.id))
  const unlisted = ids.filter((id) => !listed.has(id))
  const fromIndex = PICKER_FORMS[form].identityIndex && unlisted.length ? await repos.search.identities(unlisted) : []
  for (const c of fromIndex) listed.add(c.id)
  const keep = PICKER_FORMS[form].several ? ids.filter((id) => listed.has(id)) : []
  return { children, fromIndex, chosen: ids, more, limit: MY_CHILDREN_LIMIT, searchHref: searchHref(form, keep) }
}

/** The search page's `?for=` (and the `?child=` it carries), when it names a form this practitioner may use. */
export function pickingFor(query: { for?: unknown; child?: unknown }, role: Role): { form: PickerForm; carried: string[] } | null {
  const form = query.for
  if (typeof form !== 'string' || !Object.hasOwn(PICKER_FORMS, form)) return null
  const spec = PICKER_FORMS[form as PickerForm]
  if (!hasPermission(role, spec.permission)) return null
  return { form: form as PickerForm, carried: spec.several ? childIds(query.child) : [] }
}
