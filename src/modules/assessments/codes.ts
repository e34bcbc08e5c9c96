// The data the assessments work from: the domains of the Assessment Framework triangle (the child's developmental
// needs, parenting capacity, family and environmental factors) that a partnership may replace with its own list
// (partnership_setting 'assessment.domains'), and the CIN census assessment factor codes recorded when a child and
// family assessment is completed — every code and label of the `assessmentfactorstype` enumeration of the
// Department for Education's CIN census schema (CIN_schema_2026.xsd; the test checks this list against it).

export interface Domain {
  key: string
  label: string
  /** The side of the triangle it belongs to. */
  side: string
  /** Retired by the partnership: no longer offered to new assessments; assessments that used it keep it (and its label). */
  retired?: boolean
}

export const DOMAINS_SETTING = 'assessment.domains'

export const DEFAULT_DOMAINS: readonly Domain[] = [
  { key: 'health', label: 'Health', side: 'The child’s developmental needs' },
  { key: 'education', label: 'Education and learning', side: 'The child’s developmental needs' },
  { key: 'emotional_behavioural', label: 'Emotional and behavioural development', side: 'The child’s developmental needs' },
  { key: 'identity_relationships', label: 'Identity, family and social relationships', side: 'The child’s developmental needs' },
  { key: 'presentation_self_care', label: 'Social presentation and self-care skills', side: 'The child’s developmental needs' },
  { key: 'basic_care_safety', label: 'Basic care and ensuring safety', side: 'Parenting capacity' },
  { key: 'warmth_stimulation', label: 'Emotional warmth and stimulation', side: 'Parenting capacity' },
  { key: 'guidance_stability', label: 'Guidance, boundaries and stability', side: 'Parenting capacity' },
  { key: 'family_functioning', label: 'Family history, functioning and wider family', side: 'Family and environmental factors' },
  { key: 'housing_income', label: 'Housing, employment and income', side: 'Family and environmental factors' },
  { key: 'community', label: 'Social integration and community resources', side: 'Family and environmental factors' },
]

/** A partnership's configured list, tolerant of plain labels (["Health", "Housing"]) as well as full domains. */
export function normaliseDomains(value: unknown): Domain[] {
  if (!Array.isArray(value) || !value.length) return [...DEFAULT_DOMAINS]
  const out: Domain[] = []
  for (const v of value) {
    if (typeof v === 'string' && v.trim()) out.push({ key: slug(v), label: v.trim(), side: '' })
    else if (v && typeof v === 'object' && typeof (v as Domain).label === 'string') {
      const d = v as Partial<Domain>
      out.push({ key: d.key && /^[a-z0-9_]+$/.test(d.key) ? d.key : slug(d.label!), label: d.label!, side: typeof d.side === 'string' ? d.side : '', ...(d.retired === true ? { retired: true } : {}) })
    }
  }
  const seen = new Set<string>()
  const unique = out.filter((d) => (seen.has(d.key) ? false : (seen.add(d.key), true)))
  return unique.length ? unique : [...DEFAULT_DOMAINS]
}

/** The domains a new assessment starts with: the partnership's list without the retired ones (never none). */
export function activeDomains(domains: readonly Domain[]): Domain[] {
  const active = domains.filter((d) => !d.retired)
  return active.length ? active : [...DEFAULT_DOMAINS]
}

export const slug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 60) || 'domain'

export type FactorGroup = 'substances' | 'domestic' | 'health' | 'situation' | 'abuse' | 'exploitation' | 'other'

/** Themes for the checkboxes (the census lists the codes flat). */
export const FACTOR_GROUPS: readonly { key: FactorGroup; label: string }[] = [
  { key: 'substances', label: 'Alcohol and drug misuse' },
  { key: 'domestic', label: 'Domestic abuse' },
  { key: 'health', label: 'Mental health, learning disability, physical disability or illness' },
  { key: 'situation', label: 'The child’s situation and behaviour' },
  { key: 'abuse', label: 'Abuse or neglect' },
  { key: 'exploitation', label: 'Exploitation, trafficking and gangs' },
  { key: 'other', label: 'Other, or no factors' },
]

/** "No factors identified": only on its own. */
export const NO_FACTORS = '21'

