// node:test reporter: a line per test, failures in full, and the closing line "N passed, N failed".
import type { TestEvent } from 'node:test/reporters'
import { inspect } from 'node:util'

export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0
  let failed = 0
  let skipped = 0
  const failures: string[] = []
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const d = event.data as {
        name: string
        nesting: number
        file?: string
        skip?: boolean | string
        todo?: boolean | string
        details: { type?: string; duration_ms: number; error?: unknown }
      }
      if (d.details.type === 'suite') {
        if (event.type === 'test:fail' && !isSubtestFailure(d.details.error)) {
          failed++
          failures.push(`✖ ${d.file ?? ''} › ${d.name}\n${formatError(d.details.error)}`)
          yield `✖ ${d.name} (suite failed)\n`
        }
        continue
      }
      if (d.skip || d.todo) {
        skipped++
        yield `${'  '.repeat(d.nesting)}- ${d.name} (skipped${typeof d.skip === 'string' ? `: ${d.skip}` : ''})\n`
        continue
      }
      if (event.type === 'test:pass') {
        passed++
        yield `${'  '.repeat(d.nesting)}✔ ${d.name} (${Math.round(d.details.duration_ms)} ms)\n`
      } else {
        if (isSubtestFailure(d.details.error)) continue
        failed++
        failures.push(`✖ ${d.file ?? ''} › ${d.name}\n${formatError(d.details.error)}`)
        yield `${'  '.repeat(d.nesting)}✖ ${d.name} (${Math.round(d.details.duration_ms)} ms)\n`
      }
    } else if (event.type === 'test:stderr' || event.type === 'test:stdout') {
      const msg = (event.data as { message: string }).message
      if (process.env.TEST_VERBOSE || event.type === 'test:stderr') yield msg
    } else if (event.type === 'test:diagnostic') {
      const msg = (event.data as { message: string; nesting: number }).message
      if (/^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(msg)) continue
      yield `# ${msg}\n`
    }
  }
  if (failures.length) yield `\nFailures:\n\n${failures.join('\n\n')}\n\n`
  yield `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`
}

function isSubtestFailure(error: unknown): boolean {
  return (error as { failureType?: string } | undefined)?.failureType === 'subtestsFailed'
}

function formatError(error: unknown): string {
  const e = error as { cause?: unknown } | undefined
  return inspect(e?.cause ?? e, { depth: 4 })
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')
}
