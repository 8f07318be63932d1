-- Atomic registry changes; each bumps the version counter and replaces the stamp, so readers notice with one MGET.
--   KEYS[1] nodes sorted set, KEYS[2] meta hash, KEYS[3] version counter, KEYS[4] stamp
--   ARGV[1] op: 'add' | 'remove' | 'weight' | 'down' | 'up'
--   ARGV[2] node id
--   ARGV[3] weight ('add', 'weight'), or the mark's duration in ms for 'down' ('' = until 'up')
--   ARGV[4] meta JSON for 'add' ('' = none)
--   ARGV[5] expected version ('' = any): the change is refused with ERR_REGISTRY_CONFLICT if another writer
--           changed the registry since the caller read it
--   ARGV[6] the health key prefix (needed by 'remove', 'down' and 'up')
--   ARGV[7] the new stamp: a fresh random id (8 to 64 letters, digits, - or _; e.g. 32 random hex digits). It is
--           what makes a change visible when the version repeats (data lost in a restart, FLUSHALL or failover)
--   ARGV[8] expected stamp ('' or absent = any): as ARGV[5], and it also catches a registry re-created since
-- Returns the new version.
local op, id, arg, meta, expect, down_prefix = ARGV[1], ARGV[2], ARGV[3] or '', ARGV[4] or '', ARGV[5] or '', ARGV[6] or ''
local stamp, expect_stamp = ARGV[7], ARGV[8] or ''
if #KEYS ~= 4 then
  fail('ERR_INVALID_OPTION', 'write.lua takes 4 keys (nodes, meta, version, stamp), got ' .. #KEYS)
end
if id == nil then
  fail('ERR_INVALID_ID', 'write.lua needs a node id as ARGV[2]')
end
check_id(KEYS[1], id)
local current, current_text = read_version(KEYS[3])
local current_stamp = read_stamp(KEYS[4])
if not is_stamp(stamp) or stamp == current_stamp then
  fail('ERR_INVALID_OPTION', 'write.lua needs a fresh random stamp as ARGV[7] (8 to 64 letters, digits, - or _, ' ..
    'not the current one), got ' .. string.format('%q', tostring(stamp)))
end
if expect ~= '' then
  local want = parse_version(expect)
  if not want then
    fail('ERR_INVALID_OPTION', 'ARGV[5] (the expected version) must be a decimal integer from 0 to 2^53-1 or empty, got ' ..
      string.format('%q', expect))
  end
  if want ~= current then
    fail('ERR_REGISTRY_CONFLICT', 'the registry is at version ' .. current_text .. ', not ' .. expect ..
      ': another writer changed it; read it again and retry')
  end
end
if expect_stamp ~= '' and expect_stamp ~= current_stamp then
  fail('ERR_REGISTRY_CONFLICT', 'the registry has the stamp ' .. string.format('%q', current_stamp) .. ', not ' ..
    string.format('%q', expect_stamp) .. ': it was changed, or re-created (after a restart without persistence, ' ..
    'FLUSHALL or a failover that lost writes); read it again and retry')
end
if current >= MAX_VERSION then
  fail('ERR_REGISTRY_BAD_VERSION', 'registry key ' .. KEYS[3] .. ' is at 2^53-1, the last version; DEL it to start again at 0')
end
local exists = redis.pcall('ZSCORE', KEYS[1], id)
if type(exists) == 'table' and exists.err then
  fail('ERR_REGISTRY_WRONG_TYPE', 'registry key ' .. KEYS[1] .. ' must be a sorted set (' .. exists.err .. ')')
end
local function need_node()
  if not exists then
    fail('ERR_UNKNOWN_NODE', 'node ' .. string.format('%q', id) .. ' is not in registry ' .. KEYS[1])
  end
end
local function need_prefix()
  if down_prefix == '' then
    fail('ERR_INVALID_OPTION', 'write.lua ' .. op .. ' needs the health key prefix as ARGV[6]')
  end
end
if op == 'add' or op == 'weight' then
  local w = tonumber(arg)
  if not is_weight(w) then
    fail('ERR_INVALID_WEIGHT', 'the weight of ' .. string.format('%q', id) .. ' must be a number ' .. WEIGHT_RANGE .. ', got ' ..
      tostring(arg))
  end
  if op == 'add' then
    if exists then
      fail('ERR_DUPLICATE_ID', 'node ' .. string.format('%q', id) .. ' is already in registry ' .. KEYS[1] ..
        '; use the weight op to change its weight')
    end
    if redis.call('ZCARD', KEYS[1]) >= MAX_NODES then
      fail('ERR_TOO_LARGE', 'registry ' .. KEYS[1] .. ' holds ' .. MAX_NODES .. ' nodes, the most supported; remove one first')
    end
    if meta ~= '' then
      local ok, v = pcall(cjson.decode, meta)
      if not ok or type(v) ~= 'table' then
        fail('ERR_REGISTRY_BAD_META', 'the meta of ' .. string.format('%q', id) .. ' must be a JSON object, got ' .. meta)
      end
      redis.call('HSET', KEYS[2], id, meta)
    end
  else
    need_node()
  end
  redis.call('ZADD', KEYS[1], w, id)
elseif op == 'remove' then
  need_node()
  need_prefix()
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('DEL', down_prefix .. id)
elseif op == 'down' then
  need_node()
  need_prefix()
  if arg == '' then
    redis.call('SET', down_prefix .. id, '1')
  else
    redis.call('SET', down_prefix .. id, '1', 'PX', whole_arg(arg, 'ARGV[3] (the mark in ms)', 1, 1e12))
  end
elseif op == 'up' then
  need_node()
  need_prefix()
  redis.call('DEL', down_prefix .. id)
else
  fail('ERR_INVALID_OPTION', 'unknown op ' .. tostring(op) .. '; use add, remove, weight, down or up')
end
redis.call('SET', KEYS[4], stamp)
return redis.call('INCR', KEYS[3])
