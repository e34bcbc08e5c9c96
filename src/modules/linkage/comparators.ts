// Field normalisers and comparators for the record-linkage matcher. Pure functions over strings: each comparator
// turns two normalised values into a comparison level (0 = the strongest agreement … last = "else"); a missing
// value is the MISSING level, which contributes nothing to the score.

export const MISSING = 255

export const FIELD_NAMES = ['given_name', 'family_name', 'dob', 'sex', 'postcode', 'address', 'nhs_number', 'upn', 'city', 'email'] as const
export type FieldName = (typeof FIELD_NAMES)[number]

export function isFieldName(s: string): s is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(s)
}

const NAME_LEVELS = ['exact', 'swapped', 'nickname', 'hyphen_part', 'jw_0.92', 'jw_0.80', 'else']
const ID_LEVELS = ['exact', 'one_edit', 'else']

/** The comparison levels of each field (index = level number) and what the field holds. */
export const FIELDS: Readonly<Record<FieldName, { levels: readonly string[]; description: string }>> = {
  given_name: { levels: NAME_LEVELS, description: 'first name(s): exact / swapped with family name / nickname (bob~robert) / shares a hyphenated or spaced part / Jaro-Winkler >= 0.92 / >= 0.80 / else' },
  family_name: { levels: NAME_LEVELS, description: 'surname: as given_name' },
  dob: { levels: ['exact', 'day_month_transposed', 'one_day_or_one_digit', 'same_year', 'else'], description: 'date of birth (YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY): exact / day and month transposed / one day apart or one digit different / same year / else' },
  sex: { levels: ['exact', 'else'], description: 'sex or gender (m/male, f/female; anything else is kept as written): exact / else' },
  postcode: { levels: ['exact', 'one_edit', 'same_district', 'else'], description: 'postcode: exact / one edit or transposition / same outward code (UK) or first 3 characters / else' },
  address: { levels: ['exact', 'jw_0.92', 'similar', 'else'], description: 'address text (several columns may be joined with +): exact / Jaro-Winkler >= 0.92 / Jaro-Winkler >= 0.80 or half the words shared / else' },
  nhs_number: { levels: ID_LEVELS, description: 'NHS number or another strong personal identifier (FEBRL soc_sec_id): exact / one edit or transposition / else' },
  upn: { levels: ID_LEVELS, description: 'unique pupil number: exact / one edit or transposition / else' },
  city: { levels: ['exact', 'jw_0.92', 'jw_0.80', 'else'], description: 'town, city or suburb: exact / Jaro-Winkler >= 0.92 / >= 0.80 / else' },
  email: { levels: ['exact', 'same_local_part', 'jw_0.88', 'else'], description: 'email address: exact / same part before @ / Jaro-Winkler >= 0.88 / else' },
}

// ---------- normalisers ----------

function fold(s: string): string {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
}

