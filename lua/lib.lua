-- edgeroute registry scripts: shared prelude. The build puts this in front of every script in pkg/lua/, so
-- each shipped script is self-contained (EVAL/SCRIPT LOAD take one chunk).
--
-- Registry layout, one Redis Cluster slot per registry thanks to the {name} hash tag:
--   <prefix>:{<name>}:nodes      sorted set   member = node id, score = weight
--   <prefix>:{<name>}:meta       hash         field = node id, value = JSON { "url": ..., "zone": ... }
--   <prefix>:{<name>}:version    string       integer, INCR'd by every change (absent = 0)
--   <prefix>:{<name>}:stamp      string       a random id, replaced by every change (absent = '')
--   <prefix>:{<name>}:down:<id>  string       present = node marked down; PX TTL = until when
--
-- Numbers are doubles and `bit` works on 32 bits (Lua 5.1, as embedded in Redis). Everything below is
-- computed the way src/compat/redis_lua.rs and src/detmath.rs compute it, operation for operation, so the
-- scores here and in the wasm Router are the same bits.

local MIN_WEIGHT = 1e-6 -- src/base/limits.rs MIN_WEIGHT
local MAX_WEIGHT = 1e6 -- src/base/limits.rs MAX_WEIGHT
local WEIGHT_RANGE = 'from 1e-6 to 1e6'
local MAX_ID_BYTES = 256 -- src/base/limits.rs MAX_ID_BYTES
-- src/base/limits.rs MAX_NODES: the Router refuses larger pools (ERR_TOO_LARGE), and the scripts do too, which also
-- bounds how long one script blocks Redis (every call is O(N)). A test checks the two agree.
local MAX_NODES = 65536
-- Versions are INCR counters, kept where a double (Lua) and a JS number hold them exactly: at most 2^53 - 1.
local MAX_VERSION = 9007199254740991
local TWO32 = 4294967296
local band, bor, bxor, lshift, rshift = bit.band, bit.bor, bit.bxor, bit.lshift, bit.rshift
local byte, sub = string.byte, string.sub

local function fail(code, msg)
  error({ err = code .. ' ' .. msg })
end

-- bit ops return signed 32-bit numbers; keep every hash in [0, 2^32).
local function u32(x)
  return x % TWO32
end

-- (a * b) mod 2^32 for a, b in [0, 2^32), with every intermediate below 2^53 so doubles hold it exactly.
local function mul32(a, b)
  local bl = b % 65536
  local bh = (b - bl) / 65536
  return (a * bl + ((a * bh) % 65536) * 65536) % TWO32
end

local function rotl(x, r)
  return u32(bor(lshift(x, r), rshift(x, 32 - r)))
end

-- MurmurHash3_x86_32 (Austin Appleby, SMHasher): the finalizer and the whole hash.
local function fmix32(h)
  h = u32(bxor(h, rshift(h, 16)))
  h = mul32(h, 0x85ebca6b)
  h = u32(bxor(h, rshift(h, 13)))
  h = mul32(h, 0xc2b2ae35)
  return u32(bxor(h, rshift(h, 16)))
end

local function murmur3_32(s, seed)
  local C1, C2 = 0xcc9e2d51, 0x1b873593
  local h = seed
  local len = #s
  local blocks = (len - len % 4) / 4
  for i = 0, blocks - 1 do
    local b1, b2, b3, b4 = byte(s, 4 * i + 1, 4 * i + 4)
    local k = b1 + b2 * 256 + b3 * 65536 + b4 * 16777216
    k = mul32(rotl(mul32(k, C1), 15), C2)
    h = (mul32(rotl(u32(bxor(h, k)), 13), 5) + 0xe6546b64) % TWO32
  end
  local tail = blocks * 4
  if len > tail then
    local k = 0
    for j = len - tail, 1, -1 do
      k = k * 256 + byte(s, tail + j)
    end
    h = u32(bxor(h, mul32(rotl(mul32(k, C1), 15), C2)))
  end
  return fmix32(u32(bxor(h, len % TWO32)))
