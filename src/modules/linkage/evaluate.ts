// Pairwise precision, recall and F1 of a linkage against ground truth.

export interface PairMetrics {
  truePositives: number
  predicted: number
  actual: number
  precision: number
  recall: number
  f1: number
}

function metrics(tp: number, predicted: number, actual: number): PairMetrics {
  const precision = predicted ? tp / predicted : 0
  const recall = actual ? tp / actual : 0
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
  return { truePositives: tp, predicted, actual, precision, recall, f1 }
}

const pairsIn = (n: number): number => (n * (n - 1)) / 2

/** Dedupe: every pair of records in the same predicted cluster against every pair in the same true cluster. */
export function clusterPairMetrics(predicted: ArrayLike<number>, truth: ArrayLike<string | number>): PairMetrics {
  if (predicted.length !== truth.length) throw new Error('predicted and truth differ in length')
  const pred = new Map<number, number>()
  const act = new Map<string | number, number>()
  const both = new Map<string, number>()
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i]!
    const t = truth[i]!
    pred.set(p, (pred.get(p) ?? 0) + 1)
    act.set(t, (act.get(t) ?? 0) + 1)
    const k = `${p}\u0000${t}`
    both.set(k, (both.get(k) ?? 0) + 1)
  }
  let tp = 0
  let np = 0
  let na = 0
  for (const n of both.values()) tp += pairsIn(n)
  for (const n of pred.values()) np += pairsIn(n)
  for (const n of act.values()) na += pairsIn(n)
  return metrics(tp, np, na)
}

/** Link: predicted (a, b) pairs against the true pairs, both as "a|b" keys. */
export function linkPairMetrics(predicted: Iterable<readonly [number | string, number | string]>, truth: ReadonlySet<string>): PairMetrics {
  const seen = new Set<string>()
  let tp = 0
  for (const [a, b] of predicted) {
    const k = `${a}|${b}`
    if (seen.has(k)) continue
    seen.add(k)
    if (truth.has(k)) tp++
  }
  return metrics(tp, seen.size, truth.size)
}
