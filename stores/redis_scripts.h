/*
 * redis_scripts.h - private to stores/redis_conn.c: the Redis store's Lua
 * scripts (indices RS_* in redis_store.h), loaded per connection with
 * SCRIPT LOAD and run with EVALSHA (EVAL after a server restart).
 */
#ifndef CRUMB_STORE_REDIS_SCRIPTS_H
#define CRUMB_STORE_REDIS_SCRIPTS_H

static const char *const rd_scripts[RS_COUNT] = {
    /* RS_PUT: KEYS rec, counter; ARGV data, expires_at, expected, now, ttl.
     * Returns {0, version} | {1} conflict | {2} not found. */
    "local e = redis.call('HGET', KEYS[1], 'e')\n"
    "local live = e and tonumber(e) > tonumber(ARGV[4])\n"
    "local x = ARGV[3]\n"
    "if x == 'new' then if live then return {1} end\n"
    "elseif x ~= 'any' then\n"
    "  if not live then return {2} end\n"
    "  if redis.call('HGET', KEYS[1], 'v') ~= x then return {1} end\n"
    "end\n"
    "local v = redis.call('INCR', KEYS[2])\n"
    "redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', v, 'e', ARGV[2])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
    "return {0, v}\n",
    /* RS_TOUCH: KEYS rec; ARGV expires_at, now, ttl. Returns 1 | 0 absent. */
    "local e = redis.call('HGET', KEYS[1], 'e')\n"
    "if not e or tonumber(e) <= tonumber(ARGV[2]) then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'e', ARGV[1])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
    "return 1\n",
    /* RS_MAXSET: KEYS k; ARGV until, ttl. Keep the later until. */
    "local u = redis.call('GET', KEYS[1])\n"
    "if u and tonumber(u) >= tonumber(ARGV[1]) then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "return 1\n",
    /* RS_FREVOKE: KEYS fam; ARGV until, now, ttl. */
    "local f = redis.call('HMGET', KEYS[1], 'u', 'r')\n"
    "local u = tonumber(f[1] or '0'); local r = tonumber(f[2] or '0')\n"
    "local t = tonumber(ARGV[1])\n"
    "if u <= tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'g', '0', 'a', '0'); u = 0 end\n"
    "if t > r then redis.call('HSET', KEYS[1], 'r', ARGV[1]) end\n"
    "if t > u then redis.call('HSET', KEYS[1], 'u', ARGV[1]) end\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end\n"
    "return 1\n",
    /* RS_FADVANCE: KEYS fam; ARGV expected, new, until, now, ttl.
     * Returns {0|1 revoked|2 conflict, current generation}. */
    "local f = redis.call('HMGET', KEYS[1], 'g', 'u', 'r')\n"
    "local now = tonumber(ARGV[4])\n"
    "local g = f[1] or '0'; local u = tonumber(f[2] or '0'); local r = tonumber(f[3] or '0')\n"
    "if u <= now then g = '0' end\n"
    "if r > now then return {1, g} end\n"
    "if g ~= ARGV[1] then return {2, g} end\n"
    "redis.call('HSET', KEYS[1], 'g', ARGV[2], 'a', ARGV[4])\n"
    "if tonumber(ARGV[3]) > u then redis.call('HSET', KEYS[1], 'u', ARGV[3]) end\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < tonumber(ARGV[5]) then redis.call('EXPIRE', KEYS[1], ARGV[5]) end\n"
    "return {0, ARGV[2]}\n",
    /* RS_UREVOKE: KEYS user; ARGV before, except ('' = none), until, ttl.
     * Keeps the decimal strings: a Lua number past 2^53 (a saturated
     * until) does not survive string.format('%d'). */
    "local f = redis.call('HMGET', KEYS[1], 'nb', 'nbu')\n"
    "local b = ARGV[1]; if tonumber(b) < tonumber(f[1] or '0') then b = f[1] end\n"
    "local t = ARGV[3]; if tonumber(f[2] or '0') > tonumber(t) then t = f[2] end\n"
    "redis.call('HSET', KEYS[1], 'nb', b, 'nbu', t, 'ex', ARGV[2])\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[1], ARGV[4]) end\n"
    "return 1\n",
    /* RS_EXTEND: KEYS k; ARGV ttl. Raise the key's TTL to at least ttl. */
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl == -1 or (ttl >= 0 and ttl < tonumber(ARGV[1])) then\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[1]) end\n"
    "return 1\n",
    /* RS_DELIF: KEYS k; ARGV now. Delete a record/revocation/family whose
     * expiry fields are all <= now. Returns 1 deleted, 2 deleted (family
     * with a revocation), 0 kept. */
    "local t = redis.call('TYPE', KEYS[1]).ok\n"
    "local now = tonumber(ARGV[1])\n"
    "if t == 'string' then\n"
    "  if tonumber(redis.call('GET', KEYS[1]) or '0') <= now then\n"
    "    redis.call('DEL', KEYS[1]); return 1 end\n"
    "elseif t == 'hash' then\n"
    "  local f = redis.call('HMGET', KEYS[1], 'e', 'u', 'r')\n"
    "  local m = math.max(tonumber(f[1] or '0'), tonumber(f[2] or '0'), tonumber(f[3] or '0'))\n"
    "  if m <= now then redis.call('DEL', KEYS[1]); if f[3] then return 2 end; return 1 end\n"
    "end\n"
    "return 0\n",
    /* RS_UPRUNE: KEYS user; ARGV now. Drop expired user/device revocations;
     * returns how many were dropped. */
    "local now = tonumber(ARGV[1]); local n = 0\n"
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "for i = 1, #h, 2 do\n"
    "  local k = h[i]\n"
    "  if string.sub(k, 1, 2) == 'r:' and tonumber(h[i + 1]) <= now then\n"
    "    redis.call('HDEL', KEYS[1], k); n = n + 1 end\n"
    "end\n"
    "local nbu = redis.call('HGET', KEYS[1], 'nbu')\n"
    "if nbu and tonumber(nbu) <= now then\n"
    "  redis.call('HDEL', KEYS[1], 'nb', 'nbu', 'ex'); n = n + 1 end\n"
    "if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end\n"
    "return n\n",
};

#endif /* CRUMB_STORE_REDIS_SCRIPTS_H */