end

-- ln x for x in (0, 1), as src/base/detmath.rs computes it: x = m 2^e with m in [1/sqrt2, sqrt2] (found by exact
-- doublings instead of reading the exponent bits), ln m = 2 atanh s with s = (m-1)/(m+1) by its series to
-- s^26 in Horner form, and ln 2 split as fdlibm splits it (bits 0x3fe62e42fee00000 and 0x3dea39ef35793c76).
local LN2_HI = 6.93147180369123816490e-01
local LN2_LO = 1.90821492927058770002e-10
local SQRT2 = 1.4142135623730951
local ATANH = {}
for k = 0, 13 do
  ATANH[k] = 1 / (2 * k + 1)
end

local function ln_unit(x)
  local e, m = 0, x
  while m < 1 do
    m = m * 2
    e = e - 1
  end
  if m > SQRT2 then
    m = m * 0.5
    e = e + 1
  end
  local s = (m - 1) / (m + 1)
  local s2 = s * s
  local p = ATANH[13]
  for k = 12, 0, -1 do
    p = p * s2 + ATANH[k]
  end
  return e * LN2_HI + (e * LN2_LO + 2 * (s * p))
end

-- Weighted rendezvous score of a node for a key hash (src/compat/redis_lua.rs `score`).
local function score(key_hash, node_hash, weight)
  local u = (fmix32(u32(bxor(key_hash, node_hash))) + 0.5) / TWO32
  return -weight / ln_unit(u)
end

-- Byte order, whatever the server's locale (Lua's < on strings uses strcoll).
local function bytes_less(a, b)
  local n = #a
  if #b < n then
    n = #b
  end
  for i = 1, n do
    local x, y = byte(a, i), byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

-- True when s is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
local function is_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    local len, lo, hi = 1, 0x80, 0xbf
    if c < 0x80 then
      len = 0
    elseif c >= 0xc2 and c <= 0xdf then
      len = 1
    elseif c >= 0xe0 and c <= 0xef then
      len = 2
      if c == 0xe0 then lo = 0xa0 elseif c == 0xed then hi = 0x9f end
    elseif c >= 0xf0 and c <= 0xf4 then
      len = 3
      if c == 0xf0 then lo = 0x90 elseif c == 0xf4 then hi = 0x8f end
    else
      return false
    end
    for j = 1, len do
      local d = byte(s, i + j)
      if d == nil or d < lo or d > hi then
        return false
      end
      lo, hi = 0x80, 0xbf
    end
    i = i + len + 1
  end
  return true
end

local function check_id(key, id)
  if #id == 0 or #id > MAX_ID_BYTES or not is_utf8(id) then
    fail('ERR_REGISTRY_BAD_ID', 'registry ' .. key .. ' holds the member ' .. string.format('%q', sub(id, 1, 300)) ..
      ', which is not a node id (1 to ' .. MAX_ID_BYTES .. ' bytes of UTF-8); remove it with ZREM')
  end
end

-- True when w is a number in [MIN_WEIGHT, MAX_WEIGHT] (false for nil and NaN). The lower bound keeps every share
-- computation in the normal range of doubles: subnormal weights would skew rendezvous shares.
local function is_weight(w)
  return w ~= nil and w >= MIN_WEIGHT and w <= MAX_WEIGHT
end

local function check_weight(key, id, w)
  if not is_weight(w) then
    fail('ERR_REGISTRY_BAD_WEIGHT', 'registry ' .. key .. ' gives node ' .. string.format('%q', id) .. ' the weight ' ..
      tostring(w) .. '; weights must be numbers ' .. WEIGHT_RANGE .. '; fix it with ZADD')
  end
end

-- The one version syntax, as js/registry.js parses it: a canonical decimal integer from 0 to 2^53 - 1 (no sign,
-- spaces, leading zeros, fraction or exponent). Returns the number, or nil.
local function parse_version(s)
  if type(s) ~= 'string' or #s > 16 or not (s == '0' or string.find(s, '^[1-9][0-9]*$')) then
    return nil
  end
  local n = tonumber(s)
  if n > MAX_VERSION then
    return nil
  end
  return n