export function normaliseName(s: string | null | undefined): string | null {
  if (s == null) return null
  const t = fold(s)
    .replace(/['’.]/g, '')
    .replace(/[^a-z\s-]/g, ' ')
    .replace(/\s*-\s*/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/^-+|-+$/g, '')
    .trim()
  return t === '' ? null : t
}

export function normaliseText(s: string | null | undefined): string | null {
  if (s == null) return null
  const t = fold(s).replace(/[^a-z0-9]+/g, ' ').trim()
  return t === '' ? null : t
}

export function normaliseIdentifier(s: string | null | undefined): string | null {
  if (s == null) return null
  const t = s.toUpperCase().replace(/[^A-Z0-9]/g, '')
  return t === '' ? null : t
}

const UK_POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$/

export function normalisePostcode(s: string | null | undefined): string | null {
  const t = normaliseIdentifier(s)
  if (t == null) return null
  const uk = UK_POSTCODE.exec(t)
  return uk ? `${uk[1]} ${uk[2]}` : t
}

export function normaliseEmail(s: string | null | undefined): string | null {
  if (s == null) return null
  const t = s.trim().toLowerCase()
  return t === '' ? null : t
}

export function normaliseSex(s: string | null | undefined): string | null {
  const t = normaliseText(s)
  if (t == null) return null
  if (t === 'm' || t === 'male' || t === 'boy' || t === 'man') return 'm'
  if (t === 'f' || t === 'female' || t === 'girl' || t === 'woman') return 'f'
  if (t === 'u' || t === 'unknown' || t === 'not known' || t === 'not stated') return null
  return t
}

/**
 * A date of birth as the number YYYYMMDD, from YYYY-MM-DD (a time after it is ignored), YYYYMMDD or DD/MM/YYYY.
 * Anything else (or an impossible month or day) is missing.
 */
export function parseDate(s: string | null | undefined): number | null {
  if (s == null) return null
  const t = s.trim()
  let y: number, m: number, d: number
  let r = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$/.exec(t)
  if (r) {
    y = Number(r[1]); m = Number(r[2]); d = Number(r[3])
  } else if ((r = /^(\d{4})(\d{2})(\d{2})$/.exec(t))) {
    y = Number(r[1]); m = Number(r[2]); d = Number(r[3])
  } else if ((r = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) {
    d = Number(r[1]); m = Number(r[2]); y = Number(r[3])
  } else return null
  if (m < 1 || m > 12 || d < 1 || d > 31) return null
  return y * 10000 + m * 100 + d
}

export function normaliseField(field: FieldName, raw: string | null | undefined): string | null {
  switch (field) {
    case 'given_name':
    case 'family_name':
    case 'city':
      return normaliseName(raw)
    case 'address':
      return normaliseText(raw)
    case 'nhs_number':
    case 'upn':
      return normaliseIdentifier(raw)
    case 'postcode':
      return normalisePostcode(raw)
    case 'email':
      return normaliseEmail(raw)
    case 'sex':
      return normaliseSex(raw)
    case 'dob': {
      const d = parseDate(raw)
      return d == null ? null : String(d)
    }
  }
}

// ---------- string similarity ----------

let jwA = new Uint8Array(64)
let jwB = new Uint8Array(64)

/** Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1
  const la = a.length
  const lb = b.length
  if (la === 0 || lb === 0) return 0
  const window = Math.max(0, (Math.max(la, lb) >> 1) - 1)
  if (jwA.length < la || jwB.length < lb) {
    jwA = new Uint8Array(Math.max(la, lb) * 2)
    jwB = new Uint8Array(Math.max(la, lb) * 2)
  }
  const matchedA = jwA
  const matchedB = jwB
  matchedA.fill(0, 0, la)
  matchedB.fill(0, 0, lb)
  let matches = 0
  for (let i = 0; i < la; i++) {
    const lo = Math.max(0, i - window)
    const hi = Math.min(lb - 1, i + window)
    const c = a.charCodeAt(i)
    for (let j = lo; j <= hi; j++) {
      if (matchedB[j] === 0 && b.charCodeAt(j) === c) {
        matchedA[i] = 1
        matchedB[j] = 1
        matches++
        break
      }
    }
  }
  if (matches === 0) return 0
  let t = 0
  let k = 0
  for (let i = 0; i < la; i++) {
    if (matchedA[i] === 0) continue
    while (matchedB[k] === 0) k++
    if (a.charCodeAt(i) !== b.charCodeAt(k)) t++
    k++
  }
  const jaro = (matches / la + matches / lb + (matches - t / 2) / matches) / 3
  let prefix = 0
  const maxPrefix = Math.min(4, la, lb)
  while (prefix < maxPrefix && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++
  return jaro + prefix * 0.1 * (1 - jaro)
}

/** True when a and b differ by exactly one substitution, insertion, deletion or adjacent transposition. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b) return false
  const la = a.length
  const lb = b.length
  if (Math.abs(la - lb) > 1) return false
  let i = 0
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true // substitution
    return i + 1 < la && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i) && a.slice(i + 2) === b.slice(i + 2)
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1)
}

/** American Soundex of the first word ('' when there are no letters). */
export function soundex(s: string): string {
  const t = s.toLowerCase().replace(/[^a-z]/g, '')
  if (t === '') return ''
  const codes = '01230120022455012623010202' // a..z
  let out = t[0]!.toUpperCase()
  let last = codes[t.charCodeAt(0) - 97]
  for (let i = 1; i < t.length && out.length < 4; i++) {
    const ch = t[i]!
    const c = codes[t.charCodeAt(i) - 97]!
    if (c !== '0' && c !== last) out += c
    if (ch !== 'h' && ch !== 'w') last = c
  }
  return out.padEnd(4, '0')
}

// ---------- nicknames ----------

const NICKNAME_GROUPS: string[][] = [
  ['robert', 'rob', 'bob', 'bobby', 'robbie', 'bert'],
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'eliza', 'libby', 'bess'],
  ['james', 'jim', 'jimmy', 'jamie'],
  ['katherine', 'catherine', 'kathryn', 'kate', 'katie', 'kathy', 'cathy', 'kat', 'kitty'],
  ['william', 'will', 'bill', 'billy', 'liam', 'willie'],
  ['richard', 'rich', 'rick', 'ricky', 'dick', 'richie'],
  ['michael', 'mike', 'mick', 'mikey', 'mickey'],
  ['thomas', 'tom', 'tommy'],
  ['joseph', 'joe', 'joey'],
  ['daniel', 'dan', 'danny'],
  ['matthew', 'matt', 'matty'],
  ['christopher', 'chris', 'kit'],
  ['christine', 'christina', 'chris', 'chrissie', 'tina'],
  ['alexander', 'alex', 'alec', 'sandy', 'xander'],
  ['alexandra', 'alex', 'lexi', 'sandra', 'sasha'],
  ['edward', 'ed', 'eddie', 'ted', 'teddy', 'ned'],
  ['jonathan', 'jon', 'jonny', 'john'],
  ['john', 'johnny', 'jack'],
  ['margaret', 'maggie', 'meg', 'peggy', 'marge', 'madge'],
  ['jennifer', 'jen', 'jenny'],
  ['samuel', 'sam', 'sammy'],
  ['samantha', 'sam', 'sammie'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['nicholas', 'nick', 'nicky'],
  ['anthony', 'tony', 'ant'],
  ['andrew', 'andy', 'drew'],
  ['charles', 'charlie', 'chas', 'chuck'],
  ['charlotte', 'lottie', 'charlie'],
  ['henry', 'harry', 'hal'],
  ['david', 'dave', 'davy'],
  ['stephen', 'steven', 'steve', 'stevie'],
  ['patricia', 'pat', 'patty', 'trish'],
  ['patrick', 'pat', 'paddy'],
  ['susan', 'sue', 'suzy', 'susie'],
  ['rebecca', 'becky', 'becca'],
  ['victoria', 'vicky', 'tori'],
  ['abigail', 'abby', 'abbie'],
  ['frederick', 'fred', 'freddie'],
  ['oliver', 'ollie'],
  ['isabella', 'isabelle', 'bella', 'izzy'],
  ['joshua', 'josh'],
  ['zachary', 'zach', 'zack'],
  ['timothy', 'tim', 'timmy'],
  ['peter', 'pete'],
  ['philip', 'phillip', 'phil'],
  ['gregory', 'greg'],
  ['jacob', 'jake'],
  ['lucas', 'luke'],
  ['deborah', 'debbie', 'deb'],
  ['amanda', 'mandy'],
  ['theodore', 'theo', 'ted'],
  ['nathaniel', 'nathan', 'nate', 'nat'],
  ['eleanor', 'ellie', 'nell', 'nora'],
  ['ellen', 'ellie', 'nell'],
  ['emily', 'em', 'emmy'],
  ['emma', 'em'],
  ['mohammed', 'muhammad', 'mohammad', 'mohamed', 'mo'],
]

const NICKNAMES = new Map<string, Set<number>>()
NICKNAME_GROUPS.forEach((group, g) => {
  for (const name of group) {
    let s = NICKNAMES.get(name)
    if (!s) NICKNAMES.set(name, (s = new Set()))
    s.add(g)
  }
})

export function areNicknames(a: string, b: string): boolean {
  const ga = NICKNAMES.get(a)
  const gb = NICKNAMES.get(b)
  if (!ga || !gb) return false
  for (const g of ga) if (gb.has(g)) return true
  return false
}

// ---------- comparators over normalised values ----------

/** Name level without the swap check (which needs the other name field): exact 0, nickname 2, part 3, jw 4/5, else 6. */
export function compareNameCore(a: string, b: string): number {
  if (a === b) return 0
  if (areNicknames(a, b)) return 2
  if (/[- ]/.test(a) || /[- ]/.test(b)) {
    const pa = a.split(/[- ]/)
    const pb = b.split(/[- ]/)
    if (pa.some((p) => p.length > 1 && pb.includes(p))) return 3
    if (a.replace(/[- ]/g, '') === b.replace(/[- ]/g, '')) return 3
  }
  const jw = jaroWinkler(a, b)
  if (jw >= 0.92) return 4
  if (jw >= 0.8) return 5
  return 6
}

/** Full name level: a and b are this field, aOther and bOther the other name field (given ↔ family). */
export function compareName(a: string | null, b: string | null, aOther: string | null, bOther: string | null): number {
  if (a == null || b == null) return MISSING
  const core = compareNameCore(a, b)
  if (core === 0) return 0
  if (isSwapped(a, b, aOther, bOther)) return 1
  return core
}

export function isSwapped(a: string, b: string, aOther: string | null, bOther: string | null): boolean {
  return a === bOther && (aOther == null || aOther === b)
}

function daysFromCivil(v: number): number {
  const y = Math.floor(v / 10000)
  const m = Math.floor(v / 100) % 100
  const d = v % 100
  return Date.UTC(y, m - 1, d) / 86_400_000
}

/** dob levels: 0 exact, 1 day/month transposed, 2 one day apart or one digit different, 3 same year, 4 else. */
export function compareDob(a: number, b: number): number {
  if (a < 0 || b < 0) return MISSING
  if (a === b) return 0
  const ya = Math.floor(a / 10000)
  const yb = Math.floor(b / 10000)
  const ma = Math.floor(a / 100) % 100
  const mb = Math.floor(b / 100) % 100
  const da = a % 100
  const db = b % 100
  if (ya === yb && ma === db && da === mb) return 1
  if (Math.abs(daysFromCivil(a) - daysFromCivil(b)) === 1) return 2
  let diff = 0
  for (let x = a, y = b; x > 0 || y > 0; x = Math.floor(x / 10), y = Math.floor(y / 10)) if (x % 10 !== y % 10) diff++
  if (diff === 1) return 2
  if (ya === yb) return 3
  return 4
}

export function compareIdentifier(a: string, b: string): number {
  if (a === b) return 0
  return oneEditApart(a, b) ? 1 : 2
}

function district(p: string): string {
  const sp = p.indexOf(' ')
  if (sp > 0) return p.slice(0, sp)
  return p.length > 3 ? p.slice(0, 3) : p
}

export function comparePostcode(a: string, b: string): number {
  if (a === b) return 0
  if (oneEditApart(a.replace(' ', ''), b.replace(' ', ''))) return 1
  if (district(a) === district(b)) return 2
  return 3
}

export function compareAddress(a: string, b: string): number {
  if (a === b) return 0
  const jw = jaroWinkler(a, b)
  if (jw >= 0.92) return 1
  if (jw >= 0.8) return 2
  const ta = new Set(a.split(' '))
  const tb = b.split(' ')
  let shared = 0
  for (const t of tb) if (ta.has(t)) shared++
  if (shared * 2 >= Math.max(ta.size, tb.length)) return 2
  return 3
}

export function compareCity(a: string, b: string): number {
  if (a === b) return 0
  const jw = jaroWinkler(a, b)
  return jw >= 0.92 ? 1 : jw >= 0.8 ? 2 : 3
}

export function compareEmail(a: string, b: string): number {
  if (a === b) return 0
  const la = a.split('@')[0]
  const lb = b.split('@')[0]
  if (la && la === lb) return 1
  return jaroWinkler(a, b) >= 0.88 ? 2 : 3
}

export function compareSex(a: string, b: string): number {
  return a === b ? 0 : 1
}

/** The comparator of a single-valued field (names and dob are handled by compareName / compareDob). */
export function simpleComparator(field: FieldName): (a: string, b: string) => number {
  switch (field) {
    case 'nhs_number':
    case 'upn':
      return compareIdentifier
    case 'postcode':
      return comparePostcode
    case 'address':
      return compareAddress
    case 'city':
      return compareCity
    case 'email':
      return compareEmail
    case 'sex':
      return compareSex
    case 'given_name':
    case 'family_name':
      return compareNameCore
    case 'dob':
      return (a, b) => compareDob(Number(a), Number(b))
  }
}
