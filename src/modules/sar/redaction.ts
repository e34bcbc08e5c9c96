// Third-party redaction proposals for a subject access response: the names of people other than the child and the
// requester (family members from the child's record, other children, other children named in a concern) are found in
// each item's text and proposed for redaction. Practitioners acting in a professional capacity are not redacted (their
// names are in the record as workers, not as private individuals: ICO guidance on subject access). The IG officer
// decides every item; this is only the proposal.
//
// Which way it errs: a name left in a response discloses a third party (a breach the reviewer may not notice), while a
// word proposed needlessly costs the reviewer one restoration in the text they already read. So where the text cannot
// tell a name from a word, the proposer proposes — except a known name that is also an ordinary English word, written
// in lower case ("I will call", "we hope", "mark the date"), which is never proposed: lower case is the word.
//
// A name is proposed whole: where a known name is one part of a hyphenated name or one joined by an apostrophe
// ("Mary" in "Mary-Jane", "Smith" in "Smith-Jones", "Neill" in "O’Neill"), the whole joined name is proposed, not the
// part — "[redacted]-Jane" would still point at the person, and if Mary-Jane is somebody else the reviewer restores one
// name. A possessive or a contraction ("Jo’s", "Stone’ll") is not part of the name and stays.

export const REDACTED = '[redacted]'

/** Hyphens that join the parts of a name: hyphen-minus, hyphen, non-breaking hyphen, en dash. */
const HYPHENS = '-\u2010\u2011\u2013'
/** What may follow an apostrophe without being part of a name: a possessive or a contraction ("Jo’s", "Will’ll"). */
const CLITIC = /^(?:s|ll|d|ve|re|m|t)$/i

