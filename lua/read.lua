-- One consistent snapshot of a registry.
--   KEYS[1] nodes sorted set, KEYS[2] meta hash, KEYS[3] version counter, KEYS[4] stamp
--   ARGV[1] the health key prefix ('' or absent: report no health)
-- Returns { version, stamp (nil when absent),
--           { id, weight, meta JSON or false, down TTL in ms (-1: down with no end, -2: up) } ... }.
if #KEYS ~= 4 then
  fail('ERR_INVALID_OPTION', 'read.lua takes 4 keys (nodes, meta, version, stamp), got ' .. #KEYS)
end
local down_prefix = ARGV[1] or ''
local _, version = read_version(KEYS[3])
local stamp = read_stamp(KEYS[4])
local ids, _, _, texts = read_nodes(KEYS[1], KEYS[3], '')
local metas = redis.pcall('HGETALL', KEYS[2])
if type(metas) == 'table' and metas.err then
  fail('ERR_REGISTRY_WRONG_TYPE', 'registry key ' .. KEYS[2] .. ' must be a hash of node id -> JSON (' .. metas.err .. ')')
end
local meta = {}
for i = 1, #metas, 2 do
  meta[metas[i]] = metas[i + 1]
end
local out = {}
for i = 1, #ids do
  local ttl = -2
  if down_prefix ~= '' then
    ttl = redis.call('PTTL', down_prefix .. ids[i])
  end
  out[i] = { ids[i], texts[i], meta[ids[i]] or false, ttl }
end
return { version, stamp ~= '' and stamp or false, out }
