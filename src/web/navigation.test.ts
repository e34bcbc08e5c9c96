import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import nunjucks from 'nunjucks'
import { hasPermission } from '../access/policy.ts'
import { navigationItems, serviceNavigationHtml, type NavigationItem } from './navigation.ts'

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([path.resolve(import.meta.dirname, '../../node_modules/govuk-frontend/dist')]), { autoescape: true })
const macro = nunjucks.compile(
  '{% from "govuk/components/service-navigation/macro.njk" import govukServiceNavigation %}{{ govukServiceNavigation({ serviceName: "TeamAround", serviceUrl: "/", navigation: navigation, navigationLabel: "Menu" }) }}',
  env,
)
// the same markup, whitespace apart
const norm = (html: string) => html.replace(/\s+/g, ' ').replace(/>\s+</g, '><').replace(/\s+>/g, '>').replace(/>\s+/g, '>').replace(/\s+</g, '<').trim()

describe('the service navigation', () => {
  it('is the markup govukServiceNavigation gives: none, one active, several, and text that needs escaping', () => {
    const cases: NavigationItem[][] = [
      [],
      [{ href: '/', text: 'My children', active: true }],
      [
        { href: '/', text: 'My children', active: false },
        { href: '/search?q="a"&b', text: 'Find <a> child’s "record" & more', active: true },
        { href: '/settings/sharing-agreement', text: 'Sharing agreement' },
      ],
    ]
    for (const items of cases) assert.equal(norm(serviceNavigationHtml(items)), norm(macro.render({ navigation: items })))
  })

  it('gives a signed-out page no links, and a practitioner the links their role may use, the current one active', () => {
    assert.deepEqual(navigationItems(null, '/'), [])
    const canFor = (role: Parameters<typeof hasPermission>[0]) => ({
      raiseConcern: hasPermission(role, 'concern:raise'),
      triage: hasPermission(role, 'concern:triage'),
      consult: hasPermission(role, 'consultation:ask') || hasPermission(role, 'consultation:give'),
      refer: hasPermission(role, 'referral:make'),
      administer: hasPermission(role, 'practitioner:administer'),
      sharingAgreement: hasPermission(role, 'partnership:administer'),
    })
    const dsl = navigationItems({ role: 'dsl', can: canFor('dsl') }, '/triage')
    assert.deepEqual(dsl.filter((i) => i.active).map((i) => i.text), ['Triage'])
    assert.ok(['My children', 'Find a child', 'Notifications', 'Who does what', 'Concerns', 'Referrals', 'Triage', 'Encompass'].every((t) => dsl.some((i) => i.text === t)))
    assert.ok(!dsl.some((i) => i.href.startsWith('/admin')))
    // anyone a concern can be routed to (the front door; a team's lead practitioner, of any case role) has the concerns
    // to decide that are theirs, where a safeguarding lead has triage; a role that raises no concern has neither
    for (const role of ['front_door_social_worker', 'school_nurse', 'social_worker', 'teacher'] as const) {
      const items = navigationItems({ role, can: canFor(role) }, '/triage')
      assert.deepEqual(items.filter((i) => i.href === '/triage').map((i) => [i.text, i.active]), [['Concerns to decide', true]], role)
    }
    assert.deepEqual(dsl.filter((i) => i.href === '/triage').map((i) => i.text), ['Triage'])
    assert.ok(!navigationItems({ role: 'ig_officer', can: canFor('ig_officer') }, '/').some((i) => i.href === '/triage'))
    const under = navigationItems({ role: 'dsl', can: canFor('dsl') }, '/concerns/123')
    assert.deepEqual(under.filter((i) => i.active).map((i) => i.href), ['/concerns'])
    const admin = navigationItems({ role: 'partnership_admin', can: canFor('partnership_admin') }, '/settings/x')
    assert.deepEqual(admin.filter((i) => i.active).map((i) => i.text), ['Settings'])
    assert.ok(admin.some((i) => i.text === 'Sharing agreement'))
    const agencyAdmin = navigationItems({ role: 'agency_admin', can: canFor('agency_admin') }, '/')
    assert.ok(agencyAdmin.some((i) => i.text === 'Calendars and lists'))
  })
})
