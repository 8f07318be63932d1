-- Weighted random selection for task scheduling: node i with probability weight_i / total weight.
--   KEYS[1] nodes sorted set, KEYS[2] version counter
--   ARGV[1] r, a uniform random number in [0, 1) drawn by the caller
--   ARGV[2] the health key prefix ('' or absent: ignore health keys)
-- Returns the node id, or false (nil) when no node is usable. The same r and registry give the same node.
-- Randomness comes from the caller because Redis's math.random is not a source of it: Redis 7.0 seeds the
-- script PRNG once per server start with a fixed seed (measured: every restart yields the same sequence), and
-- before 7.0 it reseeded it before every script, so each EVAL drew the same numbers.
local r = tonumber(ARGV[1])
if not (r and r >= 0 and r < 1) then
  fail('ERR_INVALID_OPTION', 'ARGV[1] must be a random number in [0, 1), got ' .. tostring(ARGV[1]))
end
local ids, weights, usable = read_nodes(KEYS[1], KEYS[2], ARGV[2] or '')
local total, last = 0, nil
for i = 1, #ids do
  if usable[i] then
    total = total + weights[i]
    last = i
  end
end
if last == nil then
  return false
end
local target, acc = r * total, 0
for i = 1, #ids do
  if usable[i] then
    acc = acc + weights[i]
    if target < acc then
      return ids[i]
    end
  end
end
return ids[last]
