// The strict CSP (no 'unsafe-inline' for styles or scripts) blocks inline styles and inline scripts in the browser
// without a word: a `style="white-space: pre-wrap"` loses a minute's line breaks, an `onclick` does nothing. So no
// page template may carry them; the classes in src/web/scss/app.scss (`ta-prewrap` and the rest) do the work. The
// print templates are the exception: Chromium prints them from a string for a PDF, outside any page's CSP.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { it } from 'node:test'

const src = path.resolve(import.meta.dirname, '../../src')

function templates(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name)
    return d.isDirectory() ? templates(p) : d.name.endsWith('.njk') ? [p] : []
  })
}

/** Inline styles, inline event handlers and inline scripts in a template's text, each as `line: text`. */
export function inlineOffences(text: string): string[] {
  const out: string[] = []
  text.split('\n').forEach((line, i) => {
    const offence = /\sstyle\s*=\s*\\?["']/i.test(line)
      ? 'an inline style attribute'
      : /<style[\s>]/i.test(line)
        ? 'a <style> element'
        : /\son[a-z]+\s*=\s*\\?["']/i.test(line)
          ? 'an inline event handler'
          : /<script(?![^>]*\ssrc=)[^>]*>/i.test(line)
            ? 'an inline <script>'
            : null
    if (offence) out.push(`${i + 1}: ${offence}: ${line.trim()}`)
  })
  return out
}

it('finds each kind of inline content the CSP blocks, and passes the classes and nonce scripts we use', () => {
  assert.equal(inlineOffences('<p class="govuk-body" style="white-space: pre-wrap">x</p>').length, 1)
  // inside a macro's string of HTML, its quotes escaped
  assert.equal(inlineOffences('{{ govukInsetText({ html: "<p class=\\"govuk-body\\" style=\\"white-space: pre-wrap\\">" + x + "</p>" }) }}').length, 1)
  assert.equal(inlineOffences('{{ govukButton({ html: "<span onclick=\\"go()\\">Go</span>" }) }}').length, 1)
  assert.equal(inlineOffences('<style>\n  p { color: red }\n</style>').length, 1)
  assert.equal(inlineOffences('<button onclick="go()">Go</button>').length, 1)
  assert.equal(inlineOffences('<script nonce="{{ cspNonce }}">go()</script>').length, 1)
  assert.deepEqual(inlineOffences('<p class="govuk-body ta-prewrap">{{ x }}</p>'), [])
  assert.deepEqual(inlineOffences('<script type="module" src="/public/app.js" nonce="{{ cspNonce }}"></script>'), [])
  assert.deepEqual(inlineOffences('{{ govukInput({ classes: "govuk-input--width-10" }) }}'), [])
})

it('no page template carries an inline style, event handler or script (the CSP would block it)', () => {
  const found = templates(src)
    .filter((f) => path.basename(f) !== 'print.njk')
    .flatMap((f) => inlineOffences(fs.readFileSync(f, 'utf8')).map((o) => `${path.relative(src, f)}:${o}`))
  assert.deepEqual(found, [])
})
