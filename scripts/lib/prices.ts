/**
 * A rough monthly cost estimate for what `infra apply` is about to create, so nobody starts paying for a cluster
 * without seeing a number first. The table is small and dated on purpose: Linode changes prices, and the estimate
 * says which date it comes from and where to check the current ones.
 *
 * Source: Linode's public price list as returned by GET /v4/linode/types (2024-07) and /v4/volumes/types and
 * /v4/lke/types (2024-09). Two regions (Jakarta id-cgk, São Paulo br-gru) cost more, by the factors below.
 */

export const PRICES_AS_OF = '2024-07';
export const PRICING_URL = 'https://www.linode.com/pricing/';

/** USD per node per month, by Linode type id. */
export const NODE_MONTHLY_USD: Readonly<Record<string, number>> = {
  'g6-nanode-1': 5,
  'g6-standard-1': 12,
  'g6-standard-2': 24,
  'g6-standard-4': 48,
  'g6-standard-6': 96,
  'g6-standard-8': 192,
  'g6-dedicated-2': 36,
  'g6-dedicated-4': 72,
  'g6-dedicated-8': 144,
  'g6-dedicated-16': 288,
  'g7-highmem-1': 60,
  'g7-highmem-2': 120,
  'g7-premium-2': 43,
  'g7-premium-4': 86,
  'g7-premium-8': 173,
};

/** Regions priced above the base list, as a multiple of it (nodes and volumes alike). */
export const REGION_PRICE_FACTOR: Readonly<Record<string, number>> = { 'id-cgk': 1.2, 'br-gru': 1.4 };

export const VOLUME_GB_MONTHLY_USD = 0.1;
/** The standard control plane is free; the highly available one is charged per cluster. */
export const HA_CONTROL_PLANE_MONTHLY_USD = 60;

export interface CostInput {
  nodeType: string;
  minNodes: number;
  maxNodes: number;
  region?: string;
  volumeGb?: number;
  highAvailability?: boolean;
}

export interface CostEstimate {
  /** Undefined when the node type is not in the table. */
  minUsd?: number;
  maxUsd?: number;
  /** One line per item, ready to print. */
  lines: string[];
}

export function estimateMonthlyCost(input: CostInput): CostEstimate {
  const factor = (input.region && REGION_PRICE_FACTOR[input.region]) || 1;
  const regionNote = factor === 1 ? '' : ` (${input.region} prices: ×${factor})`;
  const lines: string[] = [];
  const nodePrice = NODE_MONTHLY_USD[input.nodeType];
  const nodes = input.minNodes === input.maxNodes ? `${input.minNodes}` : `${input.minNodes}–${input.maxNodes}`;
  let fixed = 0;

  if (input.highAvailability) {
    fixed += HA_CONTROL_PLANE_MONTHLY_USD * factor;
    lines.push(`control plane (high availability): ${usd(HA_CONTROL_PLANE_MONTHLY_USD * factor)}`);
  } else {
    lines.push('control plane (standard): free');
  }
  if (input.volumeGb) {
    const volume = input.volumeGb * VOLUME_GB_MONTHLY_USD * factor;
    fixed += volume;
    lines.push(`volume ${input.volumeGb} GB × ${usd(VOLUME_GB_MONTHLY_USD * factor)}/GB: ${usd(volume)}`);
  }
  if (nodePrice === undefined) {
    lines.unshift(`${nodes} × ${input.nodeType}: price unknown to deckhand, see ${PRICING_URL}`);
    return { lines };
  }
  const each = nodePrice * factor;
  const nodeCost =
    input.minNodes === input.maxNodes
      ? usd(each * input.minNodes)
      : `${usd(each * input.minNodes)}–${usd(each * input.maxNodes)}`;
  lines.unshift(`${nodes} × ${input.nodeType} at ${usd(each)}${regionNote}: ${nodeCost}`);
  return { minUsd: round(fixed + each * input.minNodes), maxUsd: round(fixed + each * input.maxNodes), lines };
}

/** The estimate as printed before `infra apply` asks for confirmation. */
export function formatCostEstimate(estimate: CostEstimate): string {
  const header = `Estimated monthly cost (prices as of ${PRICES_AS_OF}, USD/month, before tax and transfer overage; check ${PRICING_URL}):`;
  const total =
    estimate.minUsd === undefined
      ? '  total: unknown'
      : estimate.minUsd === estimate.maxUsd
        ? `  total: ${usd(estimate.minUsd)} per month`
        : `  total: ${usd(estimate.minUsd)}–${usd(estimate.maxUsd!)} per month, depending on how many nodes the autoscaler runs`;
  return [header, ...estimate.lines.map((line) => `  ${line}`), total].join('\n');
}

function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

function round(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/** A plan's price as the Linode API gives it (GET /linode/types): a base price and the regions that differ. */
export interface ApiPricedPlan {
  price: { monthly: number | null };
  region_prices?: readonly { id: string; monthly: number | null }[];
}

/**
 * USD per month of one node of `plan` in `region`, from the API's own answer (so current, unlike the dated table
 * above); undefined when the API gives no monthly price.
 */
export function planMonthlyUsd(plan: ApiPricedPlan, region?: string): number | undefined {
  const regional = region ? plan.region_prices?.find((entry) => entry.id === region)?.monthly : undefined;
  const monthly = regional ?? plan.price.monthly;
  return monthly === null || monthly === undefined ? undefined : round(monthly);
}

/** "$24.00/month", or "price unknown". */
export function formatMonthly(amount: number | undefined): string {
  return amount === undefined ? 'price unknown' : `${usd(amount)}/month`;
}
