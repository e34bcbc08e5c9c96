// Probabilistic record linkage (Fellegi–Sunter), as Splink does it, without a database:
//  1. normalise each field and intern its values (ids into a shared vocabulary, typed arrays per field);
//  2. blocking: several rules OR-ed; a pair found by rule k is kept only if no earlier rule also finds it, so
//     candidate pairs are never duplicated and no pair set is needed;
//  3. compare each candidate pair field by field into a comparison level; the vector of levels (the "pattern") is
//     interned, so EM runs over distinct patterns with counts;
//  4. u (P(level | non-match)) from random record pairs; m (P(level | match)) and the share of matches by EM over
//     the candidate pairs — no labels;
//  5. match weight = log2 prior odds + Σ log2(m/u) per field; probability = 2^w / (1 + 2^w); the prior is the
//     expected number of matches among the candidates (from EM) over all possible pairs;
//  6. dedupe: connected components (union–find) over the pairs at or above the threshold.
import { prng } from '../../data/ids.ts'
import { compareDob, FIELDS, MISSING, simpleComparator, soundex, normaliseField, type FieldName } from './comparators.ts'

export { FIELDS, FIELD_NAMES, MISSING, isFieldName, type FieldName } from './comparators.ts'

/** A record: raw values by field (any may be absent). */
export type InputRecord = Partial<Record<FieldName, string | null | undefined>>

/** Fixed before any evaluation; the same for every dataset. */
export const DEFAULTS = Object.freeze({
  /** pairs at or above this match probability are links (and join clusters) */
  threshold: 0.5,
  /** pairs at or above this (and below threshold) are returned for clerical review */
  reviewThreshold: 0.2,
  /** random pairs drawn to estimate u (all pairs when there are fewer) */
  uSamplePairs: 1_000_000,
  emMaxIterations: 200,
  emTolerance: 1e-7,
  seed: 0x5eed,
  /** blocks with more records than this are skipped (counted in stats.skippedBlocks) so one common key cannot explode */
  maxBlockSize: 5000,
})

export interface Options {
  threshold?: number
  reviewThreshold?: number
  uSamplePairs?: number
  emMaxIterations?: number
  seed?: number
  maxBlockSize?: number
  /** called between stages, e.g. for a progress line */
  progress?: (stage: string, detail: string) => void
}

export interface Model {
  fields: FieldName[]
  levelNames: (readonly string[])[]
  /** m[f][level]: P(level | match), by EM */
  m: number[][]
  /** u[f][level]: P(level | non-match), from random pairs */
  u: number[][]
  /** P(two random records match) */
  lambda: number
  /** log2(lambda / (1 - lambda)) */
  priorWeight: number
}

export interface ScoredPair {
  /** index into the first record list (dedupe: the lower index) */
  a: number
  /** index into the second record list (dedupe: the same list, higher index) */
  b: number
  weight: number
  probability: number
  /** comparison level per model field (MISSING = 255 when either value is absent) */
  levels: number[]
  model: Model
}

export interface Stats {
  candidatePairs: number
  patterns: number
  skippedBlocks: number
  emIterations: number
  /** share of matches among the candidate pairs, by EM */
  lambdaCandidates: number
  uPairs: number
  seconds: Record<string, number>
}

export interface LinkResult {
  model: Model
  /** pairs with probability >= reviewThreshold, highest first */
  pairs: ScoredPair[]
  stats: Stats
  threshold: number
  reviewThreshold: number
}

export interface DedupeResult extends LinkResult {
  /** cluster number per record, 0.. in order of first appearance */
  clusters: Int32Array
  clusterCount: number
}

export interface FieldExplanation {
  field: FieldName
  level: string
  m: number | null
  u: number | null
  /** log2(m/u); 0 when missing */
  log2BayesFactor: number
}

export interface Explanation {
  prior: number
  fields: FieldExplanation[]
  /** prior + Σ log2BayesFactor */
  total: number
  probability: number
}

// ---------- preparation ----------

interface Vocab {
  values: string[]
  index: Map<string, number>
}

interface Prepared {
  n: number
  /** per model field: value id into the field's vocabulary, -1 when missing */
  ids: Int32Array[]
  /** dob as YYYYMMDD, -1 when missing (when dob is a field) */
  dob: Int32Array | null
}

