// Number formatting as Python's f-strings do it, so printed lines match the reference.

/** `f"{x:.{digits}f}"`: like toFixed, but an exact tie rounds to even as Python does. */
export function formatFixed(x: number, digits: number): string {
  const fixed = x.toFixed(digits);
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  // an exact tie times 10^digits is k + 1/2, which the product (10^digits exact) rounds to
  // exactly below 2^52: anything else is no tie, and the exact expansion below can be skipped
  const scaled = Math.abs(x) * 10 ** digits;
  if (digits <= 22 && scaled < 2 ** 52 && scaled - Math.floor(scaled) !== 0.5) return fixed;
  // toFixed breaks exact ties upward; an exact tie shows as ...5000... in the exact expansion
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.length - 60);
  if (!/^50*$/.test(tail)) return fixed;
  const kept = exact.slice(0, exact.length - 60).replace(/\.$/, '');
  if (Number(kept[kept.length - 1]) % 2 === 1) return fixed; // rounding up already makes it even
  return (x < 0 ? '-' : '') + kept;
}

/** `f"{n:{width}d}"`: right-aligned integer. */
export function padInt(n: number, width: number): string {
  return String(n).padStart(width, ' ');
}

/** The reference's progress line for a step. */
export function formatStepLine(step: number, steps: number, loss: number): string {
  return `step ${padInt(step, 4)} / ${padInt(steps, 4)} | loss ${formatFixed(loss, 4)}`;
}
