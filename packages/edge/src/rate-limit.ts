/**
 * Per-key token buckets and daily job quotas, in memory: they hold for ONE process. Several Lambda
 * instances or Node processes each count on their own, so the effective limit is per instance; a
 * shared limiter (DynamoDB, Durable Objects, Redis) would implement the same `RateLimiter` port.
 */
import type { RateLimitDecision, RateLimiter } from './deps.ts';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const DAY_MS = 86_400_000;

export function createMemoryRateLimiter(maxTracked = 10_000): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const jobs = new Map<string, { day: number; count: number }>();

  function remember<V>(map: Map<string, V>, id: string, value: V): void {
    map.delete(id);
    map.set(id, value);
    // Oldest-first eviction keeps memory bounded; an evicted id starts with a full bucket.
    if (map.size > maxTracked) map.delete(map.keys().next().value as string);
  }

  return {
    take(id, limit, nowMs): RateLimitDecision {
      const perMs = limit.requestsPerMinute / 60_000;
      const previous = buckets.get(id);
      const tokens = previous
        ? Math.min(limit.burst, previous.tokens + (nowMs - previous.updatedMs) * perMs)
        : limit.burst;
      if (tokens < 1) {
        remember(buckets, id, { tokens, updatedMs: nowMs });
        return {
          allowed: false,
          remaining: 0,
          retryAfterS: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
        };
      }
      remember(buckets, id, { tokens: tokens - 1, updatedMs: nowMs });
      return { allowed: true, remaining: Math.floor(tokens - 1), retryAfterS: 0 };
    },
    takeJob(id, jobsPerDay, nowMs) {
      const day = Math.floor(nowMs / DAY_MS);
      const entry = jobs.get(id);
      const count = entry && entry.day === day ? entry.count : 0;
      if (count >= jobsPerDay) return false;
      remember(jobs, id, { day, count: count + 1 });
      return true;
    },
  };
}