interface Context {
  fields: FieldName[]
  /** vocabulary per field (given and family name share one, so a swap is an id comparison) */
  vocabs: Vocab[]
  sets: Prepared[]
}

function intern(v: Vocab, s: string): number {
  let id = v.index.get(s)
  if (id === undefined) {
    id = v.values.length
    v.values.push(s)
    v.index.set(s, id)
  }
  return id
}

function prepare(sets: InputRecord[][], fields: FieldName[]): Context {
  const names: Vocab = { values: [], index: new Map() }
  const vocabs = fields.map((f) => (f === 'given_name' || f === 'family_name' ? names : { values: [], index: new Map<string, number>() }))
  const prepared = sets.map((records) => {
    const n = records.length
    const ids = fields.map(() => new Int32Array(n).fill(-1))
    const di = fields.indexOf('dob')
    const dob = di >= 0 ? new Int32Array(n).fill(-1) : null
    for (let i = 0; i < n; i++) {
      const r = records[i]!
      for (let f = 0; f < fields.length; f++) {
        const v = normaliseField(fields[f]!, r[fields[f]!])
        if (v == null) continue
        ids[f]![i] = intern(vocabs[f]!, v)
        if (f === di) dob![i] = Number(v)
      }
    }
    return { n, ids, dob }
  })
  return { fields, vocabs, sets: prepared }
}

// ---------- comparison ----------

interface Comparer {
  /** writes the level per field into out and returns the pattern number */
  compare(A: Prepared, i: number, B: Prepared, j: number, out: Uint8Array): number
  /** the same without the per-field cache of value-pair levels (random pairs rarely repeat) */
  compareUncached(A: Prepared, i: number, B: Prepared, j: number, out: Uint8Array): number
  radix: number[]
}

function makeComparer(ctx: Context): Comparer {
  const { fields, vocabs } = ctx
  const F = fields.length
  const gi = fields.indexOf('given_name')
  const fi = fields.indexOf('family_name')
  const di = fields.indexOf('dob')
  const other = fields.map((_, f) => (f === gi ? fi : f === fi ? gi : -1))
  const cmp = fields.map((f) => simpleComparator(f))
  const caches = fields.map(() => new Map<number, number>())
  const sizes = vocabs.map((v) => v.values.length)
  const radix = fields.map((f) => FIELDS[f].levels.length + 1)
  const mult: number[] = []
  let m = 1
  for (let f = 0; f < F; f++) {
    mult.push(m)
    m *= radix[f]!
  }
  function compare(A: Prepared, i: number, B: Prepared, j: number, out: Uint8Array, useCache = true): number {
    let pattern = 0
    for (let f = 0; f < F; f++) {
      const a = A.ids[f]![i]!
      const b = B.ids[f]![j]!
      let level: number
      if (a < 0 || b < 0) level = MISSING
      else if (a === b) level = 0
      else if (f === di) level = compareDob(A.dob![i]!, B.dob![j]!)
      else {
        const o = other[f]!
        if (o >= 0 && a === B.ids[o]![j] && (A.ids[o]![i]! < 0 || A.ids[o]![i] === b)) level = 1
        else if (!useCache) level = cmp[f]!(vocabs[f]!.values[a]!, vocabs[f]!.values[b]!)
        else {
          const key = a < b ? a * sizes[f]! + b : b * sizes[f]! + a
          const cache = caches[f]!
          let c = cache.get(key)
          if (c === undefined) {
            const vals = vocabs[f]!.values
            c = cmp[f]!(vals[a]!, vals[b]!)
            if (cache.size > 1_000_000) cache.clear()
            cache.set(key, c)
          }
          level = c
        }
      }
      out[f] = level
      pattern += (level === MISSING ? radix[f]! - 1 : level) * mult[f]!
    }
    return pattern
  }
  return { compare: (A, i, B, j, out) => compare(A, i, B, j, out, true), compareUncached: (A, i, B, j, out) => compare(A, i, B, j, out, false), radix }
}

function decodePattern(pattern: number, radix: number[]): number[] {
  const levels: number[] = []
  for (const r of radix) {
    const l = pattern % r
    levels.push(l === r - 1 ? MISSING : l)
    pattern = Math.floor(pattern / r)
  }
  return levels
}

// ---------- blocking ----------

