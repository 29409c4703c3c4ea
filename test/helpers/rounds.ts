/**
 * How many times a randomised or volume test repeats: `n` normally; a twentieth under mutation
 * testing (PARTNER_USAGE_MUTATION=1, set by `npm run test:mutation`), where each of a thousand
 * mutants reruns the file with every expression instrumented. The assertions are the same.
 */
export function rounds(n: number): number {
  return process.env.PARTNER_USAGE_MUTATION === '1' ? Math.max(1, Math.ceil(n / 20)) : n;
}
