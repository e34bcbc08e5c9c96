import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { csvCell } from './csv.ts'
import { toCsv } from '../modules/linkage/csv.ts'

describe('a CSV cell the app writes', () => {
  it('neutralises what a spreadsheet would run as a formula, and quotes what needs quoting', () => {
    const cases: [unknown, string][] = [
      ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
      ['@SUM(1)', "'@SUM(1)"],
      ['+1', "'+1"],
      ['-2+3', "'-2+3"],
      ['\tx', "'\tx"],
      ['plain', 'plain'],
      ['a, b', '"a, b"'],
      ['line\nbreak', '"line\nbreak"'],
      [null, ''],
      [undefined, ''],
      [-2, '-2'],
      [0.5, '0.5'],
      [new Date('2026-11-30T10:00:00Z'), '2026-11-30T10:00:00.000Z'],
    ]
    for (const [v, want] of cases) assert.equal(csvCell(v), want, String(v))
  })

  it('the link command’s output neutralises ids and keeps numbers', () => {
    assert.equal(toCsv(['id', 'cluster'], [['=cmd|x', 0], ['-7', 1], ['A1', 2]]), "id,cluster\n'=cmd|x,0\n'-7,1\nA1,2\n")
  })
})
