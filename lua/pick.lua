-- Keyed selection: the node(s) the wasm Router with { strategy: "rendezvous", compat: "redis", seed } picks.
--   KEYS[1] nodes sorted set, KEYS[2] version counter
--   ARGV[1] the key (bytes; JS strings are sent as UTF-8)
--   ARGV[2] n: how many nodes, in preference (failover) order (default 1)
--   ARGV[3] seed, 0 to 4294967295 (default 0)
--   ARGV[4] the health key prefix '<prefix>:{<name>}:down:' ('' or absent: ignore health keys)
-- Returns an array of up to n distinct node ids, best first; empty when no node is usable.
-- Cost: O(N) hashes and logarithms for N nodes, plus O(N log N) when n > 1.
local key = ARGV[1]
if key == nil then
  fail('ERR_INVALID_KEY', 'pick.lua needs the key as ARGV[1]')
end
local n = whole_arg(ARGV[2] or '1', 'ARGV[2] (n)', 1, 65536)
local seed = whole_arg(ARGV[3] or '0', 'ARGV[3] (seed)', 0, 4294967295)
local ids, weights, usable = read_nodes(KEYS[1], KEYS[2], ARGV[4] or '')

local kh = murmur3_32(key, seed)
local cand = {}
for i = 1, #ids do
  if usable[i] then
    cand[#cand + 1] = { score(kh, murmur3_32(ids[i] .. '\255', seed), weights[i]), ids[i] }
  end
end
local function better(a, b)
  if a[1] ~= b[1] then
    return a[1] > b[1]
  end
  return bytes_less(a[2], b[2])
end
if n == 1 then
  local best = cand[1]
  for i = 2, #cand do
    if better(cand[i], best) then
      best = cand[i]
    end
  end
  return best and { best[2] } or {}
end
table.sort(cand, better)
local out = {}
for i = 1, math.min(n, #cand) do
  out[i] = cand[i][2]
end
return out