interface BlockRule {
  name: string
  needs: FieldName[]
  key(get: (f: FieldName) => string | null, sx: (f: FieldName) => string): string | null
}

/** The blocking rules, OR-ed; each applies only when its fields are mapped. */
export const BLOCKING_RULES: readonly BlockRule[] = [
  { name: 'nhs_number', needs: ['nhs_number'], key: (g) => g('nhs_number') },
  { name: 'upn', needs: ['upn'], key: (g) => g('upn') },
  { name: 'email', needs: ['email'], key: (g) => g('email') },
  { name: 'dob+soundex(family)', needs: ['dob', 'family_name'], key: (g, sx) => join(g('dob'), sx('family_name')) },
  { name: 'dob+soundex(given)', needs: ['dob', 'given_name'], key: (g, sx) => join(g('dob'), sx('given_name')) },
  { name: 'dob+postcode', needs: ['dob', 'postcode'], key: (g) => join(g('dob'), g('postcode')) },
  { name: 'dob+city', needs: ['dob', 'city'], key: (g) => join(g('dob'), g('city')) },
  {
    name: 'soundex(given)+soundex(family), either order',
    needs: ['given_name', 'family_name'],
    key: (_g, sx) => {
      const a = sx('given_name')
      const b = sx('family_name')
      return a && b ? (a < b ? `${a}|${b}` : `${b}|${a}`) : null
    },
  },
  { name: 'postcode+soundex(family)', needs: ['postcode', 'family_name'], key: (g, sx) => join(g('postcode'), sx('family_name')) },
  { name: 'address', needs: ['address'], key: (g) => g('address') },
]

function join(a: string | null, b: string | null): string | null {
  return a && b ? `${a}|${b}` : null
}

/** Per applicable rule, a key id per record of each set (-1 = no key). */
function blockingKeys(ctx: Context): { rules: BlockRule[]; keys: Int32Array[][]; keyCounts: number[] } {
  const { fields, vocabs, sets } = ctx
  const rules = BLOCKING_RULES.filter((r) => r.needs.every((f) => fields.includes(f)))
  const soundexCache = new Map<string, string>()
  const sx = (s: string | null): string => {
    if (s == null) return ''
    let v = soundexCache.get(s)
    if (v === undefined) soundexCache.set(s, (v = soundex(s.split(/[- ]/)[0] ?? '')))
    return v
  }
  const keys: Int32Array[][] = rules.map(() => [])
  const keyCounts: number[] = []
  rules.forEach((rule, r) => {
    const index = new Map<string, number>()
    for (const set of sets) {
      const out = new Int32Array(set.n)
      let i = 0
      const get = (f: FieldName): string | null => {
        const fi = fields.indexOf(f)
        const id = set.ids[fi]![i]!
        return id < 0 ? null : vocabs[fi]!.values[id]!
      }
      const getSx = (f: FieldName): string => sx(get(f))
      for (; i < set.n; i++) {
        const k = rule.key(get, getSx)
        if (k == null || k === '') {
          out[i] = -1
          continue
        }
        let id = index.get(k)
        if (id === undefined) index.set(k, (id = index.size))
        out[i] = id
      }
      keys[r]!.push(out)
    }
    keyCounts.push(index.size)
  })
  return { rules, keys, keyCounts }
}

/** Records grouped by key: order[start[k] .. start[k+1]) are the records with key k. */
function buckets(keys: Int32Array, keyCount: number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(keyCount + 1)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (k >= 0) start[k + 1]!++
  }
  for (let k = 0; k < keyCount; k++) start[k + 1]! += start[k]!
  const fill = start.slice(0, keyCount)
  const order = new Int32Array(start[keyCount]!)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    if (k >= 0) order[fill[k]!++] = i
  }
  return { start, order }
}

// ---------- candidate pairs ----------

class PairStore {
  a: Int32Array = new Int32Array(1 << 16)
  b: Int32Array = new Int32Array(1 << 16)
  p: Int32Array = new Int32Array(1 << 16)
  length = 0
  push(a: number, b: number, p: number): void {
    if (this.length === this.a.length) {
      const size = this.a.length * 2
      const grow = (x: Int32Array): Int32Array => {
        const y = new Int32Array(size)
        y.set(x)
        return y
      }
      this.a = grow(this.a)
      this.b = grow(this.b)
      this.p = grow(this.p)
    }
    this.a[this.length] = a
    this.b[this.length] = b
    this.p[this.length] = p
    this.length++
  }
}

