// The record-linkage matcher (src/modules/linkage) with its fixed defaults — nothing tuned per dataset:
//  - precision, recall and F1 over pairs on the reference sets in ../shared/datasets/linkage (FEBRL4 link,
//    fake_1000 dedupe, family_context link), against Splink's published F1 where there is one;
//  - a generated 1M-record dedupe (seeded, so the same records every run) in a child process of its own, timed,
//    with that process's peak resident memory, against the 60 s goal.
// When ../shared/datasets is absent the reference sets are skipped (said on stderr); the 1M run still happens.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { evaluateFake1000, evaluateFamilyContext, evaluateFebrl4, linkageDataDir, type Evaluation } from '../src/modules/linkage/datasets.ts'
import { clusterPairMetrics } from '../src/modules/linkage/evaluate.ts'
import { dedupe, type InputRecord } from '../src/modules/linkage/matcher.ts'
import { prng } from '../src/data/ids.ts'
import type { BenchResult } from './types.ts'

export const name = 'linkage'

const root = path.resolve(import.meta.dirname, '..')
const SPLINK_F1: Record<string, number | null> = { febrl4: 0.9992, fake_1000: 0.806, family_context: null }

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  const dir = linkageDataDir(root)
  if (!dir) console.error(`  linkage: ${path.resolve(root, '../shared/datasets/linkage')} is absent — the reference-set figures are skipped`)
  else {
    for (const evaluate of [evaluateFebrl4, evaluateFake1000, evaluateFamilyContext]) {
      const e: Evaluation = evaluate(dir)
      const at = new Date().toISOString()
      const r4 = (x: number): number => Math.round(x * 10000) / 10000
      out.push({ id: `linkage.${e.dataset}.f1`, value: r4(e.metrics.f1), unit: 'F1', engine: 'node', dataset: e.dataset, baseline: SPLINK_F1[e.dataset] ?? null, at })
      out.push({ id: `linkage.${e.dataset}.precision`, value: r4(e.metrics.precision), unit: 'ratio', engine: 'node', dataset: e.dataset, baseline: null, at })
      out.push({ id: `linkage.${e.dataset}.recall`, value: r4(e.metrics.recall), unit: 'ratio', engine: 'node', dataset: e.dataset, baseline: null, at })
      console.log(`  ${e.dataset}: ${e.metrics.truePositives} of ${e.metrics.predicted} predicted pairs true, ${e.metrics.actual} true pairs; ${e.result.stats.candidatePairs} candidates; ${e.seconds.toFixed(1)} s`)
    }
  }
  const big = dedupeMillion()
  const at = new Date().toISOString()
  out.push({ id: 'linkage.dedupe_1m.seconds', value: big.seconds, unit: 's', engine: 'node', dataset: 'generated-1000000', baseline: 60, at })
  out.push({ id: 'linkage.dedupe_1m.peak_rss_mb', value: big.peakRssMb, unit: 'MB', engine: 'node', dataset: 'generated-1000000', baseline: 4096, at })
  out.push({ id: 'linkage.dedupe_1m.f1', value: big.f1, unit: 'F1', engine: 'node', dataset: 'generated-1000000', baseline: null, at })
  console.log(`  dedupe_1m: ${big.detail}`)
  return out
}

interface MillionResult {
  seconds: number
  peakRssMb: number
  f1: number
  detail: string
}

/** Runs the 1M dedupe in a child process (its own peak RSS; killed after 10 minutes; a 4 GB heap cap). */
function dedupeMillion(): MillionResult {
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', fileURLToPath(import.meta.url), 'dedupe-1m'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 24 })
  if (r.status !== 0) throw new Error(`the 1M dedupe failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.slice(-2000)}`)
  const last = r.stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(last) as MillionResult
}

// ---------- the generated population ----------

