// The words of a sharing decision: purposes, categories of information, the lawful bases (UK GDPR Art 6), the
// conditions for special-category data (Art 9, with DPA 2018 Sch 1 where Art 9(2)(g) needs one), the DPA 2018 Sch 1
// para 18(2) reasons for sharing without consent (R18), and the seven golden rules of the DfE information sharing
// advice (2024, R20) as a checklist. Codes are stored; labels are what practitioners read.

export interface Code {
  code: string
  label: string
  hint?: string
}

/** Why information is shared (the information-sharing agreement names, per pair of agencies, the purposes it covers). */
export const PURPOSES = [
  { code: 'safeguarding', label: 'Safeguarding a child from harm', hint: 'Protecting a child from abuse, neglect or exploitation' },
  { code: 'early_help', label: 'Early help for the child and family', hint: 'Support as soon as problems emerge' },
  { code: 'referral', label: 'A referral to the front door', hint: 'Telling children’s social care about a child who may need help or protection' },
  { code: 'assessment', label: 'An assessment of need', hint: 'Section 17 Children Act 1989, or an early help assessment' },
  { code: 'cp_enquiry', label: 'A child protection enquiry', hint: 'Strategy discussion and section 47 Children Act 1989 enquiries' },
  { code: 'plan', label: 'Planning and reviewing support', hint: 'Team around the child, child in need and child protection plans, conferences and core groups' },
  { code: 'request_answer', label: 'Answering a partner agency’s request for information' },
  { code: 'crime_prevention', label: 'Preventing or detecting crime', hint: 'Including exploitation and missing children' },
  { code: 'health_care', label: 'The child’s health care' },
  { code: 'file_transfer', label: 'Moving the child’s safeguarding file with them', hint: 'A change of school' },
] as const satisfies readonly Code[]
export type Purpose = (typeof PURPOSES)[number]['code']

/** Categories of information (the agreement says which each agency shares). Health is special-category data. */
export const CATEGORIES = [
  { code: 'identity', label: 'Identity and contact details', hint: 'Names, date of birth, address, school, who has parental responsibility' },
  { code: 'safeguarding', label: 'Safeguarding concerns and decisions', hint: 'Concerns, the chronology, the actions taken and why' },
  { code: 'family', label: 'Family and household', hint: 'Who lives with the child, the adults around them' },
  { code: 'education', label: 'Education', hint: 'Attendance, exclusions, special educational needs' },
  { code: 'health', label: 'Health', hint: 'Special-category data: physical and mental health, appointments' },
  { code: 'police', label: 'Police information', hint: 'Incidents, notices, missing episodes, offences (criminal offence data)' },
  { code: 'social_care', label: 'Social care', hint: 'Assessments, plans, conferences' },
] as const satisfies readonly Code[]
export type Category = (typeof CATEGORIES)[number]['code']

/** UK GDPR Article 6(1): the lawful bases. */
export const LAWFUL_BASES = [
  { code: '6.1.a', label: 'Consent — Article 6(1)(a)', hint: 'The person has given clear consent. Rarely the right basis for safeguarding: consent can be withdrawn.' },
  { code: '6.1.b', label: 'Contract — Article 6(1)(b)' },
  { code: '6.1.c', label: 'Legal obligation — Article 6(1)(c)', hint: 'A law requires you to share (for example a court order)' },
  { code: '6.1.d', label: 'Vital interests — Article 6(1)(d)', hint: 'To protect someone’s life' },
  { code: '6.1.e', label: 'Public task — Article 6(1)(e)', hint: 'Carrying out a task in the public interest or an official function with a clear basis in law, such as safeguarding duties under the Children Acts. The usual basis for public bodies.' },
  { code: '6.1.f', label: 'Legitimate interests — Article 6(1)(f)', hint: 'For organisations that are not public authorities (for example a voluntary organisation or an independent school)' },
] as const satisfies readonly Code[]

/** UK GDPR Article 9(2): conditions for special-category data (health, ethnicity, religion, sexual life…). */
export const ART9_CONDITIONS = [
  { code: '9.2.a', label: 'Explicit consent — Article 9(2)(a)', hint: 'Only when consent has been given' },
  { code: '9.2.b', label: 'Social protection law — Article 9(2)(b), with DPA 2018 Schedule 1 paragraph 1' },
  { code: '9.2.c', label: 'Vital interests — Article 9(2)(c)', hint: 'To protect someone’s life when they cannot give consent' },
  { code: '9.2.g', label: 'Substantial public interest — Article 9(2)(g), with a condition in DPA 2018 Schedule 1 Part 2', hint: 'The usual condition for safeguarding without consent' },
  { code: '9.2.h', label: 'Health or social care — Article 9(2)(h), with DPA 2018 Schedule 1 paragraph 2' },
] as const satisfies readonly Code[]

