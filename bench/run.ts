// `npm run bench [-- NAME ...]`: runs the benchmarks (all, or those whose name matches), merges the results into
// bench/results/latest.json (an entry per id and engine) and rewrites the table in bench/README.md.
import fs from 'node:fs'
import path from 'node:path'
import type { BenchResult } from './types.ts'

const root = path.resolve(import.meta.dirname)
const registry: { name: string; file: string }[] = [
  { name: 'child_page', file: 'child_page.ts' },
  { name: 'audit', file: 'audit.ts' },
  { name: 'embedded_start', file: 'embedded_start.ts' },
  { name: 'front_door', file: 'front_door.ts' },
  { name: 'chronology_page', file: 'chronology_page.ts' },
  { name: 'search', file: 'search.ts' },
  { name: 'linkage', file: 'linkage.ts' },
].filter((b) => fs.existsSync(path.join(root, b.file)))

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const chosen = registry.filter((b) => !wanted.length || wanted.some((w) => b.name.includes(w)))
if (!chosen.length) {
  console.error(`No benchmark matches ${wanted.join(', ')}. Known: ${registry.map((b) => b.name).join(', ')}`)
  process.exit(2)
}

const file = path.join(root, 'results/latest.json')
let results: BenchResult[] = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResult[]) : []
let failed = false
for (const b of chosen) {
  const t0 = Date.now()
  console.log(`▶ ${b.name}`)
  try {
    const mod = (await import(path.join(root, b.file))) as { run(): Promise<BenchResult[]> }
    const got = await mod.run()
    for (const r of got) {
      results = results.filter((x) => !(x.id === r.id && x.engine === r.engine))
      results.push(r)
      console.log(`  ${r.id} = ${r.value} ${r.unit}${r.baseline !== null ? ` (baseline ${r.baseline})` : ''} [${r.engine}, ${r.dataset}]`)
    }
    console.log(`  ${b.name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  } catch (err) {
    failed = true
    console.error(`  ${b.name} failed:`, err)
  }
}
results.sort((a, b) => a.id.localeCompare(b.id) || a.engine.localeCompare(b.engine))
fs.mkdirSync(path.dirname(file), { recursive: true })
fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)

const readme = path.join(root, 'README.md')
const table = [
  '| id | value | unit | engine | dataset | baseline | ratio | at |',
  '|---|---:|---|---|---|---:|---:|---|',
  ...results.map((r) => `| \`${r.id}\` | ${r.value} | ${r.unit} | ${r.engine} | ${r.dataset} | ${r.baseline ?? '—'} | ${r.baseline ? (r.value / r.baseline).toFixed(3) : '—'} | ${r.at.slice(0, 16).replace('T', ' ')} |`),
].join('\n')
const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '<!-- results:start -->\n<!-- results:end -->\n'
fs.writeFileSync(readme, text.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, `<!-- results:start -->\n${table}\n<!-- results:end -->`))
process.exit(failed ? 1 : 0)
