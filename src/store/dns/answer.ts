/**
 * Builds the DNS response to one decoded query from the catalog view, as Consul's DNS server
 * answers (consul `agent/dns.go`): authoritative, TTL 0, healthy instances only, SOA in AUTHORITY
 * on NXDOMAIN, UDP answers cut to `udp_answer_limit`. A synchronous view gets its answer at once
 * (no promise on that path); an asynchronous one gets a promise of the same answer.
 */
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import { parseQueryName } from './query-name.js';
import { isPromiseLike } from './types.js';
import type { DnsCatalogView, DnsInstance, DnsNode, MaybePromise } from './types.js';

/** RCODE values used in answers. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/** AnswerOptions are the server settings an answer depends on. */
export interface AnswerOptions {
  readonly view: DnsCatalogView;
  /** The DNS domain without trailing dot, e.g. `consul`. */
  readonly domain: string;
  /** True when the query came over UDP (answers are limited). */
  readonly udp: boolean;
  /** Maximum answers over UDP (Consul's udp_answer_limit, default 3). */
  readonly udpAnswerLimit: number;
  /** Set TC when a UDP answer was cut (Consul's enable_truncate, default false). */
  readonly enableTruncate: boolean;
  /** The clock, for the SOA serial (unix seconds). */
  readonly now: () => number;
  /** Random in [0,1), to shuffle instances as Consul does. */
  readonly random: () => number;
}

const TTL = 0;

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function soa(options: AnswerOptions): Answer {
  return {
    type: 'SOA',
    name: options.domain,
    ttl: 0,
    class: 'IN',
    data: {
      mname: `ns.${options.domain}`,
      rname: `hostmaster.${options.domain}`,
      serial: Math.floor(options.now() / 1000) >>> 0,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 0,
    },
  };
}

