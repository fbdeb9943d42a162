/**
 * Splits an exact integer total between shares in proportion to weights (largest-remainder
 * method): every part is a non-negative integer and the parts add up to the total exactly.
 * BigInt arithmetic, so totals of many GiB times rates of many MB/s stay exact.
 */

export function apportion(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0)
    throw new RangeError("apportion: total must be a non-negative integer");
  if (weights.length === 0) return [];
  const scaled = weights.map((weight) =>
    Number.isFinite(weight) && weight > 0 ? BigInt(Math.round(weight)) : 0n,
  );
  let sum = scaled.reduce((accumulator, weight) => accumulator + weight, 0n);
  // Nothing to go by: share equally.
  const shares = sum === 0n ? scaled.map(() => 1n) : scaled;
  if (sum === 0n) sum = BigInt(shares.length);
  const bigTotal = BigInt(total);
  const parts = shares.map((weight) => (bigTotal * weight) / sum);
  const remainders = shares.map((weight, index) => ({ index, remainder: (bigTotal * weight) % sum }));
  let left = bigTotal - parts.reduce((accumulator, part) => accumulator + part, 0n);
  // Largest remainder first; ties go to the larger weight, then the earlier entry (deterministic).
  remainders.sort((a, b) =>
    a.remainder === b.remainder
      ? shares[b.index]! === shares[a.index]!
        ? a.index - b.index
        : shares[b.index]! > shares[a.index]!
          ? 1
          : -1
      : b.remainder > a.remainder
        ? 1
        : -1,
  );
  for (const { index } of remainders) {
    if (left === 0n) break;
    parts[index] = parts[index]! + 1n;
    left -= 1n;
  }
  return parts.map(Number);
}