/** DPA 2018 Schedule 1 Part 2 conditions that go with Article 9(2)(g). */
export const SCHEDULE1_CONDITIONS = [
  {
    code: 'sch1.18',
    label: 'Safeguarding of children and of individuals at risk — Schedule 1 paragraph 18',
    hint: 'Sharing is necessary to protect a child (or an adult at risk) from neglect or physical, mental or emotional harm, or to protect their well-being, and it is in the substantial public interest',
  },
  { code: 'sch1.6', label: 'Statutory and government purposes — Schedule 1 paragraph 6', hint: 'A function given by law (for example a local authority’s duties under the Children Acts)' },
  { code: 'sch1.10', label: 'Preventing or detecting unlawful acts — Schedule 1 paragraph 10' },
] as const satisfies readonly Code[]

/** DPA 2018 Sch 1 para 18(2): why the sharing goes ahead without consent (R18: record which applies). */
export const PARA18_REASONS = [
  { code: 'cannot_give', label: 'Consent cannot be given', hint: 'In the circumstances the person cannot give consent (for example a young child, or a person who lacks capacity)' },
  { code: 'cannot_reasonably_obtain', label: 'We cannot reasonably be expected to get consent', hint: 'For example nobody with parental responsibility can be reached in time' },
  { code: 'would_prejudice', label: 'Asking for consent would put the protection at risk', hint: 'For example asking would warn an abuser, or put the child at greater risk' },
] as const satisfies readonly Code[]

export const CONSENT_STATES = [
  { code: 'given', label: 'Consent given' },
  { code: 'refused', label: 'Consent refused', hint: 'Sharing anyway needs a strong reason: record it' },
  { code: 'not_sought', label: 'Consent not sought', hint: 'Record why (for example it would put the child at risk)' },
] as const satisfies readonly Code[]

/**
 * The seven golden rules of information sharing (DfE, Information sharing: advice for practitioners providing
 * safeguarding services, 2024), as the questions a practitioner answers before sharing — in our own words.
 */
export const GOLDEN_RULES = [
  { code: 'child_protected', label: 'Rule 1: protecting the child from harm comes before privacy — I have put the child’s safety first' },
  { code: 'family_engaged', label: 'Rule 2: where practicable and safe, I have told the child and/or their carers what I will share, with whom and why' },
  { code: 'consent_considered', label: 'Rule 3: I have considered consent, and I know I do not need it when a child is at risk of harm' },
  { code: 'advice_sought', label: 'Rule 4: where I was unsure, I sought advice (my DSL, manager or information governance)' },
  { code: 'identities_protected', label: 'Rule 5: the identities of people who could be harmed if their details became known are protected' },
  { code: 'relevant_accurate', label: 'Rule 6: I share only relevant, accurate, necessary information with those who have a role in safeguarding or supporting the child' },
  { code: 'recorded', label: 'Rule 7: I am recording this decision and my reasons' },
] as const satisfies readonly Code[]
export type GoldenRule = (typeof GOLDEN_RULES)[number]['code']

/** Rules that must be confirmed before information is shared (a decision NOT to share records the check as it is). */
export const GOLDEN_RULES_REQUIRED_TO_SHARE: readonly GoldenRule[] = ['identities_protected', 'relevant_accurate', 'recorded']

export const CONTEXTS = [
  { code: 'manual', label: 'Recorded on the child’s record' },
  { code: 'request_answer', label: 'Answering an information request' },
  { code: 'referral', label: 'A referral to the front door' },
  { code: 'visibility_change', label: 'Widening who can see an entry' },
  { code: 'file_transfer', label: 'A safeguarding file moving with the child' },
  { code: 'concern', label: 'A concern routed to whoever can act on it' },
] as const satisfies readonly Code[]

export const codesOf = (list: readonly Code[]): string[] => list.map((c) => c.code)
export const labelOf = (list: readonly Code[], code: string | null | undefined): string => (code ? (list.find((c) => c.code === code)?.label ?? code) : '')