interface Candidates {
  pairs: PairStore
  /** distinct patterns and how many candidate pairs have each */
  patterns: number[]
  counts: number[]
  /** per blocking rule, how many of the pairs it finds have each pattern (a pair counts for every rule finding it) */
  countsByRule: number[][]
  /** the same, a pair counting only for the first rule that finds it */
  firstCountsByRule: number[][]
  rules: BlockRule[]
  skippedBlocks: number
}

function candidates(ctx: Context, comparer: Comparer, maxBlockSize: number): Candidates {
  const dedupe = ctx.sets.length === 1
  const A = ctx.sets[0]!
  const B = ctx.sets[dedupe ? 0 : 1]!
  const { rules, keys, keyCounts } = blockingKeys(ctx)
  const pairs = new PairStore()
  const patternIndex = new Map<number, number>()
  const patterns: number[] = []
  const counts: number[] = []
  const countsByRule: number[][] = rules.map(() => [])
  const firstCountsByRule: number[][] = rules.map(() => [])
  const out = new Uint8Array(ctx.fields.length)
  let skippedBlocks = 0
  const emit = (i: number, j: number, r: number): void => {
    // a pair belongs to the first rule that finds it
    for (let q = 0; q < r; q++) {
      const ka = keys[q]![0]![i]!
      if (ka >= 0 && ka === keys[q]![dedupe ? 0 : 1]![j]) return
    }
    const pattern = comparer.compare(A, i, B, j, out)
    let idx = patternIndex.get(pattern)
    if (idx === undefined) {
      patternIndex.set(pattern, (idx = patterns.length))
      patterns.push(pattern)
      counts.push(0)
      for (const c of countsByRule) c.push(0)
      for (const c of firstCountsByRule) c.push(0)
    }
    counts[idx]!++
    firstCountsByRule[r]![idx]!++
    countsByRule[r]![idx]!++
    for (let q = r + 1; q < rules.length; q++) {
      const ka = keys[q]![0]![i]!
      if (ka >= 0 && ka === keys[q]![dedupe ? 0 : 1]![j]) countsByRule[q]![idx]!++
    }
    pairs.push(i, j, idx)
  }
  for (let r = 0; r < rules.length; r++) {
    const ba = buckets(keys[r]![0]!, keyCounts[r]!)
    if (dedupe) {
      for (let k = 0; k < keyCounts[r]!; k++) {
        const s = ba.start[k]!
        const e = ba.start[k + 1]!
        if (e - s < 2) continue
        if (e - s > maxBlockSize) {
          skippedBlocks++
          continue
        }
        for (let x = s; x < e; x++) for (let y = x + 1; y < e; y++) emit(ba.order[x]!, ba.order[y]!, r)
      }
    } else {
      const bb = buckets(keys[r]![1]!, keyCounts[r]!)
      for (let k = 0; k < keyCounts[r]!; k++) {
        const s = ba.start[k]!
        const e = ba.start[k + 1]!
        const s2 = bb.start[k]!
        const e2 = bb.start[k + 1]!
        if (e === s || e2 === s2) continue
        if (e - s > maxBlockSize || e2 - s2 > maxBlockSize) {
          skippedBlocks++
          continue
        }
        for (let x = s; x < e; x++) for (let y = s2; y < e2; y++) emit(ba.order[x]!, bb.order[y]!, r)
      }
    }
  }
  return { pairs, patterns, counts, countsByRule, firstCountsByRule, rules, skippedBlocks }
}

// ---------- estimation ----------


