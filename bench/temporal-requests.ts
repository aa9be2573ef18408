/**
 * What the benchmark asks of the Temporal server, from the server's own Prometheus counters: the
 * requests its frontend served (what clients and workers asked: starts, Updates, Queries, polls,
 * task completions) and the writes of its visibility store (search attributes), by operation.
 * Counted before and after a phase, they give each side's requests per lifecycle, which no machine's
 * speed moves: a Query or an upsert more per lifecycle shows as such.
 */

/** Counter values by series name ("frontend QueryWorkflow", "visibility UpsertWorkflowExecution"). */
export type RequestCounts = Record<string, number>;

/** The series counted, by Prometheus metric name, and the label filter each must match. */
const COUNTED: Record<string, { as: string; service?: string }> = {
  service_requests: { as: 'frontend', service: 'frontend' },
  visibility_persistence_requests: { as: 'visibility' },
};

/** Parses Prometheus text exposition into the counted series, summed over their other labels. */
export function parseRequestCounts(text: string): RequestCounts {
  const counts: RequestCounts = {};
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const counted = COUNTED[m[1]];
    if (!counted) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (counted.service && labels.service_name !== counted.service) continue;
    const value = Number(m[3]);
    if (!labels.operation || !Number.isFinite(value)) continue;
    const key = `${counted.as} ${labels.operation}`;
    counts[key] = (counts[key] ?? 0) + value;
  }
  return counts;
}

/** The server's counters now; undefined when it has no metrics endpoint or does not answer. */
export async function requestCounts(metricsUrl: string | undefined): Promise<RequestCounts | undefined> {
  if (!metricsUrl) return undefined;
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? parseRequestCounts(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** What was counted between two readings, added to `into`. */
export function addRequestsBetween(into: RequestCounts, from: RequestCounts, to: RequestCounts): RequestCounts {
  for (const [key, value] of Object.entries(to)) {
    const delta = value - (from[key] ?? 0);
    if (delta > 0) into[key] = (into[key] ?? 0) + delta;
  }
  return into;
}

/**
 * Rows of "series, baseline per lifecycle, TradeGuard per lifecycle" for the series either side asks
 * at least `min` times per lifecycle, the largest difference first.
 */
export function requestsPerLifecycle(baseline: RequestCounts, baselineLifecycles: number, real: RequestCounts, realLifecycles: number, min = 0.05) {
  const keys = [...new Set([...Object.keys(baseline), ...Object.keys(real)])];
  return keys
    .map((series) => ({ series, baseline: (baseline[series] ?? 0) / baselineLifecycles, tradeguard: (real[series] ?? 0) / realLifecycles }))
    .filter((r) => r.baseline >= min || r.tradeguard >= min)
    .sort((a, b) => Math.abs(b.tradeguard - b.baseline) - Math.abs(a.tradeguard - a.baseline) || a.series.localeCompare(b.series));
}