export const ASSESSMENT_FACTORS: readonly { code: string; group: FactorGroup; label: string }[] = [
  { code: '1A', group: 'substances', label: 'Alcohol misuse: concerns about alcohol misuse by the child' },
  { code: '1B', group: 'substances', label: 'Alcohol misuse: concerns about alcohol misuse by the parent(s)/carer(s)' },
  { code: '1C', group: 'substances', label: 'Alcohol misuse: concerns about alcohol misuse by another person living in the household' },
  { code: '2A', group: 'substances', label: 'Drug misuse: concerns about drug misuse by the child' },
  { code: '2B', group: 'substances', label: 'Drug misuse: concerns about drug misuse by the parent(s)/carer(s)' },
  { code: '2C', group: 'substances', label: 'Drug misuse: concerns about drug misuse by another person living in the household' },
  { code: '3A', group: 'domestic', label: 'Domestic violence: concerns about the child being the subject of domestic violence' },
  { code: '3B', group: 'domestic', label: 'Domestic violence: concerns about the child’s parent(s)/carer(s) being the subject of domestic violence' },
  { code: '3C', group: 'domestic', label: 'Domestic violence: concerns about another person living in the household being the subject of domestic violence' },
  { code: '4A', group: 'health', label: 'Mental health: concerns about the mental health of the child' },
  { code: '4B', group: 'health', label: 'Mental health: concerns about the mental health of the parent(s)/carer(s)' },
  { code: '4C', group: 'health', label: 'Mental health: concerns about the mental health of another person in the family/household' },
  { code: '5A', group: 'health', label: 'Learning disability: concerns about the child’s learning disability' },
  { code: '5B', group: 'health', label: 'Learning disability: concerns about the parent(s)/carer(s) learning disability' },
  { code: '5C', group: 'health', label: 'Learning disability: concerns about another person in the family/household’s learning disability' },
  { code: '6A', group: 'health', label: 'Physical disability or illness: concerns about a physical disability or illness of the child' },
  { code: '6B', group: 'health', label: 'Physical disability or illness: concerns about a physical disability or illness of the parent(s)/carer(s)' },
  { code: '6C', group: 'health', label: 'Physical disability or illness: concerns about a physical disability or illness of another person in the family/household' },
  { code: '7A', group: 'situation', label: 'Young carer: concerns that services may be required or the child’s health or development may be impaired due to their caring responsibilities' },
  { code: '8B', group: 'situation', label: 'Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - overseas children who intend to return' },
  { code: '8C', group: 'situation', label: 'Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - overseas children who intend to stay' },
  { code: '8D', group: 'situation', label: 'Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - UK children in educational placements' },
  { code: '8E', group: 'situation', label: 'Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - UK children making alternative family arrangements' },
  { code: '8F', group: 'situation', label: 'Privately fostered: concerns that services may be required or the child may be at risk as a privately fostered child - other' },
  { code: '9A', group: 'situation', label: 'UASC: concerns that services may be required or the child may be at risk of harm as an unaccompanied asylum-seeking child' },
  { code: '10A', group: 'situation', label: 'Missing: concerns that services may be required or the child may be at risk of harm due to going/being missing' },
  { code: '11A', group: 'exploitation', label: 'Child sexual exploitation: concerns that services may be required or the child may be at risk of harm due to child sexual exploitation' },
  { code: '12A', group: 'exploitation', label: 'Trafficking: concerns that services may be required or the child may be at risk of harm due to trafficking' },
  { code: '13A', group: 'exploitation', label: 'Gangs: concerns that services may be required or the child may be at risk of harm because of involvement in/with gangs' },
  { code: '14A', group: 'situation', label: 'Socially unacceptable behaviour: concerns that services may be required or the child may be at risk due to their socially unacceptable behaviour' },
  { code: '15A', group: 'situation', label: 'Self-harm: concerns that services may be required or due to suspected/actual self-harming child may be at risk of harm' },
  { code: '16A', group: 'abuse', label: 'Abuse or neglect – ‘NEGLECT’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect' },
  { code: '17A', group: 'abuse', label: 'Abuse or neglect – ‘EMOTIONAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect' },
  { code: '18A', group: 'abuse', label: 'Abuse or neglect – ‘PHYSICAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect.' },
  { code: '18B', group: 'abuse', label: 'Abuse or neglect – ‘PHYSICAL ABUSE’ (child on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by another child' },
  { code: '18C', group: 'abuse', label: 'Abuse or neglect – ‘PHYSICAL ABUSE’ (adult on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by an adult' },
  { code: '19A', group: 'abuse', label: 'Abuse or neglect – ‘SEXUAL ABUSE’: concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect.' },
  { code: '19B', group: 'abuse', label: 'Abuse or neglect – ‘SEXUAL ABUSE’ (child on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by another child' },
  { code: '19C', group: 'abuse', label: 'Abuse or neglect – ‘SEXUAL ABUSE’ (adult on child): concerns that services may be required or the child may be suffering or likely to suffer significant harm due to abuse or neglect by an adult' },
  { code: '20', group: 'other', label: 'Other' },
  { code: '21', group: 'other', label: 'No factors identified - only use this if there is no evidence of any of the factors above and no further action is being taken' },
  { code: '22A', group: 'abuse', label: 'Female genital mutilation (FGM) - concerns that services may be required or the child may be at risk due to female genital mutilation' },
  { code: '23A', group: 'abuse', label: 'Abuse linked to faith or belief - concerns that services may be required or the child may be at risk due to abuse linked to faith or belief' },
  { code: '24A', group: 'exploitation', label: 'Child criminal exploitation: concerns that services may be required or the child may be at risk of harm due to child criminal exploitation' },
]

export const FACTOR_LABELS: Record<string, string> = Object.fromEntries(ASSESSMENT_FACTORS.map((f) => [f.code, f.label]))

/** Problems with a set of factor codes (empty when valid): unknown codes, none chosen, "21" with others. */
export function factorProblems(codes: readonly string[]): string[] {
  const problems: string[] = []
  if (!codes.length) problems.push('Choose the assessment factors, or ‘21: no factors identified’')
  const unknown = codes.filter((c) => !(c in FACTOR_LABELS))
  if (unknown.length) problems.push(`Not a CIN census assessment factor: ${unknown.join(', ')}`)
  if (codes.includes(NO_FACTORS) && codes.length > 1) problems.push('‘21: no factors identified’ cannot be chosen with other factors')
  return problems
}