const GIVEN = (
  'oliver george harry jack jacob noah charlie muhammad thomas oscar william james leo alfie henry joshua freddie archie ethan isaac ' +
  'alexander joseph edward samuel max daniel arthur lucas mohammed logan theo harrison benjamin mason sebastian finley adam dylan zachary ' +
  'riley teddy theodore david toby jake louie elijah reuben arlo hugo luca jaxon matthew harvey reggie michael harley jude albert tommy ' +
  'luke stanley jenson frankie jayden gabriel elliot rory robert christopher richard peter stephen andrew paul mark john ' +
  'olivia amelia isla ava emily isabella mia poppy ella lily sophia grace evie scarlett ruby chloe sophie daisy freya alice florence ' +
  'phoebe sienna matilda willow harper jessica elsie evelyn millie ivy rosie imogen esme eva maya lucy elizabeth emma katherine ' +
  'charlotte hannah sarah rebecca victoria samantha abigail eleanor margaret susan patricia jennifer amanda deborah zara layla aisha ' +
  'fatima maryam amira yasmin priya anika sana mariam'
).split(' ')

const SURNAME_REAL = (
  'smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright walker white edwards hughes ' +
  'green hall lewis harris clarke patel jackson wood turner martin cooper hill ward morris moore clark lee king baker harrison morgan ' +
  'allen james scott phillips watson davis parker price bennett young griffiths mitchell kelly cook carter richardson bailey collins ' +
  'bell shaw murphy miller cox richards khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb ' +
  'rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes knight lloyd butler russell barker fisher ' +
  'stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur gibson howard andrews stewart elliott reynolds saunders ' +
  'payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer gill dawson ball burton obrien watts rose booth perry ' +
  'ryan grant wells armstrong francis rees hayes hart hudson newman barrett webster hunter gregory carr lowe page marsh riley dunn woods ' +
  'nowak kowalski okafor adeyemi mensah nguyen chen wang rahman chowdhury hossain iqbal akhtar mahmood sharma'
).split(' ')
const SURNAME_PRE = 'ash brad carl dun elm fair green hart king lang mor north ox pen ross stan thorn whit black brook cliff cole hol mil sut wal bar cal dal hal'.split(' ')
const SURNAME_SUF = 'ton ley field wood worth well by ford ham more son man ridge stead hurst combe bury wick shaw cott'.split(' ')
const SURNAMES = [...SURNAME_REAL, ...SURNAME_PRE.flatMap((p) => SURNAME_SUF.map((s) => p + s))]
const NICK: Record<string, string> = { robert: 'bob', william: 'bill', james: 'jim', katherine: 'kate', elizabeth: 'liz', thomas: 'tom', michael: 'mike', samuel: 'sam', joseph: 'joe', daniel: 'dan', alexander: 'alex', benjamin: 'ben', matthew: 'matt', rebecca: 'becky', jennifer: 'jen', margaret: 'maggie', zachary: 'zach', edward: 'ed' }
const OUTWARD = 'AB B BA BB BD BH BL BN BR BS CA CB CF CH CM CO CR CT CV CW DA DE DH DL DN DT DY E EC EN EX FY GL GU HA HD HG HP HR HU HX IG IP KT L LA LE LN LS LU M ME MK N NE NG NN NP NR NW OL OX PE PL PO PR RG RH RM S SE SG SK SL SM SN SO SP SR SS ST SW SY TA TF TN TQ TR TS TW UB W WA WD WF WN WR WS WV YO'.split(' ')
const LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'

