// Third-party redaction proposals for a subject access response: the names of people other than the child and the
// requester (family members from the child's record, other children, other children named in a concern) are found in
// each item's text and proposed for redaction. Practitioners acting in a professional capacity are not redacted (their
// names are in the record as workers, not as private individuals: ICO guidance on subject access). The IG officer
// decides every item; this is only the proposal.

export const REDACTED = '[redacted]'

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase()
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export interface Person {
  name: string
}

/**
 * The names to look for: each third party's full name and their given name (3 letters or more) — a third party who is
 * not the requester nor the child. A given name a third party shares with the child or the requester is proposed too:
 * "Mark" alone cannot be told apart from the requester Mark, and leaving it would disclose what the record says about
 * the other Mark. The child's and the requester's own full names are never redacted (see `namesToKeep`); the IG
 * officer restores a bare shared name where it is the child's or the requester's.
 */
export function namesToRedact(thirdParties: readonly Person[], child: { givenName: string; familyName: string; otherNames?: readonly { givenName: string; familyName: string }[] }, requesterName: string | null): string[] {
  const self = new Set(namesToKeep([child, ...(child.otherNames ?? [])], requesterName).map(normalise))
  const out = new Set<string>()
  for (const p of thirdParties) {
    const full = p.name.trim().replace(/\s+/g, ' ')
    if (!full || self.has(normalise(full))) continue
    out.add(full)
    const given = full.split(' ')[0]!
    if (given.length >= 3) out.add(given)
  }
  return [...out].sort((a, b) => b.length - a.length || a.localeCompare(b))
}

/** The names never redacted: the child's full names (and former names) and the requester's full name. */
export function namesToKeep(childNames: readonly { givenName: string; familyName: string }[], requesterName: string | null): string[] {
  return [...childNames.map((n) => `${n.givenName} ${n.familyName}`), requesterName ?? ''].map((n) => n.trim().replace(/\s+/g, ' ')).filter((n) => n.includes(' '))
}

/**
 * The text with every whole-word occurrence of the names replaced (the longest name first at each place), and which
 * names were found. An occurrence of a name to keep (the child's or the requester's full name) stays as it is, so a
 * given name shared with a third party is redacted only where it stands alone.
 */
export function proposeRedactions(text: string, names: readonly string[], keep: readonly string[] = []): { text: string; found: string[] } {
  const kept = new Set(keep.map(normalise))
  const all = [...new Map([...names, ...keep].map((n) => [normalise(n), n])).values()].sort((a, b) => b.length - a.length)
  if (!all.length) return { text, found: [] }
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${all.map((n) => `(${escapeRe(n).replace(/ /g, '\\s+')})`).join('|')})(?![\\p{L}\\p{N}])`, 'giu')
  const hit = new Set<string>()
  const out = text.replace(re, (match, ...groups: unknown[]) => {
    const name = normalise(all[groups.findIndex((g, i) => i < all.length && g !== undefined)]!)
    if (kept.has(name)) return match
    hit.add(name)
    return REDACTED
  })
  return { text: out, found: names.filter((n) => hit.has(normalise(n))) }
}

/** Names typed in a free-text "other children" field: split on commas, semicolons, "and", new lines. */
export function namesIn(list: string | null | undefined): Person[] {
  if (!list) return []
  return list
    .split(/[,;\n]|\band\b|&/i)
    .map((s) => s.replace(/\(.*?\)/g, '').trim())
    .filter((s) => /\p{L}{2,}/u.test(s))
    .map((name) => ({ name }))
}
