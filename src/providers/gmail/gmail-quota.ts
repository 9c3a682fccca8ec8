/**
 * Gmail's per-user quota, as Google publishes it: units per minute and the cost of each method.
 * Projects created from May 2026 get a smaller budget and dearer reads.
 */
export type GmailMethod =
  | 'getProfile'
  | 'settings.sendAs.list'
  | 'messages.list'
  | 'messages.get'
  | 'threads.get'
  | 'history.list';

export interface GmailQuota {
  unitsPerMinute: number;
  cost: Record<GmailMethod, number>;
}

const LEGACY: GmailQuota = {
  unitsPerMinute: 15_000,
  cost: {
    getProfile: 1,
    'settings.sendAs.list': 1,
    'messages.list': 5,
    'messages.get': 5,
    'threads.get': 10,
    'history.list': 2,
  },
};

const REGIME_2026: GmailQuota = {
  unitsPerMinute: 6_000,
  cost: { ...LEGACY.cost, 'messages.get': 20, 'threads.get': 40 },
};

export function gmailQuota(regime: 'legacy' | '2026', unitsPerMinute?: number): GmailQuota {
  const base = regime === '2026' ? REGIME_2026 : LEGACY;
  return unitsPerMinute ? { ...base, unitsPerMinute } : base;
}

/** The method that costs the most units, and its cost: the one request the governor must hold at once. */
export function dearestRequest(quota: GmailQuota): { method: GmailMethod; units: number } {
  let dearest: { method: GmailMethod; units: number } = { method: 'getProfile', units: 0 };
  for (const [method, units] of Object.entries(quota.cost) as [GmailMethod, number][]) {
    if (units > dearest.units) dearest = { method, units };
  }
  return dearest;
}