/** hexIp renders an IPv4/IPv6 address as Consul's `<hex>.addr` label. */
export function hexIp(address: string): string {
  if (isIP(address) === 4) {
    return address
      .split('.')
      .map((o) => Number(o).toString(16).padStart(2, '0'))
      .join('');
  }
  // Expand `::` and render the 16 bytes.
  const [head, tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  return groups.map((g: string) => g.padStart(4, '0')).join('');
}

function ipFromHex(hex: string): string | undefined {
  if (/^[0-9a-f]{8}$/.test(hex)) {
    return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  if (/^[0-9a-f]{32}$/.test(hex)) {
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    return groups.join(':');
  }
  return undefined;
}

function addressRecord(name: string, address: string, qtype: string): Answer | undefined {
  const family = isIP(address);
  if (family === 4 && (qtype === 'A' || qtype === 'ANY' || qtype === 'SRV')) {
    return { type: 'A', name, ttl: TTL, class: 'IN', data: address };
  }
  if (family === 6 && (qtype === 'AAAA' || qtype === 'ANY' || qtype === 'SRV')) {
    return { type: 'AAAA', name, ttl: TTL, class: 'IN', data: address };
  }
  return undefined;
}

interface Result {
  rcode: number;
  answers: Answer[];
  additionals: Answer[];
  truncated: boolean;
}

function serviceAnswer(
  q: Question,
  instances: DnsInstance[],
  dc: string,
  options: AnswerOptions,
): Result {
  const result: Result = { rcode: 0, answers: [], additionals: [], truncated: false };
  let list = shuffle([...instances], options.random);
  if (options.udp && list.length > options.udpAnswerLimit) {
    list = list.slice(0, options.udpAnswerLimit);
    result.truncated = true;
  }
  for (const inst of list) {
    const address = inst.serviceAddress || inst.nodeAddress;
    if (q.type === 'SRV') {
      // The target names the node, or `<hex-ip>.addr.<dc>.<domain>` for an own address.
      const target = inst.serviceAddress
        ? `${hexIp(inst.serviceAddress)}.addr.${dc}.${options.domain}`
        : `${inst.node}.node.${dc}.${options.domain}`;
      result.answers.push({
        type: 'SRV',
        name: q.name,
        ttl: TTL,
        class: 'IN',
        data: { priority: 1, weight: inst.weight, port: inst.port, target },
      });
      const extra = addressRecord(target, address, 'SRV');
      if (extra) result.additionals.push(extra);
    } else {
      const record = addressRecord(q.name, address, q.type);
      if (record) result.answers.push(record);
    }
  }
  return result;
}

/** answered is a result with just an rcode and answers (no ADDITIONAL, not truncated). */
function answered(rcode: number, answers: Answer[] = []): Result {
  return { rcode, answers, additionals: [], truncated: false };
}

function nodeAnswer(q: Question, node: DnsNode | undefined): Result {
  if (!node) return answered(RCODE.NXDOMAIN);
  const answers: Answer[] = [];
  const record = addressRecord(q.name, node.address, q.type);
  if (record) answers.push(record);
  if (q.type === 'TXT' || (q.type as string) === 'ANY') {
    // RFC 1464 key=value, or the bare value for `rfc1035-` keys.
    for (const [k, v] of Object.entries(node.meta)) {
      const text = k.startsWith('rfc1035-') ? v : `${k}=${v}`;
      answers.push({ type: 'TXT', name: q.name, ttl: TTL, class: 'IN', data: text });
    }
  }
  return answered(0, answers);
}

function instancesAnswer(
  q: Question,
  instances: DnsInstance[] | undefined,
  dc: string,
  options: AnswerOptions,
): Result {
  if (!instances || instances.length === 0) return answered(RCODE.NXDOMAIN);
  return serviceAnswer(q, instances, dc, options);
}

function resolve(q: Question, options: AnswerOptions): MaybePromise<Result> | 'refused' {
  const lookup = parseQueryName(q.name, options.domain);
  const { view } = options;
  switch (lookup.kind) {
    case 'foreign':
      return 'refused';
    case 'invalid':
      return answered(RCODE.NXDOMAIN);
    case 'apex':
      return answered(0, q.type === 'SOA' ? [soa(options)] : []);
    case 'service':
    case 'node':
    case 'addr':
      break;
  }
  if (lookup.dc !== undefined && lookup.dc !== view.datacenter.toLowerCase()) {
    return answered(RCODE.NXDOMAIN);
  }
  const dc = view.datacenter;
  switch (lookup.kind) {
    // A synchronous lookup is answered at once, without a closure or a promise (the hot path).
    case 'service': {
      const instances = view.serviceInstances(lookup.service, lookup.tag);
      if (!isPromiseLike(instances)) return instancesAnswer(q, instances, dc, options);
      return Promise.resolve(instances).then((list) => instancesAnswer(q, list, dc, options));
    }
    case 'node': {
      const node = view.node(lookup.node);
      if (!isPromiseLike(node)) return nodeAnswer(q, node);
      return Promise.resolve(node).then((found) => nodeAnswer(q, found));
    }
    case 'addr': {
      const ip = ipFromHex(lookup.hex);
      if (ip === undefined) return answered(RCODE.NXDOMAIN);
      const record = addressRecord(q.name, ip, q.type);
      return answered(0, record ? [record] : []);
    }
  }
}

/** errorResponse answers a query that could not be served with just a response code. */
export function errorResponse(id: number, rcode: number, questions: Question[] = []): Packet {
  return {
    type: 'response',
    id,
    flags: rcode,
    questions,
    answers: [],
    authorities: [],
    additionals: [],
  };
}

/**
 * answerQuery builds the response packet to a decoded query: the packet itself when the view
 * answered synchronously (or no lookup was needed), else a promise of it that rejects when the
 * lookup does. The server bounds the wait (see dns-server.ts).
 */
export function answerQuery(query: DecodedPacket, options: AnswerOptions): MaybePromise<Packet> {
  const id = query.id ?? 0;
  const questions = query.questions ?? [];
  const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  if (query.type === 'response') return errorResponse(id, RCODE.FORMERR | rd, questions);
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  if (opcode !== 0) return errorResponse(id, RCODE.NOTIMP | rd, questions);
  if (questions.length !== 1) return errorResponse(id, RCODE.FORMERR | rd, questions);
  const result = resolve(questions[0], options);
  if (result === 'refused') return errorResponse(id, RCODE.REFUSED | rd, questions);
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then((r) => response(id, rd, questions, r, options));
  }
  return response(id, rd, questions, result, options);
}

function response(
  id: number,
  rd: number,
  questions: Question[],
  result: Result,
  options: AnswerOptions,
): Packet {
  let flags = dnsPacket.AUTHORITATIVE_ANSWER | rd | result.rcode;
  if (result.truncated && options.enableTruncate) flags |= dnsPacket.TRUNCATED_RESPONSE;
  // NXDOMAIN and empty answers carry the SOA in AUTHORITY (negative caching, RFC 2308).
  const authorities = result.answers.length === 0 ? [soa(options)] : [];
  return {
    type: 'response',
    id,
    flags,
    questions,
    answers: result.answers,
    authorities,
    additionals: result.additionals,
  };
}
