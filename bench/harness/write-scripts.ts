/**
 * The wrk scripts of the write benches: distinct keys `<prefix>/<thread>/<n>` (a fresh prefix per
 * run, so no PUT rewrites a key), through our `PUT /v1/kv` or etcd's JSON gateway put.
 */
import { b64 } from './etcd.js';
import { luaBase64, luaString, luaThreadIds } from './wrk.js';

/** oursWriteScript PUTs `value` to `/v1/kv/<prefix>/<thread>/<n>`. */
export const oursWriteScript = (prefix: string, value: string): string => `${luaThreadIds}
local n = 0
local body = ${luaString(value)}
request = function()
  n = n + 1
  return wrk.format("PUT", "/v1/kv/${prefix}/" .. tid .. "/" .. n, nil, body)
end
`;

/** etcdWriteScript does the same through etcd's JSON gateway (base64 key and value). */
export const etcdWriteScript = (
  prefix: string,
  value: string,
): string => `${luaThreadIds}${luaBase64}
local n = 0
local value = ${luaString(b64(value))}
local headers = { ["Content-Type"] = "application/json" }
request = function()
  n = n + 1
  local key = b64("${prefix}/" .. tid .. "/" .. n)
  return wrk.format("POST", "/v3/kv/put", headers, '{"key":"' .. key .. '","value":"' .. value .. '"}')
end
`;