const normalise = (s: string) => s.trim().replace(/\s+/g, ' ').replace(/[’ʼ]/g, "'").replace(/[\u2010\u2011\u2013]/g, '-').toLowerCase()
const collapse = (s: string) => s.trim().replace(/\s+/g, ' ')
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** A name as a pattern: any run of spaces between its words, any apostrophe (O'Neill, O’Neill) for one, any hyphen or en dash for one. */
const namePattern = (name: string) =>
  escapeRe(collapse(name))
    .replace(/ /g, '\\s+')
    .replace(/['’ʼ]/g, "['’ʼ]")
    .replace(/[-\u2010\u2011\u2013]/g, `[${HYPHENS}]`)
/** The name as it starts a word in running text: its first letter a capital, the rest as the record writes it. */
const capitalised = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)

/** Titles that may stand before a surname ("Mr Stone", "Dr. Patel"); written with a capital, as titles are. */
export const TITLES = ['Mr', 'Mrs', 'Ms', 'Miss', 'Mx', 'Master', 'Dr', 'Prof', 'Professor', 'Rev', 'Revd', 'Sir', 'Dame', 'Lady', 'Lord'] as const

/**
 * Given names that are also ordinary English words (lower case). Such a given name alone is proposed only where it is
 * capitalised ("then Will left", "Grace said"); the word in lower case ("she will", "a grace period") is left. At the
 * start of a sentence a capital cannot tell the two apart ("Will you call?", "Will said"), and the proposal errs
 * towards redaction there: "Mark said he would hurt the children" must not reach the requester with Mark in it.
 */
export const COMMON_WORD_NAMES: ReadonlySet<string> = new Set([
  'amber', 'angel', 'april', 'art', 'ash', 'autumn', 'basil', 'bay', 'bill', 'blossom', 'bob', 'brook', 'chance', 'chase', 'cliff', 'crystal',
  'dale', 'dawn', 'destiny', 'don', 'drew', 'faith', 'fern', 'frank', 'glen', 'grace', 'guy', 'harmony', 'hazel', 'heath', 'heather',
  'holly', 'honour', 'honor', 'hope', 'hunter', 'iris', 'ivy', 'jack', 'jade', 'joy', 'june', 'kit', 'lily', 'mark', 'max', 'may',
  'melody', 'mercy', 'miles', 'olive', 'patience', 'pat', 'pearl', 'penny', 'poppy', 'precious', 'rain', 'ray', 'reed', 'rich', 'river',
  'rob', 'rose', 'ruby', 'sage', 'sandy', 'sky', 'star', 'sterling', 'storm', 'sue', 'summer', 'sunny', 'violet', 'wade', 'will', 'willow',
])

/** The shortest given name looked for alone: a one-letter given name is an initial, not a name. */
const MIN_GIVEN = 2
/** Given names shorter than this are looked for only as written (capitalised, whole word): "Jo", never "jo". */
const SHORT_GIVEN = 3

export interface Person {
  name: string
}

/**
 * A name to look for, and how:
 * - `full`: a full name (given and family name, or the given and last name of a longer one): any case.
 * - `given`: a given name alone: any case; but a short one (under 3 letters) or an ordinary English word
 *   (`COMMON_WORD_NAMES`) only as written with its capital, as a whole word.
 * - `surname`: a family name after a title (`TITLES`), the name in any case: "Mr Stone", "Mrs O’Neill", "MR STONE";
 *   and alone ("Stone said", "spoke to Patel") only where written as a name: with its capital ("Stone", "O’Neill"),
 *   or all in capitals as police records write surnames ("PATEL"), never in lower case ("a stone", "may") — the rule
 *   for given names that are also words, applied to every family name alone, since so many are words (Stone, May,
 *   Will, Brown, Wood, Baker). At the start of a sentence a capital cannot tell the two apart, and the proposal errs
 *   towards redaction, as for given names.
 * - `titled`: a family name the child bears (now or formerly) that a third party shares: only after a title ("Miss
 *   Marsh" may be the child or her brother, so it is proposed), never alone — the subject's own family name alone
 *   ("Marsh was upset", "the Marsh family") is not proposed in the subject's own response.
 */
export interface RedactionName {
  name: string
  kind: 'full' | 'given' | 'surname' | 'titled'
}

/**
 * The names to look for: each third party's full name, their given name (2 letters or more) and their family name
 * (after a title, or alone where written as a name; the child's own family name only after a title) — a third party
 * who is not the requester nor the child. A given name a third party shares with the
 * child or the requester is proposed too: "Mark" alone cannot be told apart from the requester Mark, and leaving it
 * would disclose what the record says about the other Mark; so is a family name after a title ("Mrs Marsh" may be the
 * requester or the child's mother). The child's and the requester's own full names are never redacted (see
 * `namesToKeep`); the IG officer restores a bare shared name where it is the child's or the requester's.
 */
export function namesToRedact(thirdParties: readonly Person[], child: { givenName: string; familyName: string; otherNames?: readonly { givenName: string; familyName: string }[] }, requesterName: string | null): RedactionName[] {
  const self = new Set(namesToKeep([child, ...(child.otherNames ?? [])], requesterName).map(normalise))
  const childFamily = new Set([child, ...(child.otherNames ?? [])].map((n) => normalise(n.familyName)))
  const out = new Map<string, RedactionName>()
  const add = (name: string, kind: RedactionName['kind']) => {
    const key = `${kind}:${normalise(name)}`
    if (!out.has(key)) out.set(key, { name, kind })
  }
  for (const p of thirdParties) {
    const full = collapse(p.name)
    if (!full || self.has(normalise(full))) continue
    add(full, 'full')
    const words = full.split(' ')
    if (words.length > 2) add(`${words[0]} ${words.at(-1)}`, 'full')
    if (words[0]!.length >= MIN_GIVEN) add(words[0]!, 'given')
    // every way the family name may end the full name: "Ann Smith-Jones" → Smith-Jones; "Mary Ann de Souza" →
    // "Ann de Souza", "de Souza", "Souza"
    for (let i = 1; i < words.length; i++) {
      const surname = words.slice(i).join(' ')
      add(surname, childFamily.has(normalise(surname)) ? 'titled' : 'surname')
    }
  }
  return [...out.values()].sort((a, b) => b.name.length - a.name.length || a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind))
}

/** The names never redacted: the child's full names (and former names) and the requester's full name. */
export function namesToKeep(childNames: readonly { givenName: string; familyName: string }[], requesterName: string | null): string[] {
  return [...childNames.map((n) => `${n.givenName} ${n.familyName}`), requesterName ?? ''].map(collapse).filter((n) => n.includes(' '))
}

interface Matcher {
  re: RegExp
  /** what the item lists as proposed: the name, or (after a title) the title and name as written */
  label: (match: string) => string
  keep: boolean
}

