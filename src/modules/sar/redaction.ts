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
 * The names to look for: each third party's full name and their given name (3 letters or more), except any word of
 * the child's own names or the requester's name (a parent's given name is not redacted from their own request).
 */
export function namesToRedact(thirdParties: readonly Person[], child: { givenName: string; familyName: string; otherNames?: readonly string[] }, requesterName: string | null): string[] {
  const keep = new Set([child.givenName, child.familyName, ...(child.otherNames ?? []), ...(requesterName ?? '').split(/\s+/)].map(normalise).filter(Boolean))
  const requester = requesterName ? normalise(requesterName) : ''
  const out = new Set<string>()
  for (const p of thirdParties) {
    const full = p.name.trim().replace(/\s+/g, ' ')
    if (!full || normalise(full) === requester) continue
    out.add(full)
    const given = full.split(' ')[0]!
    if (given.length >= 3 && !keep.has(normalise(given))) out.add(given)
  }
  return [...out].sort((a, b) => b.length - a.length || a.localeCompare(b))
}

/** The text with every whole-word occurrence of the names replaced (longest first), and which names were found. */
export function proposeRedactions(text: string, names: readonly string[]): { text: string; found: string[] } {
  const found: string[] = []
  let out = text
  for (const name of [...names].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(name).replace(/ /g, '\\s+')}(?![\\p{L}\\p{N}])`, 'giu')
    if (re.test(out)) {
      found.push(name)
      out = out.replace(re, REDACTED)
    }
  }
  return { text: out, found }
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
