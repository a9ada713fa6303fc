/**
 * The DNS template functions (`lookupIP`, `lookupIPV4`, `lookupIPV6`, `lookupSRV`) and the
 * resolver that fills their cache. Rendering never does I/O: a function reads
 * `RenderContext.lookups` by the request's stable id and, on a miss, records the request and
 * returns an empty list. The caller resolves the misses with {@link resolveLookups} and renders
 * again.
 */
import * as dns from 'node:dns/promises';
import { checkArity, asString } from './go-args.js';
import type { LookupRequest, RenderContext } from './types.js';
import {
  SRVRecord,
  compareGoStrings,
  lookupResult,
  typedList,
  type LookupRecorder,
  type TemplateFunctions,
} from './values.js';

/** LookupResolver does the DNS queries; tests inject one, the default uses node:dns/promises. */
export interface LookupResolver {
  /** lookupIP is every address of the host (IPv4 and IPv6), like Go's `net.LookupIP`. */
  lookupIP(host: string): Promise<string[]>;
  /** lookupSRV is the SRV records of a fully built name (`_service._proto.name`). */
  lookupSRV(
    name: string,
  ): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
}

/** ResolveLookupsOptions configures {@link resolveLookups}. */
export interface ResolveLookupsOptions {
  readonly resolver?: LookupResolver;
  readonly signal?: AbortSignal;
}

/** createSystemResolver is the default resolver: getaddrinfo for IPs, DNS for SRV. */
export function createSystemResolver(): LookupResolver {
  return {
    async lookupIP(host) {
      const entries = await dns.lookup(host, { all: true, verbatim: true });
      return entries.map((e) => e.address);
    },
    async lookupSRV(name) {
      return dns.resolveSrv(name);
    },
  };
}

/**
 * resolveLookups performs recorded lookups and returns the cache for the next render (id →
 * result). Like confd, IP results are sorted as strings, SRV records by the string
 * `Target+Port+Priority+Weight`, and a failed lookup yields an empty list.
 */
export async function resolveLookups(
  requests: ReadonlyMap<string, LookupRequest> | Iterable<readonly [string, LookupRequest]>,
  options: ResolveLookupsOptions = {},
): Promise<Map<string, unknown>> {
  const resolver = options.resolver ?? createSystemResolver();
  const entries = [...requests];
  const results = await Promise.all(
    entries.map(async ([id, request]): Promise<[string, unknown]> => {
      options.signal?.throwIfAborted();
      try {
        return [id, await resolveOne(resolver, request)];
      } catch {
        return [id, []];
      }
    }),
  );
  options.signal?.throwIfAborted();
  return new Map(results);
}

async function resolveOne(resolver: LookupResolver, request: LookupRequest): Promise<unknown> {
  if (request.kind === 'ip') {
    const ips = [...new Set(await resolver.lookupIP(request.host))];
    return ips.sort(compareGoStrings);
  }
  if (request.kind !== 'srv') {
    throw new Error(`${request.kind} lookups need the consul or embedded backend`);
  }
  // Go's net.LookupSRV queries `name` itself when service and proto are both empty.
  const name =
    request.service === '' && request.proto === ''
      ? request.name
      : `_${request.service}._${request.proto}.${request.name}`;
  const records = (await resolver.lookupSRV(name)).map(
    (r) =>
      new SRVRecord(r.name.endsWith('.') ? r.name : `${r.name}.`, r.port, r.priority, r.weight),
  );
  const key = (r: SRVRecord) => `${r.Target}${r.Port}${r.Priority}${r.Weight}`;
  return records.sort((a, b) => compareGoStrings(key(a), key(b)));
}

/** createLookupFunctions is the DNS function group, reading the context's resolved cache. */
export function createLookupFunctions(
  context: RenderContext,
  recorder: LookupRecorder,
): TemplateFunctions {
  const fetch = (request: LookupRequest): unknown[] =>
    lookupResult(context.lookups, recorder, request);
  const ips = (args: unknown[], name: string, keep: (ip: string) => boolean): string[] => {
    checkArity(name, args, 1);
    const all = fetch({ kind: 'ip', host: asString(args[0]) });
    return typedList(
      all.filter((v): v is string => typeof v === 'string' && keep(v)),
      '[]string',
    );
  };
  return {
    lookupIP: (...args) => ips(args, 'lookupIP', () => true),
    lookupIPV4: (...args) => ips(args, 'lookupIPV4', (ip) => ip.includes('.')),
    lookupIPV6: (...args) => ips(args, 'lookupIPV6', (ip) => ip.includes(':')),
    lookupSRV: (...args) => {
      checkArity('lookupSRV', args, 3);
      const records = fetch({
        kind: 'srv',
        service: asString(args[0]),
        proto: asString(args[1]),
        name: asString(args[2]),
      });
      return typedList(records, '[]*net.SRV');
    },
  };
}
