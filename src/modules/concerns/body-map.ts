// The body map's regions: the text-only path names a region; with JavaScript a click on the outline also
// records where (x, y on a 200 × 400 outline).
export const BODY_REGIONS = [
  { code: 'head', label: 'Head' },
  { code: 'face', label: 'Face' },
  { code: 'neck', label: 'Neck' },
  { code: 'chest', label: 'Chest' },
  { code: 'abdomen', label: 'Abdomen' },
  { code: 'back_upper', label: 'Upper back' },
  { code: 'back_lower', label: 'Lower back' },
  { code: 'buttocks', label: 'Buttocks' },
  { code: 'genital_area', label: 'Genital area' },
  { code: 'left_arm', label: 'Left arm' },
  { code: 'right_arm', label: 'Right arm' },
  { code: 'left_hand', label: 'Left hand' },
  { code: 'right_hand', label: 'Right hand' },
  { code: 'left_leg', label: 'Left leg' },
  { code: 'right_leg', label: 'Right leg' },
  { code: 'left_foot', label: 'Left foot' },
  { code: 'right_foot', label: 'Right foot' },
] as const

export function regionLabel(code: string): string {
  return BODY_REGIONS.find((r) => r.code === code)?.label ?? code
}