export function generatePopulation(n: number, seed = 20261128): { records: InputRecord[]; truth: Int32Array } {
  const rand = prng(seed)
  const pick = <T>(xs: readonly T[], skew = 1.6): T => xs[Math.floor(Math.pow(rand(), skew) * xs.length)]!
  const int = (k: number): number => Math.floor(rand() * k)
  const postcode = (): string => `${pick(OUTWARD, 1)}${1 + int(20)} ${int(10)}${LETTERS[int(20)]}${LETTERS[int(20)]}`
  const people = Math.round(n * 0.8)
  const records: InputRecord[] = []
  const truth = new Int32Array(n)
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)
  for (let p = 0; p < people; p++) {
    const female = rand() < 0.5
    const half = GIVEN.length >> 1
    const given = female ? GIVEN[half + Math.floor(Math.pow(rand(), 1.6) * (GIVEN.length - half))]! : GIVEN[Math.floor(Math.pow(rand(), 1.6) * half)]!
    const y = 1940 + int(85)
    const m = 1 + int(12)
    const d = 1 + int(28)
    records.push({ given_name: cap(given), family_name: cap(pick(SURNAMES)), dob: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, sex: female ? 'F' : 'M', postcode: postcode() })
    truth[p] = p
  }
  const typo = (s: string): string => {
    if (s.length < 3) return s
    const i = 1 + int(s.length - 2)
    const r = rand()
    if (r < 0.4) return s.slice(0, i) + String.fromCharCode(97 + int(26)) + s.slice(i + 1)
    if (r < 0.7) return s.slice(0, i) + s.slice(i + 1)
    return s.slice(0, i - 1) + s[i] + s[i - 1] + s.slice(i + 1)
  }
  for (let x = people; x < n; x++) {
    const p = int(people)
    const o = records[p]!
    const r: InputRecord = { ...o }
    if (rand() < 0.15) r.given_name = typo(r.given_name!)
    else if (rand() < 0.08 && NICK[r.given_name!.toLowerCase()]) r.given_name = cap(NICK[r.given_name!.toLowerCase()]!)
    if (rand() < 0.15) r.family_name = typo(r.family_name!)
    else if (rand() < 0.03) r.family_name = `${r.family_name}-${cap(pick(SURNAMES))}`
    if (rand() < 0.03) [r.given_name, r.family_name] = [r.family_name, r.given_name]
    const dr = rand()
    const [yy, mm, dd] = o.dob!.split('-')
    if (dr < 0.05 && Number(dd) <= 12) r.dob = `${yy}-${dd}-${mm}`
    else if (dr < 0.1) r.dob = `${yy}-${mm}-${String(Math.max(1, Number(dd) - 1)).padStart(2, '0')}`
    else if (dr < 0.13) r.dob = `${yy!.slice(0, 3)}${int(10)}-${mm}-${dd}`
    if (rand() < 0.2) r.postcode = postcode()
    else if (rand() < 0.1) r.postcode = null
    if (rand() < 0.05) r.family_name = null
    if (rand() < 0.1) r.sex = null
    records.push(r)
    truth[x] = p
  }
  // shuffle, so duplicates are not at the end
  for (let i = n - 1; i > 0; i--) {
    const j = int(i + 1)
    ;[records[i], records[j]] = [records[j]!, records[i]!]
    ;[truth[i], truth[j]] = [truth[j]!, truth[i]!]
  }
  return { records, truth }
}

// child process: generate, dedupe, print one JSON line
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'dedupe-1m') {
  const n = Number(process.argv[3] ?? 1_000_000)
  const { records, truth } = generatePopulation(n)
  const t0 = performance.now()
  const result = dedupe(records, ['given_name', 'family_name', 'dob', 'sex', 'postcode'], { progress: (stage, detail) => console.error(`    ${stage} ${((performance.now() - t0) / 1000).toFixed(1)} s ${detail}`) })
  const seconds = Math.round((performance.now() - t0) / 100) / 10
  const metrics = clusterPairMetrics(result.clusters, truth)
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
  const detail = `${n} records, ${result.stats.candidatePairs} candidate pairs, ${result.clusterCount} clusters, precision ${metrics.precision.toFixed(4)} recall ${metrics.recall.toFixed(4)}; stages ${JSON.stringify(result.stats.seconds)}`
  console.log(JSON.stringify({ seconds, peakRssMb, f1: Math.round(metrics.f1 * 10000) / 10000, detail }))
}
