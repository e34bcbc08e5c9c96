// The pages' Nunjucks environment reads govuk-frontend's templates with their imports of globals left out: the
// output must be exactly what govuk-frontend's own imports give, for every fixture it publishes and for our layout.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { nunjucksEnvironment } from './render.ts'

const root = process.cwd()
const components = path.join(root, 'node_modules/govuk-frontend/dist/govuk/components')
const macroName = (dir: string) => `govuk${dir.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`

describe('the pages’ Nunjucks environment', () => {
  const globals = nunjucksEnvironment(root, { importsAsGlobals: true })
  const imports = nunjucksEnvironment(root, { importsAsGlobals: false })

  it('renders every govuk-frontend fixture exactly as the components’ own imports do', () => {
    let fixtures = 0
    for (const dir of fs.readdirSync(components)) {
      const file = path.join(components, dir, 'fixtures.json')
      if (!fs.existsSync(file)) continue
      const call = `{{ ${macroName(dir)}(options) }}`
      for (const fixture of (JSON.parse(fs.readFileSync(file, 'utf8')) as { fixtures: { name: string; options: unknown }[] }).fixtures) {
        fixtures++
        assert.equal(globals.renderString(call, { options: fixture.options }), imports.renderString(call, { options: fixture.options }), `${dir}: ${fixture.name}`)
      }
    }
    assert.ok(fixtures > 500, `only ${fixtures} fixtures found`)
  })

  it('renders the layout (signed in, with errors and a back link) exactly as govuk-frontend’s page template with its imports does', () => {
    const context = {
      title: 'A page',
      cspNonce: 'nonce',
      csrfToken: 'token',
      serviceNavigation: '<nav></nav>',
      user: { name: 'Jo Bloggs', roleLabel: 'Designated safeguarding lead', agencyName: 'Northfield Academy', memberships: [{}, {}] },
      idleMinutes: 30,
      backLink: '/back',
      breakGlassUntil: new Date('2026-11-29T12:00:00Z'),
      errors: [{ text: 'Enter a date', href: '#date' }],
      detail: 'Something',
      status: 400,
    }
    const page = globals.render('error.njk', context)
    assert.equal(page, imports.render('error.njk', context))
    assert.match(page, /govuk-skip-link/)
    assert.match(page, /govuk-error-summary/)
  })

  it('leaves out govuk-frontend’s imports of globals (the page template imports five macro files otherwise)', () => {
    const loader = (globals as unknown as { loaders: { getSource(name: string): { src: string } }[] }).loaders[0]!
    const template = loader.getSource('govuk/template.njk').src
    assert.doesNotMatch(template, /\{%-?\s*from\s/)
    assert.match(fs.readFileSync(path.join(root, 'node_modules/govuk-frontend/dist/govuk/template.njk'), 'utf8'), /\{%-?\s*from\s/)
  })
})