/** u per field and level from random pairs (all pairs when there are no more than `sample`). */
function estimateU(ctx: Context, comparer: Comparer, sample: number, seed: number): { u: number[][]; pairs: number } {
  const F = ctx.fields.length
  const dedupe = ctx.sets.length === 1
  const A = ctx.sets[0]!
  const B = ctx.sets[dedupe ? 0 : 1]!
  const counts = ctx.fields.map((f) => new Float64Array(FIELDS[f].levels.length))
  const out = new Uint8Array(F)
  const add = (): void => {
    for (let f = 0; f < F; f++) {
      const l = out[f]!
      if (l !== MISSING) counts[f]![l]!++
    }
  }
  const total = dedupe ? (A.n * (A.n - 1)) / 2 : A.n * B.n
  let pairs = 0
  if (total <= sample) {
    for (let i = 0; i < A.n; i++)
      for (let j = dedupe ? i + 1 : 0; j < B.n; j++) {
        comparer.compareUncached(A, i, B, j, out)
        add()
        pairs++
      }
  } else {
    const rand = prng(seed)
    while (pairs < sample) {
      const i = Math.floor(rand() * A.n)
      const j = Math.floor(rand() * B.n)
      if (dedupe && i === j) continue
      comparer.compareUncached(A, i, B, j, out)
      add()
      pairs++
    }
  }
  const u = counts.map((c) => {
    const n = c.reduce((s, x) => s + x, 0)
    // one pseudo-observation per level: an unseen level is "about 1 in n", never 0
    return Array.from(c, (x) => (x + 1) / (n + c.length))
  })
  return { u, pairs }
}

export interface EmInput {
  /** level per field per pattern (MISSING allowed) */
  levels: number[][]
  counts: number[]
  levelCounts: number[]
  /** P(level | non-match) per field, held fixed (from random pairs) */
  u: number[][]
  /** fields left out of this session (those the blocking rule forced to agree): neither used nor trained */
  exclude?: boolean[]
}

export interface EmResult {
  /** P(level | match) per field (a left-out field keeps its starting values) */
  m: number[][]
  /** share of matches among these pairs */
  lambda: number
  iterations: number
  /** posterior match probability per pattern */
  posterior: number[]
  /** Σ count × posterior */
  expectedMatches: number
}

/** Starting m: most weight on the exact level, a little on "else". */
export function startingM(levelCounts: number[]): number[][] {
  return levelCounts.map((L) => Array.from({ length: L }, (_, l) => (L === 2 ? (l === 0 ? 0.95 : 0.05) : l === 0 ? 0.8 : l === L - 1 ? 0.05 : 0.15 / (L - 2))))
}

/**
 * EM for the Fellegi–Sunter mixture over comparison patterns with counts, u fixed (Splink's way): estimates m and
 * the share of matches. Missing levels and left-out fields contribute nothing.
 */
export function expectationMaximisation(input: EmInput, maxIterations: number = DEFAULTS.emMaxIterations, tolerance: number = DEFAULTS.emTolerance): EmResult {
  const { levels, counts, levelCounts, u } = input
  const F = levelCounts.length
  const K = counts.length
  const use = levelCounts.map((_, f) => !input.exclude?.[f])
  const total = counts.reduce((s, x) => s + x, 0)
  let m = startingM(levelCounts)
  const lu = u.map((r) => r.map(Math.log))
  let lambda = 0.1
  const posterior = new Array<number>(K).fill(0)
  let expectedMatches = 0
  let iterations = 0
  for (; iterations < maxIterations; iterations++) {
    const lm = m.map((r) => r.map(Math.log))
    const mAcc = levelCounts.map((L) => new Array<number>(L).fill(1e-6))
    let matchSum = 0
    for (let k = 0; k < K; k++) {
      const c = counts[k]!
      if (c === 0) continue
      const lev = levels[k]!
      let w = Math.log(lambda / (1 - lambda))
      for (let f = 0; f < F; f++) {
        const l = lev[f]!
        if (l !== MISSING && use[f]) w += lm[f]![l]! - lu[f]![l]!
      }
      const p = 1 / (1 + Math.exp(-w))
      posterior[k] = p
      matchSum += c * p
      for (let f = 0; f < F; f++) {
        const l = lev[f]!
        if (l !== MISSING && use[f]) mAcc[f]![l]! += c * p
      }
    }
    expectedMatches = matchSum
    const m2 = mAcc.map((r, f) => {
      if (!use[f]) return m[f]!
      const sum = r.reduce((x, y) => x + y, 0)
      return r.map((x) => x / sum)
    })
    const lambda2 = Math.min(1 - 1e-9, Math.max(1e-9, matchSum / Math.max(1, total)))
    let change = Math.abs(lambda2 - lambda)
    for (let f = 0; f < F; f++) for (let l = 0; l < levelCounts[f]!; l++) change = Math.max(change, Math.abs(m2[f]![l]! - m[f]![l]!))
    m = m2
    lambda = lambda2
    if (change < tolerance) {
      iterations++
      break
    }
  }
  return { m, lambda, iterations, posterior, expectedMatches }
}

