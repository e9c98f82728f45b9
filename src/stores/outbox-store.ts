// The development outbox in Redis: the latest messages per recipient, for a while.
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import { reachRedis } from "./redis.ts";

export interface OutboxMessage {
  to: string;
  subject: string;
  text: string;
  created_at: string;
}

const KEEP = 20;
const TTL_SECONDS = 3600;
const outboxKey = (to: string) => `outbox:${to.trim().toLowerCase()}`;

export async function appendToOutbox(redis: Redis, message: OutboxMessage): Promise<void> {
  const key = outboxKey(message.to);
  const tx = redis.multi();
  tx.lpush(key, JSON.stringify(message));
  tx.ltrim(key, 0, KEEP - 1);
  tx.expire(key, TTL_SECONDS);
  await reachRedis(tx.exec());
}

/** The outbox port the development provider writes to, kept in this Redis. */
export function redisOutbox(redis: Redis, now: () => Date) {
  return {
    append: (message: { to: string; subject: string; text: string }) =>
      appendToOutbox(redis, { ...message, created_at: now().toISOString() }),
  };
}

/** Newest first. */
export async function readOutbox(redis: Redis, to: string): Promise<OutboxMessage[]> {
  const items = await reachRedis(redis.lrange<string>(outboxKey(to), 0, KEEP - 1));
  return items.map((item) => JSON.parse(item) as OutboxMessage);
}

/** The development outbox, bound to this request's connection. */
export const outboxStore = (redis: Redis) => bindTo(redis, { read: readOutbox });
export type OutboxStore = ReturnType<typeof outboxStore>;
