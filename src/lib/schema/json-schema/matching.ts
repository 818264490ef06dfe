/**
 * A maximum matching in a bipartite graph (Kuhn's augmenting paths): `fits[i][j]` says left i may
 * pair with right j. Returns, for each left node, its right partner or -1. Combiner branches are
 * few, so the O(V·E) bound is no concern; the search depth is bounded by the number of branches.
 */
export function maximumMatching(fits: boolean[][], rightCount: number): number[] {
  const leftOf = Array.from({length: rightCount}, () => -1)
  const augment = (left: number, visited: boolean[]): boolean => {
    for (let right = 0; right < rightCount; right++) {
      if (!fits[left][right] || visited[right]) continue
      visited[right] = true
      if (leftOf[right] === -1 || augment(leftOf[right], visited)) {
        leftOf[right] = left
        return true
      }
    }

    return false
  }

  for (let left = 0; left < fits.length; left++) augment(left, Array.from({length: rightCount}, () => false))
  const rightOf = Array.from({length: fits.length}, () => -1)
  for (const [right, left] of leftOf.entries()) if (left !== -1) rightOf[left] = right
  return rightOf
}