/** Match weight and probability of a comparison vector under a model. */
export function score(model: Model, levels: readonly number[]): { weight: number; probability: number } {
  let w = model.priorWeight
  for (let f = 0; f < levels.length; f++) {
    const l = levels[f]!
    if (l !== MISSING) w += Math.log2(model.m[f]![l]! / model.u[f]![l]!)
  }
  return { weight: w, probability: probabilityOf(w) }
}

function probabilityOf(weight: number): number {
  return 1 / (1 + Math.pow(2, -weight))
}

/** Why a pair scored as it did: per field, its comparison level and log2 Bayes factor; they sum to the total. */
export function explain(pair: { levels: readonly number[]; model: Model }): Explanation {
  const { model } = pair
  const fields = model.fields.map((field, f): FieldExplanation => {
    const l = pair.levels[f]!
    if (l === MISSING) return { field, level: 'missing', m: null, u: null, log2BayesFactor: 0 }
    const m = model.m[f]![l]!
    const u = model.u[f]![l]!
    return { field, level: model.levelNames[f]![l]!, m, u, log2BayesFactor: Math.log2(m / u) }
  })
  const total = fields.reduce((s, x) => s + x.log2BayesFactor, model.priorWeight)
  return { prior: model.priorWeight, fields, total, probability: probabilityOf(total) }
}

// ---------- the two entry points ----------

function run(sets: InputRecord[][], fields: FieldName[], options: Options): { result: LinkResult; cand: Candidates } {
  const opt = { ...DEFAULTS, ...options }
  if (!fields.length) throw new Error('no fields to compare')
  if (new Set(fields).size !== fields.length) throw new Error('a field is given twice')
  for (const f of fields) if (!(f in FIELDS)) throw new Error(`unknown field ${f}`)
  const seconds: Record<string, number> = {}
  let t = performance.now()
  const lap = (stage: string, detail = ''): void => {
    const now = performance.now()
    seconds[stage] = Math.round(now - t) / 1000
    t = now
    opt.progress?.(stage, detail)
  }
  const ctx = prepare(sets, fields)
  lap('prepare', `${sets.map((s) => s.length).join(' + ')} records`)
  const comparer = makeComparer(ctx)
  const cand = candidates(ctx, comparer, opt.maxBlockSize)
  lap('block_and_compare', `${cand.pairs.length} candidate pairs, ${cand.patterns.length} patterns`)
  const { u, pairs: uPairs } = estimateU(ctx, comparer, opt.uSamplePairs, opt.seed)
  lap('estimate_u', `${uPairs} random pairs`)
  const levelCounts = fields.map((f) => FIELDS[f].levels.length)
  const patternLevels = cand.patterns.map((p) => decodePattern(p, comparer.radix))
  // one EM session per blocking rule over all the pairs it finds, leaving out the fields it forced to agree; a
  // field's m is the average over the sessions that trained it, weighted by their expected matches. The expected
  // number of matches among the candidates counts each pair once, with the posterior of the first rule finding it.
  const F = fields.length
  const mSum = levelCounts.map((L) => new Array<number>(L).fill(0))
  const mWeight = new Array<number>(F).fill(0)
  let expectedMatches = 0
  let emIterations = 0
  cand.rules.forEach((rule, r) => {
    const counts = cand.countsByRule[r]!
    if (!counts.some((c) => c > 0)) return
    const exclude = fields.map((f) => rule.needs.includes(f))
    const em = expectationMaximisation({ levels: patternLevels, counts, levelCounts, u, exclude }, opt.emMaxIterations)
    emIterations += em.iterations
    cand.firstCountsByRule[r]!.forEach((c, k) => (expectedMatches += c * em.posterior[k]!))
    for (let f = 0; f < F; f++) {
      if (exclude[f]) continue
      mWeight[f]! += em.expectedMatches
      for (let l = 0; l < levelCounts[f]!; l++) mSum[f]![l]! += em.expectedMatches * em.m[f]![l]!
    }
  })
  const start = startingM(levelCounts)
  const m = mSum.map((row, f) => (mWeight[f]! > 0 ? row.map((x) => x / mWeight[f]!) : start[f]!))
  const n0 = ctx.sets[0]!.n
  const totalPairs = sets.length === 1 ? (n0 * (n0 - 1)) / 2 : n0 * ctx.sets[1]!.n
  const lambda = Math.min(0.5, Math.max(1e-12, expectedMatches / Math.max(1, totalPairs)))
  const model: Model = {
    fields,
    levelNames: fields.map((f) => FIELDS[f].levels),
    m,
    u,
    lambda,
    priorWeight: Math.log2(lambda / (1 - lambda)),
  }
  lap('em', `${cand.rules.length} sessions, ${emIterations} iterations, λ = ${lambda.toExponential(3)}`)
  const patternScore = patternLevels.map((lv) => score(model, lv))
  const pairs: ScoredPair[] = []
  const P = cand.pairs
  for (let x = 0; x < P.length; x++) {
    const k = P.p[x]!
    const s = patternScore[k]!
    if (s.probability >= opt.reviewThreshold) pairs.push({ a: P.a[x]!, b: P.b[x]!, weight: s.weight, probability: s.probability, levels: patternLevels[k]!, model })
  }
  pairs.sort((p, q) => q.weight - p.weight || p.a - q.a || p.b - q.b)
  lap('score')
  const stats: Stats = { candidatePairs: P.length, patterns: cand.patterns.length, skippedBlocks: cand.skippedBlocks, emIterations, lambdaCandidates: expectedMatches / Math.max(1, P.length), uPairs, seconds }
  return { result: { model, pairs, stats, threshold: opt.threshold, reviewThreshold: opt.reviewThreshold }, cand }
}