const LETTER = /[\p{L}\p{M}]/u
const isLetter = (c: string | undefined) => c !== undefined && LETTER.test(c)
const isHyphen = (c: string | undefined) => c !== undefined && HYPHENS.includes(c)
const isApostrophe = (c: string | undefined) => c !== undefined && /['’ʼ]/.test(c)

/**
 * The whole name a match stands in: the match widened over the parts joined to it by a hyphen or an apostrophe
 * ("Mary" → "Mary-Jane", "Smith" → "Smith-Jones", "Neill" → "O’Neill", "Mr Smith" → "Mr Smith-Jones"), never over a
 * space, a possessive or a contraction ("Jo’s", "Stone’ll"). Letters only: "Jo-2" stays "Jo".
 */
function wholeName(text: string, start: number, end: number): { start: number; end: number } {
  for (;;) {
    const joiner = text[end]
    if (!isHyphen(joiner) && !isApostrophe(joiner)) break
    let e = end + 1
    while (isLetter(text[e])) e++
    if (e === end + 1 || (isApostrophe(joiner) && CLITIC.test(text.slice(end + 1, e)))) break
    end = e
  }
  for (;;) {
    const joiner = text[start - 1]
    if (!isHyphen(joiner) && !isApostrophe(joiner)) break
    let s = start - 1
    while (isLetter(text[s - 1])) s--
    if (s === start - 1) break
    start = s
  }
  return { start, end }
}

const WORD_START = '(?<![\\p{L}\\p{N}])'
const WORD_END = '(?![\\p{L}\\p{N}])'

function matchersOf(n: RedactionName): Matcher[] {
  const label = () => n.name
  if (n.kind === 'surname' || n.kind === 'titled') {
    // the title as titles are written (Mr, MR, Mr.), never a lower-case word ("the master will"); the surname in any case
    const titles = TITLES.map((t) => `${t}|${t.toUpperCase()}`).join('|')
    const titled: Matcher = { re: new RegExp(`${WORD_START}(?:${titles})\\.?\\s+(?i:${namePattern(n.name)})${WORD_END}`, 'gu'), label: collapse, keep: false }
    if (n.kind === 'titled' || n.name.length < MIN_GIVEN) return [titled]
    // alone: as the record writes it (when that has a capital), with its first letter a capital, or all in capitals
    const forms = [...new Set([...(/\p{Lu}/u.test(n.name) ? [n.name] : []), capitalised(n.name), n.name.toUpperCase()])]
    return [titled, { re: new RegExp(`${WORD_START}(?:${forms.map(namePattern).join('|')})${WORD_END}`, 'gu'), label, keep: false }]
  }
  if (n.kind === 'given' && (n.name.length < SHORT_GIVEN || COMMON_WORD_NAMES.has(normalise(n.name)))) {
    return [{ re: new RegExp(`${WORD_START}${namePattern(capitalised(n.name))}${WORD_END}`, 'gu'), label, keep: false }]
  }
  return [{ re: new RegExp(`${WORD_START}${namePattern(n.name)}${WORD_END}`, 'giu'), label, keep: false }]
}

/**
 * The text with every occurrence of the names replaced (at each place, the longest match; a name to keep wins a tie),
 * and which names were found. An occurrence of a name to keep (the child's or the requester's full name) stays as it
 * is, so a given name shared with a third party is redacted only where it stands alone. A third party's name is
 * replaced whole (`wholeName`: "Mary-Jane", not "[redacted]-Jane"), listed as written when it was widened; a name to
 * keep is kept only where it is the whole name ("Ellie Marsh", not "Ellie Marsh-Smith"). Replacing what is already
 * proposed proposes nothing more: the proposal is idempotent.
 */
export function proposeRedactions(text: string, names: readonly RedactionName[], keep: readonly string[] = []): { text: string; found: string[] } {
  const matchers = [...keep.map((k): Matcher => ({ re: new RegExp(`${WORD_START}${namePattern(k)}${WORD_END}`, 'giu'), label: () => k, keep: true })), ...names.flatMap(matchersOf)]
  const hits: { start: number; end: number; label: string; keep: boolean }[] = []
  for (const m of matchers) {
    for (const x of text.matchAll(m.re)) {
      const end = x.index + x[0].length
      const whole = wholeName(text, x.index, end)
      const widened = whole.start !== x.index || whole.end !== end
      if (m.keep && widened) continue
      hits.push({ ...whole, label: widened ? collapse(text.slice(whole.start, whole.end)) : m.label(x[0]), keep: m.keep })
    }
  }
  hits.sort((a, b) => a.start - b.start || b.end - a.end || Number(b.keep) - Number(a.keep))
  const found: string[] = []
  let out = ''
  let at = 0
  for (const h of hits) {
    if (h.start < at) continue
    out += text.slice(at, h.start) + (h.keep ? text.slice(h.start, h.end) : REDACTED)
    at = h.end
    if (!h.keep && !found.includes(h.label)) found.push(h.label)
  }
  return { text: out + text.slice(at), found }
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
