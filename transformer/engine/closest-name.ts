/**
 * The known name a misspelt one most likely meant: the one fewest single-letter
 * edits away (case ignored), if that is at most a third of the name's length.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.ceil(name.length / 3));
  const ranked = known
    .map((candidate) => ({ candidate, edits: levenshtein(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ edits }) => edits <= limit)
    .sort((a, b) => a.edits - b.edits);
  return ranked[0]?.candidate;
}

/** Insertions, deletions and substitutions needed to turn `from` into `to`. */
function levenshtein(from: string, to: string): number {
  const row = Array.from({ length: to.length + 1 }, (_, j) => j);
  for (let i = 1; i <= from.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= to.length; j++) {
      const above = row[j] as number;
      const cost = from[i - 1] === to[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[to.length] as number;
}
