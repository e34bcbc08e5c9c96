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

/** The links for a signed-in practitioner (none for a page without one), the current one marked active. */
export function navigationItems(user: { role: string; can: Can } | null, currentPath: string): NavigationItem[] {
  if (!user) return []
  const can = user.can
  const is = (path: string) => currentPath === path
  const under = (path: string) => currentPath.startsWith(path)
  const items: NavigationItem[] = [{ href: '/', text: 'My children', active: is('/') }]
  if (can.raiseConcern) items.push({ href: '/search', text: 'Find a child', active: is('/search') })
  items.push({ href: '/notifications', text: 'Notifications', active: is('/notifications') })
  items.push({ href: '/directory', text: 'Who does what', active: is('/directory') })
  if (can.raiseConcern) items.push({ href: '/concerns', text: 'Concerns', active: under('/concerns') })
  if (can.consult) items.push({ href: '/consultations', text: 'Consultations', active: under('/consultations') })
  if (can.refer) items.push({ href: '/referrals', text: 'Referrals', active: under('/referrals') })
  if (can.teams) items.push({ href: '/teams', text: 'Teams', active: under('/teams') })
  if (can.clocks) items.push({ href: '/clocks', text: 'Clocks', active: under('/clocks') })
  if (can.mace) items.push({ href: '/mace', text: 'Exploitation panel', active: under('/mace') })
  if (can.answerRequests) items.push({ href: '/information-requests/inbox', text: 'Requests for information', active: is('/information-requests/inbox') })
  if (can.askAgencies) items.push({ href: '/information-requests', text: 'My requests', active: is('/information-requests') })
  if (can.transferFiles) items.push({ href: '/file-transfers', text: 'Child protection files', active: under('/file-transfers') })
  if (can.frontDoor) items.push({ href: '/front-door', text: 'Front door', active: under('/front-door') })
  if (can.encompass) items.push({ href: '/encompass/new', text: 'Encompass', active: under('/encompass') })
  if (can.triage) {
    items.push({ href: '/triage', text: 'Triage', active: is('/triage') })
    items.push({ href: '/encompass', text: 'Encompass', active: under('/encompass') })
  }
  if (can.administer) {
    items.push({ href: '/admin/practitioners', text: 'Practitioners', active: under('/admin') })
    items.push({ href: '/settings', text: user.role === 'partnership_admin' ? 'Settings' : 'Calendars and lists', active: under('/settings') })
  }
  if (can.sharingAgreement) items.push({ href: '/settings/sharing-agreement', text: 'Sharing agreement' })
  if (can.importRecords) items.push({ href: '/records/import', text: 'Import records', active: is('/records/import') })
  if (can.matchRecords) items.push({ href: '/records/review', text: 'Records to review', active: is('/records/review') })
  if (can.reviewAccess) items.push({ href: '/access/reviews', text: 'Access reviews', active: under('/access/reviews') })
  if (can.subjectAccess) items.push({ href: '/subject-access', text: 'Subject access', active: under('/subject-access') })
  if (can.bulkExport) items.push({ href: '/exports', text: 'Bulk exports', active: under('/exports') })
  if (can.retention) items.push({ href: '/retention', text: 'Retention', active: under('/retention') })
  return items
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
