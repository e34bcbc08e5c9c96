// The service navigation in the header of every page: which links a practitioner gets (by what their role may do)
// and its markup. Written as functions rather than the layout's Nunjucks and a govukServiceNavigation macro call on
// every page — that call alone was about 40% of rendering the layout — with the markup the macro gives for these
// uses (navigation.test.ts renders both and compares them).

export interface NavigationItem {
  href: string
  text: string
  active?: boolean
}

/** What the signed-in practitioner's role may do, as the layout's `user.can` (app.ts). */
export type Can = Partial<Record<
  | 'raiseConcern' | 'consult' | 'refer' | 'teams' | 'clocks' | 'mace' | 'answerRequests' | 'askAgencies' | 'transferFiles' | 'frontDoor' | 'encompass' | 'triage'
  | 'administer' | 'sharingAgreement' | 'importRecords' | 'matchRecords' | 'reviewAccess' | 'subjectAccess' | 'bulkExport' | 'retention',
  boolean
>>

/**
 * Every link, in the order shown: who gets it (`when`: what their role may do; none: everyone signed in) and when it
 * is the current one (the path itself, or any path under `under`; neither: never).
 */
const LINKS: readonly { href: string; text: string | ((role: string, can: Can) => string); when?: keyof Can; is?: true; under?: string }[] = [
  { href: '/', text: 'My children', is: true },
  { href: '/search', text: 'Find a child', when: 'raiseConcern', is: true },
  { href: '/notifications', text: 'Notifications', is: true },
  { href: '/directory', text: 'Who does what', is: true },
  { href: '/concerns', text: 'Concerns', when: 'raiseConcern', under: '/concerns' },
  { href: '/consultations', text: 'Consultations', when: 'consult', under: '/consultations' },
  { href: '/referrals', text: 'Referrals', when: 'refer', under: '/referrals' },
  { href: '/teams', text: 'Teams', when: 'teams', under: '/teams' },
  { href: '/clocks', text: 'Clocks', when: 'clocks', under: '/clocks' },
  { href: '/mace', text: 'Exploitation panel', when: 'mace', under: '/mace' },
  { href: '/information-requests/inbox', text: 'Requests for information', when: 'answerRequests', is: true },
  { href: '/information-requests', text: 'My requests', when: 'askAgencies', is: true },
  { href: '/file-transfers', text: 'Child protection files', when: 'transferFiles', under: '/file-transfers' },
  { href: '/front-door', text: 'Front door', when: 'frontDoor', under: '/front-door' },
  { href: '/encompass/new', text: 'Encompass', when: 'encompass', under: '/encompass' },
  // the open concerns that are mine to decide: a safeguarding lead's triage queue; anyone a concern can be routed to (a
  // team's lead practitioner, of any case role; the front door) has the concerns routed to them
  { href: '/triage', text: (_role, can) => (can.triage ? 'Triage' : 'Concerns to decide'), when: 'raiseConcern', is: true },
  { href: '/encompass', text: 'Encompass', when: 'triage', under: '/encompass' },
  { href: '/admin/practitioners', text: 'Practitioners', when: 'administer', under: '/admin' },
  { href: '/settings', text: (role) => (role === 'partnership_admin' ? 'Settings' : 'Calendars and lists'), when: 'administer', under: '/settings' },
  { href: '/settings/sharing-agreement', text: 'Sharing agreement', when: 'sharingAgreement' },
  // `sharingAgreement` is what the partnership administrator may do (partnership:administer)
  { href: '/settings/risk-signals', text: 'Risk signal rules', when: 'sharingAgreement' },
  { href: '/records/import', text: 'Import records', when: 'importRecords', is: true },
  { href: '/records/review', text: 'Records to review', when: 'matchRecords', is: true },
  { href: '/access/reviews', text: 'Access reviews', when: 'reviewAccess', under: '/access/reviews' },
  { href: '/subject-access', text: 'Subject access', when: 'subjectAccess', under: '/subject-access' },
  { href: '/exports', text: 'Bulk exports', when: 'bulkExport', under: '/exports' },
  { href: '/retention', text: 'Retention', when: 'retention', under: '/retention' },
]

/** The links for a signed-in practitioner (none for a page without one), the current one marked active. */
export function navigationItems(user: { role: string; can: Can } | null, currentPath: string): NavigationItem[] {
  if (!user) return []
  return LINKS.filter((l) => !l.when || user.can[l.when]).map((l) => ({
    href: l.href,
    text: typeof l.text === 'function' ? l.text(user.role, user.can) : l.text,
    ...(l.is || l.under ? { active: l.is ? currentPath === l.href : currentPath.startsWith(l.under!) } : {}),
  }))
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!)

/** govukServiceNavigation({ serviceName: 'TeamAround', serviceUrl: '/', navigation: items, navigationLabel: 'Menu' }). */
export function serviceNavigationHtml(items: readonly NavigationItem[]): string {
  let list = ''
  for (const i of items) {
    list +=
      `\n              <li class="govuk-service-navigation__item${i.active ? ' govuk-service-navigation__item--active' : ''}">` +
      `\n                  <a class="govuk-service-navigation__link" href="${esc(i.href)}"${i.active ? ' aria-current="true"' : ''}>` +
      (i.active ? `\n                  <strong class="govuk-service-navigation__active-fallback">${esc(i.text)}</strong>` : `\n                ${esc(i.text)}`) +
      `\n                  </a>\n              </li>`
  }
  const nav = items.length
    ? `
        <nav aria-label="Menu" class="govuk-service-navigation__wrapper">${
          // the menu button collapses the links on a narrow screen, when there is more than one
          items.length > 1
            ? `
          <button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle" aria-controls="navigation" hidden aria-hidden="true">
            Menu
          </button>`
            : ''
        }
          <ul class="govuk-service-navigation__list" id="navigation" >${list}
            </ul>
        </nav>`
    : ''
  return `<section aria-label="Service information" class="govuk-service-navigation" data-module="govuk-service-navigation">
  <div class="govuk-width-container">
    <div class="govuk-service-navigation__container">
        <span class="govuk-service-navigation__service-name">
            <a href="/" class="govuk-service-navigation__link">
              TeamAround
            </a>
        </span>${nav}
    </div>
    </div>
  </section>`
}
