import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { jaroWinkler, oneEditApart, parseDate, soundex } from './comparators.ts'
import { evaluateFamilyContext, evaluateFake1000, evaluateFebrl4, linkageDataDir } from './datasets.ts'
import { clusterPairMetrics } from './evaluate.ts'
import { compareLevelNames, dedupe, DEFAULTS, explain, expectationMaximisation, link, links, MISSING, score, type FieldName, type InputRecord } from './matcher.ts'
import { prng } from '../../data/ids.ts'

const root = path.resolve(import.meta.dirname, '../../..')

const level = (field: FieldName, a: InputRecord, b: InputRecord): string | undefined => compareLevelNames(a, b, [field, ...(field === 'given_name' ? (['family_name'] as const) : field === 'family_name' ? (['given_name'] as const) : [])])[field]

describe('comparators', () => {
  it('given_name: exact, typo, nickname, hyphenated part, swap and missing', () => {
    assert.equal(level('given_name', { given_name: 'Robert' }, { given_name: ' ROBERT ' }), 'exact')
    assert.equal(level('given_name', { given_name: 'Jonathon' }, { given_name: 'Jonathan' }), 'jw_0.92')
    assert.equal(level('given_name', { given_name: 'Bob' }, { given_name: 'Robert' }), 'nickname')
    assert.equal(level('given_name', { given_name: 'Liz' }, { given_name: 'Elizabeth' }), 'nickname')
    assert.equal(level('given_name', { given_name: 'Mary-Jane' }, { given_name: 'Jane' }), 'hyphen_part')
    assert.equal(level('given_name', { given_name: 'Isla', family_name: 'Hall' }, { given_name: 'Hall', family_name: 'Isla' }), 'swapped')
    assert.equal(level('given_name', { given_name: 'Isla' }, { given_name: 'Zachary' }), 'else')
    assert.equal(level('given_name', { given_name: '' }, { given_name: 'Isla' }), 'missing')
    assert.equal(level('given_name', { given_name: null }, { given_name: 'Isla' }), 'missing')
  })
  it('family_name: swap, hyphenated double-barrelled name and typo levels', () => {
    assert.equal(level('family_name', { given_name: 'Isla', family_name: 'Hall' }, { given_name: 'Hall', family_name: 'Isla' }), 'swapped')
    assert.equal(level('family_name', { family_name: 'Smith-Jones' }, { family_name: 'Jones' }), 'hyphen_part')
    assert.equal(level('family_name', { family_name: 'Griffiths' }, { family_name: 'Grifiths' }), 'jw_0.92')
    assert.equal(level('family_name', { family_name: 'Thompson' }, { family_name: 'Tomsen' }), 'jw_0.80')
  })
  it('dob: formats, transposition, one day, one digit, same year', () => {
    assert.equal(parseDate('2011-12-13'), 20111213)
    assert.equal(parseDate('20111213'), 20111213)
    assert.equal(parseDate('13/12/2011'), 20111213)
    assert.equal(parseDate('2011-13-40'), null)
    assert.equal(parseDate('soon'), null)
    assert.equal(level('dob', { dob: '2011-12-03' }, { dob: '03/12/2011' }), 'exact')
    assert.equal(level('dob', { dob: '2011-12-03' }, { dob: '2011-03-12' }), 'day_month_transposed')
    assert.equal(level('dob', { dob: '2011-12-31' }, { dob: '2012-01-01' }), 'one_day_or_one_digit')
    assert.equal(level('dob', { dob: '1997-04-26' }, { dob: '1991-04-26' }), 'one_day_or_one_digit')
    assert.equal(level('dob', { dob: '2011-02-03' }, { dob: '2011-09-21' }), 'same_year')
    assert.equal(level('dob', { dob: '2011-02-03' }, { dob: '1980-09-21' }), 'else')
    assert.equal(level('dob', { dob: 'unknown' }, { dob: '1980-09-21' }), 'missing')
  })
  it('nhs_number and upn: exact, one mistyped digit or transposition, different, missing', () => {
    assert.equal(level('nhs_number', { nhs_number: '943 476 5919' }, { nhs_number: '9434765919' }), 'exact')
    assert.equal(level('nhs_number', { nhs_number: '9434765919' }, { nhs_number: '9434765910' }), 'one_edit')
    assert.equal(level('nhs_number', { nhs_number: '9434765919' }, { nhs_number: '9434756919' }), 'one_edit')
    assert.equal(level('nhs_number', { nhs_number: '9434765919' }, { nhs_number: '1234567890' }), 'else')
    assert.equal(level('nhs_number', { nhs_number: '' }, { nhs_number: '1234567890' }), 'missing')
    assert.equal(level('upn', { upn: 'A123456789012' }, { upn: 'A123456789013' }), 'one_edit')
  })
  it('postcode, city, email, sex, address', () => {
    assert.equal(level('postcode', { postcode: 'sw1a1aa' }, { postcode: 'SW1A 1AA' }), 'exact')
    assert.equal(level('postcode', { postcode: 'SW1A 1AA' }, { postcode: 'SW1A 1AB' }), 'one_edit')
    assert.equal(level('postcode', { postcode: 'SW1A 1AA' }, { postcode: 'SW1A 2XY' }), 'same_district')
    assert.equal(level('postcode', { postcode: 'SW1A 1AA' }, { postcode: 'LS6 3QR' }), 'else')
    assert.equal(level('city', { city: 'Portsmouth' }, { city: 'Pootsmruth' }), 'jw_0.92')
    assert.equal(level('city', { city: 'Bristol' }, { city: 'Birstlo' }), 'jw_0.80')
    assert.equal(level('city', { city: 'Bristol' }, { city: 'Leeds' }), 'else')
    assert.equal(level('email', { email: 'roberta25@smith.net' }, { email: 'roberta25@smith.com' }), 'same_local_part')
    assert.equal(level('sex', { sex: 'Female' }, { sex: 'F' }), 'exact')
    assert.equal(level('sex', { sex: 'Unknown' }, { sex: 'F' }), 'missing')
    assert.equal(level('address', { address: '12 Jones Mountain\nPort Town' }, { address: '12 jones mountain, port town' }), 'exact')
    assert.equal(level('address', { address: '12 Jones Mountain Port Town' }, { address: '12 Jones Mountian Port Town' }), 'jw_0.92')
  })
  it('string helpers', () => {
    assert.ok(Math.abs(jaroWinkler('martha', 'marhta') - 0.9611) < 1e-3)
    assert.ok(Math.abs(jaroWinkler('dixon', 'dicksonx') - 0.8133) < 1e-3)
    assert.equal(jaroWinkler('abc', 'xyz'), 0)
    assert.equal(oneEditApart('abcd', 'abd'), true)
    assert.equal(oneEditApart('abcd', 'acbd'), true)
    assert.equal(oneEditApart('abcd', 'badc'), false)
    assert.equal(soundex('Robert'), 'R163')
    assert.equal(soundex('Rupert'), 'R163')
    assert.equal(soundex('Ashcraft'), 'A261')
    assert.equal(soundex('Tymczak'), 'T522')
  })
})

