/**
 * Parses Kubernetes resource quantities ("500m", "1", "1.5Gi", 2) into plain numbers so tests can compare
 * requests with limits. Covers the suffixes Kubernetes accepts except exponent notation, which no chart
 * value here uses; anything else throws rather than compare garbage.
 */
const SUFFIX_FACTORS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = QUANTITY.exec(quantity);
  const factor = SUFFIX_FACTORS[match?.[2] ?? ''];
  if (!match?.[1] || factor === undefined) throw new Error(`Not a Kubernetes quantity: "${quantity}"`);
  return Number(match[1]) * factor;
}
