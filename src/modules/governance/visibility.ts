// Is a change of an entry's visibility a widening (information moves beyond where it could go: a sharing decision)
// or a narrowing (a reason is enough)? The five labels of domain-model.md are not one line from narrow to wide
// ('restricted' names agencies and roles, 'front_door' is one team's), so each label is read as the audiences
// outside the authoring agency it admits, and a change widens when it admits any audience the old label did not.
// The authoring agency's own people are not "beyond its agency", so moving among them is never a widening.
import type { Visibility } from '../../data/schema.ts'

export interface VisibilityState {
  visibility: Visibility
  restrictedAgencyIds: readonly string[]
  restrictedRoles: readonly string[]
}

/** Audiences beyond the authoring agency: '*' (everyone with case reach), 'front_door', or 'agency:role' ('agency:*' = every role). */
export function audiences(v: VisibilityState, ownAgencyId: string): Set<string> {
  switch (v.visibility) {
    case 'team':
      return new Set(['*'])
    case 'front_door':
      return new Set(['front_door'])
    case 'restricted': {
      const roles = v.restrictedRoles.length ? v.restrictedRoles : ['*']
      return new Set(v.restrictedAgencyIds.filter((a) => a !== ownAgencyId).flatMap((a) => roles.map((r) => `${a}:${r}`)))
    }
    case 'agency':
    case 'sealed':
      return new Set()
  }
}

function covered(audience: string, by: Set<string>): boolean {
  if (by.has('*') || by.has(audience)) return true
  const [agency, role] = audience.split(':')
  return role !== undefined && role !== '*' && by.has(`${agency}:*`)
}

/** 'widen' when the new label admits an audience outside the authoring agency that the old one did not; otherwise 'narrow'. */
export function changeKind(from: VisibilityState, to: VisibilityState, ownAgencyId: string): 'widen' | 'narrow' {
  const before = audiences(from, ownAgencyId)
  for (const a of audiences(to, ownAgencyId)) if (!covered(a, before)) return 'widen'
  return 'narrow'
}

export function sameVisibility(a: VisibilityState, b: VisibilityState): boolean {
  const norm = (xs: readonly string[]) => [...new Set(xs)].sort().join(',')
  return a.visibility === b.visibility && (a.visibility !== 'restricted' || (norm(a.restrictedAgencyIds) === norm(b.restrictedAgencyIds) && norm(a.restrictedRoles) === norm(b.restrictedRoles)))
}

export const VISIBILITY_LABELS: Record<Visibility, { label: string; hint: string }> = {
  agency: { label: 'Our agency', hint: 'The authoring agency’s safeguarding roles' },
  team: { label: 'The team around the child', hint: 'Everyone whose relationship to the child gives them case reach' },
  front_door: { label: 'The front door', hint: 'The front door team, the allocated social worker and their managers' },
  restricted: { label: 'Named agencies only', hint: 'Only the agencies (and roles) you name' },
  sealed: { label: 'Sealed', hint: 'The authoring team only; its existence is hidden from everyone else' },
}
