import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateMonthlyCost, formatCostEstimate, formatMonthly, planMonthlyUsd, PRICES_AS_OF } from './prices.ts';

describe('the monthly cost estimate', () => {
  it('turns the autoscaler bounds into a cost range and adds the volume at $0.10/GB', () => {
    const estimate = estimateMonthlyCost({
      nodeType: 'g6-standard-2',
      minNodes: 1,
      maxNodes: 3,
      region: 'us-east',
      volumeGb: 20,
    });
    assert.equal(estimate.minUsd, 26);
    assert.equal(estimate.maxUsd, 74);
    const text = formatCostEstimate(estimate);
    assert.match(text, new RegExp(`prices as of ${PRICES_AS_OF}, USD/month`));
    assert.match(text, /1–3 × g6-standard-2 at \$24\.00: \$24\.00–\$72\.00/);
    assert.match(text, /volume 20 GB × \$0\.10\/GB: \$2\.00/);
    assert.match(text, /control plane \(standard\): free/);
    assert.match(text, /total: \$26\.00–\$74\.00 per month/);
  });

  it('applies the higher prices of Jakarta and São Paulo, and charges for a highly available control plane', () => {
    const estimate = estimateMonthlyCost({
      nodeType: 'g6-dedicated-4',
      minNodes: 2,
      maxNodes: 2,
      region: 'br-gru',
      highAvailability: true,
    });
    // 2 × $72 × 1.4 + $60 × 1.4
    assert.equal(estimate.minUsd, 285.6);
    assert.equal(estimate.maxUsd, 285.6);
    assert.match(formatCostEstimate(estimate), /total: \$285\.60 per month$/);
  });

  it('says when it does not know the price of a node type instead of guessing', () => {
    const estimate = estimateMonthlyCost({ nodeType: 'g9-imaginary-1', minNodes: 1, maxNodes: 2 });
    assert.equal(estimate.minUsd, undefined);
    assert.match(
      formatCostEstimate(estimate),
      /g9-imaginary-1: price unknown to deckhand, see https:\/\/www\.linode\.com\/pricing\//,
    );
    assert.match(formatCostEstimate(estimate), /total: unknown/);
  });
});

describe("a plan's price from the API's own answer", () => {
  const plan = {
    price: { monthly: 24 },
    region_prices: [
      { id: 'id-cgk', monthly: 28.8 },
      { id: 'br-gru', monthly: 33.6 },
    ],
  };
  it('uses the region price where the API lists one, the base price elsewhere', () => {
    assert.equal(planMonthlyUsd(plan, 'br-gru'), 33.6);
    assert.equal(planMonthlyUsd(plan, 'us-ord'), 24);
    assert.equal(planMonthlyUsd(plan), 24);
    assert.equal(planMonthlyUsd({ price: { monthly: null } }), undefined);
    assert.equal(formatMonthly(33.6), '$33.60/month');
    assert.equal(formatMonthly(undefined), 'price unknown');
  });
});