end

-- A stamp: 8 to 64 letters, digits, '-' or '_' (the Registry writes 32 random hex digits).
local function is_stamp(s)
  return type(s) == 'string' and #s >= 8 and #s <= 64 and string.find(s, '^[0-9A-Za-z_-]+$') ~= nil
end

-- GET of a registry string key, with a coded error when it holds another type.
local function get_string(key, what)
  local v = redis.pcall('GET', key)
  if type(v) == 'table' and v.err then
    fail('ERR_REGISTRY_WRONG_TYPE', 'registry key ' .. key .. ' must be a string (' .. what .. '), not another type (' .. v.err .. ')')
  end
  return v
end

-- The version counter (0 when absent) and its text ('0' when absent).
local function read_version(key)
  local v = get_string(key, 'the version counter')
  if not v then
    return 0, '0'
  end
  local n = parse_version(v)
  if not n then
    fail('ERR_REGISTRY_BAD_VERSION', 'registry key ' .. key .. ' holds ' .. string.format('%q', sub(v, 1, 100)) ..
      ', not a version (a decimal integer from 0 to 2^53-1 without sign, spaces, fraction or exponent); DEL it or SET it to one')
  end
  return n, v
end

-- The stamp ('' when absent).
local function read_stamp(key)
  local v = get_string(key, 'the stamp')
  if not v then
    return ''
  end
  if not is_stamp(v) then
    fail('ERR_REGISTRY_BAD_VERSION', 'registry key ' .. key .. ' holds ' .. string.format('%q', sub(v, 1, 100)) ..
      ', not a stamp (8 to 64 letters, digits, - or _); DEL it')
  end
  return v
end

-- Every node of the registry in ZRANGE order, validated: ids, weights (and their text as Redis sent it, which
-- round-trips exactly, unlike tostring's 14 digits), and whether each is usable (not marked down). `down_prefix`
-- '' means health keys are not consulted. Fails with ERR_REGISTRY_MISSING when neither the sorted set nor the
-- version counter exists, and with ERR_TOO_LARGE over MAX_NODES nodes (checked before reading any).
local function read_nodes(nodes_key, version_key, down_prefix)
  local count = redis.pcall('ZCARD', nodes_key)
  if type(count) == 'table' and count.err then
    fail('ERR_REGISTRY_WRONG_TYPE', 'registry key ' .. nodes_key .. ' must be a sorted set of node id -> weight (' .. count.err .. ')')
  end
  if count > MAX_NODES then
    fail('ERR_TOO_LARGE', 'registry ' .. nodes_key .. ' has ' .. count .. ' nodes; at most ' .. MAX_NODES ..
      ' are supported (the Router\'s limit; it also bounds how long one script blocks Redis); remove nodes with ZREM')
  end
  local raw = redis.call('ZRANGE', nodes_key, 0, -1, 'WITHSCORES')
  if #raw == 0 and redis.call('EXISTS', version_key) == 0 then
    fail('ERR_REGISTRY_MISSING', 'no registry at ' .. nodes_key .. ' (neither it nor ' .. version_key ..
      ' exists); add nodes first, or check the prefix and name')
  end
  local ids, weights, usable, texts = {}, {}, {}, {}
  for i = 1, #raw, 2 do
    local id, w = raw[i], tonumber(raw[i + 1])
    check_id(nodes_key, id)
    check_weight(nodes_key, id, w)
    ids[#ids + 1] = id
    weights[#weights + 1] = w
    texts[#texts + 1] = raw[i + 1]
    usable[#usable + 1] = down_prefix == '' or redis.call('EXISTS', down_prefix .. id) == 0
  end
  return ids, weights, usable, texts
end

local function whole_arg(v, name, lo, hi)
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < lo or n > hi then
    fail('ERR_INVALID_OPTION', name .. ' must be a whole number from ' .. lo .. ' to ' .. string.format('%.0f', hi) ..
      ', got ' .. tostring(v))
  end
  return n
end