/** Links two lists of records: the pairs (index in A, index in B) with their match probability. */
export function link(recordsA: InputRecord[], recordsB: InputRecord[], fields: FieldName[], options: Options = {}): LinkResult {
  return run([recordsA, recordsB], fields, options).result
}

/** Finds the same person within one list: clusters (connected components of pairs at or above the threshold). */
export function dedupe(records: InputRecord[], fields: FieldName[], options: Options = {}): DedupeResult {
  const { result } = run([records], fields, options)
  const uf = new UnionFind(records.length)
  for (const p of result.pairs) if (p.probability >= result.threshold) uf.union(p.a, p.b)
  const { labels, count } = uf.labels()
  return { ...result, clusters: labels, clusterCount: count }
}

/** The pairs at or above the result's threshold. */
export function links(result: LinkResult): ScoredPair[] {
  return result.pairs.filter((p) => p.probability >= result.threshold)
}

/** Comparison levels of two records (for one-off scoring and explanations). */
export function compareRecords(a: InputRecord, b: InputRecord, fields: FieldName[]): number[] {
  const ctx = prepare([[a], [b]], fields)
  const out = new Uint8Array(fields.length)
  makeComparer(ctx).compare(ctx.sets[0]!, 0, ctx.sets[1]!, 0, out)
  return Array.from(out)
}

/** The name of each field's comparison level for two records ('missing' when either value is absent). */
export function compareLevelNames(a: InputRecord, b: InputRecord, fields: FieldName[]): Partial<Record<FieldName, string>> {
  const levels = compareRecords(a, b, fields)
  return Object.fromEntries(fields.map((f, i) => [f, levels[i] === MISSING ? 'missing' : FIELDS[f].levels[levels[i]!]!]))
}

export class UnionFind {
  parent: Int32Array
  constructor(n: number) {
    this.parent = new Int32Array(n)
    for (let i = 0; i < n; i++) this.parent[i] = i
  }
  find(x: number): number {
    const p = this.parent
    while (p[x] !== x) {
      p[x] = p[p[x]!]!
      x = p[x]!
    }
    return x
  }
  union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  /** component number per element, numbered in order of first appearance */
  labels(): { labels: Int32Array; count: number } {
    const n = this.parent.length
    const labels = new Int32Array(n).fill(-1)
    const byRoot = new Int32Array(n).fill(-1)
    let count = 0
    for (let i = 0; i < n; i++) {
      const r = this.find(i)
      if (byRoot[r] === -1) byRoot[r] = count++
      labels[i] = byRoot[r]!
    }
    return { labels, count }
  }
}