describe('expectation maximisation', () => {
  it('recovers m and the share of matches from unlabelled comparison patterns with known truth', () => {
    // three fields of three levels (exact / close / else); pairs drawn from a known mixture
    const mTrue = [[0.9, 0.07, 0.03], [0.85, 0.1, 0.05], [0.8, 0.15, 0.05]]
    const uTrue = [[0.01, 0.04, 0.95], [0.02, 0.08, 0.9], [0.005, 0.02, 0.975]]
    const lambdaTrue = 0.2
    const rand = prng(7)
    const draw = (p: number[]): number => {
      let r = rand()
      for (let l = 0; l < p.length; l++) if ((r -= p[l]!) < 0) return l
      return p.length - 1
    }
    const counts = new Map<string, number>()
    for (let i = 0; i < 50_000; i++) {
      const dist = rand() < lambdaTrue ? mTrue : uTrue
      const key = dist.map(draw).join(',')
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    const levels = [...counts.keys()].map((k) => k.split(',').map(Number))
    const em = expectationMaximisation({ levels, counts: [...counts.values()], levelCounts: [3, 3, 3], u: uTrue })
    assert.ok(Math.abs(em.lambda - lambdaTrue) < 0.01, `lambda ${em.lambda}`)
    for (let f = 0; f < 3; f++) for (let l = 0; l < 3; l++) assert.ok(Math.abs(em.m[f]![l]! - mTrue[f]![l]!) < 0.02, `m[${f}][${l}] = ${em.m[f]![l]} vs ${mTrue[f]![l]}`)
  })
  it('estimates m high and u low for the exact level without labels (dedupe of a synthetic population)', () => {
    const { records } = syntheticPeople(3000, 11)
    const result = dedupe(records, ['given_name', 'family_name', 'dob', 'postcode'])
    for (let f = 0; f < 4; f++) {
      assert.ok(result.model.m[f]![0]! > 0.6, `${result.model.fields[f]} exact m = ${result.model.m[f]![0]}`)
      assert.ok(result.model.u[f]![0]! < 0.05, `${result.model.fields[f]} exact u = ${result.model.u[f]![0]}`)
      const last = result.model.m[f]!.length - 1
      assert.ok(result.model.u[f]![last]! > 0.8, `${result.model.fields[f]} else u = ${result.model.u[f]![last]}`)
    }
  })
})

/** People with distinct names, each written 1–3 times with a typo now and then (the truth is the person). */
function syntheticPeople(n: number, seed: number): { records: InputRecord[]; truth: number[] } {
  const rand = prng(seed)
  const syll = ['ka', 'lo', 'mi', 'ra', 'te', 'su', 'no', 'vi', 'da', 'ne', 'po', 'li', 'ge', 'ba', 'ro', 'fi']
  const word = (): string => Array.from({ length: 3 }, () => syll[Math.floor(rand() * syll.length)]!).join('')
  const records: InputRecord[] = []
  const truth: number[] = []
  for (let p = 0; records.length < n; p++) {
    const base = { given_name: word(), family_name: word(), dob: `${1950 + Math.floor(rand() * 60)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`, postcode: `LS${1 + Math.floor(rand() * 30)} ${Math.floor(rand() * 9)}AB` }
    const copies = 1 + Math.floor(rand() * 3)
    for (let c = 0; c < copies; c++) {
      const r: InputRecord = { ...base }
      if (c > 0 && rand() < 0.3) r.family_name = r.family_name!.slice(0, -1)
      if (c > 0 && rand() < 0.2) r.postcode = null
      records.push(r)
      truth.push(p)
    }
  }
  return { records, truth }
}

describe('dedupe and link', () => {
  it('dedupe clusters a tiny set as expected', () => {
    const { records: noise } = syntheticPeople(400, 3)
    const tiny: InputRecord[] = [
      { given_name: 'Robert', family_name: 'Allen', dob: '1971-06-24', postcode: 'LS6 3QR', nhs_number: '9434765919' },
      { given_name: 'Bob', family_name: 'Allen', dob: '24/06/1971', postcode: 'LS6 3QR', nhs_number: '9434765919' },
      { given_name: 'Robert', family_name: 'Alen', dob: '19710624', postcode: 'LS6 3QS', nhs_number: null },
      { given_name: 'Grace', family_name: 'Kelly', dob: '1991-04-26', postcode: 'HU1 2AA', nhs_number: '4010232137' },
      { given_name: 'Kelly', family_name: 'Grace', dob: '1991-04-26', postcode: 'HU1 2AA', nhs_number: '4010232137' },
      { given_name: 'Oliver', family_name: 'Griffiths', dob: '1991-10-26', postcode: 'M1 1AE', nhs_number: '5990128088' },
    ]
    const result = dedupe([...tiny, ...noise], ['given_name', 'family_name', 'dob', 'postcode', 'nhs_number'])
    const c = result.clusters
    assert.equal(c[0], c[1])
    assert.equal(c[0], c[2])
    assert.equal(c[3], c[4])
    assert.notEqual(c[0], c[3])
    assert.notEqual(c[5], c[0])
    assert.notEqual(c[5], c[3])
    for (let i = 6; i < c.length; i++) assert.ok(![c[0], c[3], c[5]].includes(c[i]!), `noise record ${i} joined a named cluster`)
  })
  it('dedupe of the synthetic population finds its people', () => {
    const { records, truth } = syntheticPeople(2000, 5)
    const m = clusterPairMetrics(dedupe(records, ['given_name', 'family_name', 'dob', 'postcode']).clusters, truth)
    assert.ok(m.f1 > 0.97, `F1 ${m.f1}`)
  })
  it('link returns cross pairs with probabilities; explain() sums to the total score', () => {
    const { records } = syntheticPeople(600, 9)
    const a = records.filter((_, i) => i % 2 === 0)
    const b = records.filter((_, i) => i % 2 === 1)
    const result = link(a, b, ['given_name', 'family_name', 'dob', 'postcode'])
    assert.ok(result.pairs.length > 0)
    for (const p of result.pairs) {
      assert.ok(p.a < a.length && p.b < b.length)
      assert.ok(p.probability >= DEFAULTS.reviewThreshold && p.probability <= 1)
      const e = explain(p)
      const sum = e.fields.reduce((s, f) => s + f.log2BayesFactor, e.prior)
      assert.ok(Math.abs(sum - e.total) < 1e-9)
      assert.ok(Math.abs(e.total - p.weight) < 1e-9, `explain total ${e.total} vs weight ${p.weight}`)
      assert.ok(Math.abs(e.probability - p.probability) < 1e-12)
      assert.equal(e.fields.length, 4)
      for (const f of e.fields) if (f.level === 'missing') assert.equal(f.log2BayesFactor, 0)
    }
    assert.ok(links(result).every((p) => p.probability >= 0.5))
    // a missing value contributes nothing
    const levels = [0, MISSING, 0, MISSING]
    const withMissing = explain({ levels, model: result.model })
    assert.equal(withMissing.fields[1]!.level, 'missing')
    assert.equal(withMissing.total, score(result.model, levels).weight)
  })
})

describe('CLI', () => {
  const cli = (...args: string[]): { status: number | null; stderr: string; stdout: string } => {
    const r = spawnSync(path.join(root, 'node_modules/.bin/node'), [path.join(root, 'scripts/link.ts'), ...args], { encoding: 'utf8', cwd: root })
    return { status: r.status, stderr: r.stderr, stdout: r.stdout }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-test-'))
  const csv = path.join(tmp, 'people.csv')
  fs.writeFileSync(csv, 'pid,first,last,born\n1,Robert,Allen,1971-06-24\n2,Bob,Allen,24/06/1971\n3,Grace,Kelly,19910426\n4,Gracie,Kelly,1991-04-26\n5,Oliver,Griffiths,1991-10-26\n')

  it('--help lists the fields and options', () => {
    const r = cli('--help')
    assert.equal(r.status, 0)
    for (const f of ['given_name', 'family_name', 'dob', 'sex', 'postcode', 'address', 'nhs_number', 'upn', 'city', 'email', '--id-b', '--out', 'DD/MM/YYYY']) assert.ok(r.stdout.includes(f), f)
  })
  it('bad arguments and missing files exit 2 with a message on stderr', () => {
    const cases: [string[], RegExp][] = [
      [[], /no command/],
      [['merge', csv], /unknown command/],
      [['dedupe', path.join(tmp, 'absent.csv'), '--id', 'pid', '--fields', 'given_name=first', '--out', path.join(tmp, 'o.csv')], /no such file/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'shoe_size=first', '--out', path.join(tmp, 'o.csv')], /unknown field "shoe_size"/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'given_name=nope', '--out', path.join(tmp, 'o.csv')], /no column "nope"/],
      [['dedupe', csv, '--fields', 'given_name=first', '--out', path.join(tmp, 'o.csv')], /--id COL is required/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'given_name=first'], /--out FILE is required/],
      [['link', csv, '--id', 'pid', '--fields', 'given_name=first', '--out', path.join(tmp, 'o.csv')], /two CSV files/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'given_name=first', '--out', path.join(tmp, 'o.csv'), '--threshold', '7'], /--threshold/],
      [['dedupe', csv, '--bogus'], /bogus/],
    ]
    for (const [args, message] of cases) {
      const r = cli(...args)
      assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}: ${r.stderr}`)
      assert.match(r.stderr, message)
    }
  })
  it('input it cannot use, and an --out it could not write, exit 2 before any linking, and leave the files as they were', () => {
    const write = (name: string, text: string | Buffer) => {
      const f = path.join(tmp, name)
      fs.writeFileSync(f, text)
      return f
    }
    const dup = write('dup.csv', 'pid,first\n1,Ann\n2,Bea\n1,Cara\n')
    const blank = write('blank.csv', 'pid,first\n1,Ann\n,Bea\n')
    const twice = write('twice.csv', 'pid,first,pid\n1,Ann,9\n2,Bea,8\n')
    const latin1 = write('latin1.csv', Buffer.concat([Buffer.from('pid,first\n1,Zo'), Buffer.from([0xeb]), Buffer.from('e\n')]))
    const fields = ['--id', 'pid', '--fields', 'given_name=first']
    const out = path.join(tmp, 'out.csv')
    const cases: [string[], RegExp][] = [
      [['dedupe', dup, ...fields, '--out', out], /the pid "1" is on records 1 and 3/],
      [['dedupe', blank, ...fields, '--out', out], /record 2 \(after the header\) has no pid/],
      [['dedupe', twice, ...fields, '--out', out], /the column "pid" appears twice/],
      [['dedupe', latin1, ...fields, '--out', out], /not UTF-8/],
      [['link', csv, csv, '--id', 'pid', '--fields', 'given_name=first', '--out', out], /two different files: .* use dedupe/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'given_name=first', '--out', path.join(tmp, 'no-such-folder', 'o.csv')], /--out: no folder/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'given_name=first', '--out', tmp], /--out: .* is a folder/],
      [['dedupe', csv, '--id', 'pid', '--fields', 'given_name=first', '--out', csv], /--out: .* is an input file/],
    ]
    const before = fs.readFileSync(csv, 'utf8')
    for (const [args, message] of cases) {
      const r = cli(...args)
      assert.equal(r.status, 2, `${args.join(' ')} → ${r.status}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'a message, not a stack trace')
    }
    assert.equal(fs.readFileSync(csv, 'utf8'), before, 'the input is untouched')
    assert.equal(fs.existsSync(out), false, 'no output from a refused run')
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.partial')), [])
  })
  it('dedupe writes id,cluster and link writes id_a,id_b,probability', () => {
    const out = path.join(tmp, 'clusters.csv')
    const r = cli('dedupe', csv, '--id', 'pid', '--fields', 'given_name=first,family_name=last,dob=born', '--out', out, '--quiet')
    assert.equal(r.status, 0, r.stderr)
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n')
    assert.equal(rows[0], 'id,cluster')
    assert.equal(rows.length, 6)
    const cluster = new Map(rows.slice(1).map((l) => l.split(',') as [string, string]))
    assert.equal(cluster.get('1'), cluster.get('2'))
    assert.notEqual(cluster.get('1'), cluster.get('5'))
    const pairs = path.join(tmp, 'pairs.csv')
    const b = path.join(tmp, 'b.csv')
    fs.writeFileSync(b, 'ref,given,family,dob\nx1,Robert,Allen,19710624\nx2,Zed,Quinn,2001-01-01\n')
    const r2 = cli('link', csv, b, '--id', 'pid', '--id-b', 'ref', '--fields', 'given_name=first,family_name=last,dob=born', '--fields-b', 'given_name=given,family_name=family,dob=dob', '--out', pairs, '--quiet')
    assert.equal(r2.status, 0, r2.stderr)
    const lines = fs.readFileSync(pairs, 'utf8').trim().split('\n')
    assert.equal(lines[0], 'id_a,id_b,probability')
    assert.ok(lines.slice(1).some((l) => l.startsWith('1,x1,')), lines.join('\n'))
    assert.ok(!lines.some((l) => l.includes('x2')))
  })
})

describe('reference datasets (../shared/datasets/linkage)', () => {
  const dir = linkageDataDir(root)
  const skip = dir ? false : `${path.resolve(root, '../shared/datasets/linkage')} is absent: reference-set tests skipped`
  it('FEBRL4 link: F1 >= 0.99 with the fixed defaults', { skip }, () => {
    const e = evaluateFebrl4(dir!)
    assert.ok(e.metrics.f1 >= 0.99, `F1 ${e.metrics.f1}`)
  })
  it('fake_1000 dedupe: F1 above Splink\'s published 0.806', { skip }, () => {
    const e = evaluateFake1000(dir!)
    assert.ok(e.metrics.f1 > 0.806, `F1 ${e.metrics.f1}`)
  })
  it('family_context link: F1 >= 0.99', { skip }, () => {
    const e = evaluateFamilyContext(dir!)
    assert.ok(e.metrics.f1 >= 0.99, `F1 ${e.metrics.f1}`)
  })
})
