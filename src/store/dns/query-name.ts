/**
 * Parses Consul DNS names: `[<tag>.]<service>.service[.<dc>].<domain>`, RFC 2782
 * `_<service>._<tag|tcp>[.service][.<dc>].<domain>`, `<node>.node[.<dc>].<domain>` and
 * `<hex-ip>.addr[.<dc>].<domain>`.
 */

/** DnsLookup is what a query name asks for. */
export type DnsLookup =
  | { kind: 'service'; service: string; tag: string | undefined; dc: string | undefined }
  | { kind: 'node'; node: string; dc: string | undefined }
  | { kind: 'addr'; hex: string; dc: string | undefined }
  /** The domain itself (SOA/NS questions). */
  | { kind: 'apex' }
  /** Inside the domain but not a valid lookup: answered NXDOMAIN. */
  | { kind: 'invalid' }
  /** Outside the domain: not ours (REFUSED without recursors). */
  | { kind: 'foreign' };

const TYPES = new Set(['service', 'node', 'addr']);

/** parseQueryName parses a question name against domain (e.g. `consul`), case-insensitively. */
export function parseQueryName(name: string, domain: string): DnsLookup {
  const full = name.replace(/\.$/, '').toLowerCase();
  const dom = domain.replace(/\.$/, '').toLowerCase();
  if (full === dom) return { kind: 'apex' };
  if (!full.endsWith(`.${dom}`)) return { kind: 'foreign' };
  const labels = full.slice(0, -(dom.length + 1)).split('.');
  if (labels.some((l) => l === '')) return { kind: 'invalid' };

  // RFC 2782: _service._tag[.service][.dc]; `_tcp` means no tag filter.
  if (labels.length >= 2 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
    const rest = labels.slice(2);
    if (rest[0] === 'service') rest.shift();
    if (rest.length > 1) return { kind: 'invalid' };
    const tag = labels[1].slice(1);
    return {
      kind: 'service',
      service: labels[0].slice(1),
      tag: tag === 'tcp' ? undefined : tag,
      dc: rest[0],
    };
  }

  let typeAt = -1;
  let dc: string | undefined;
  const n = labels.length;
  if (TYPES.has(labels[n - 1])) typeAt = n - 1;
  else if (n >= 2 && TYPES.has(labels[n - 2])) {
    typeAt = n - 2;
    dc = labels[n - 1];
  }
  if (typeAt < 1) return { kind: 'invalid' };
  const head = labels.slice(0, typeAt);
  switch (labels[typeAt]) {
    case 'service':
      if (head.length === 1) return { kind: 'service', service: head[0], tag: undefined, dc };
      if (head.length === 2) return { kind: 'service', service: head[1], tag: head[0], dc };
      return { kind: 'invalid' };
    case 'node':
      // Node names may contain dots (Consul joins the labels back).
      return { kind: 'node', node: head.join('.'), dc };
    default:
      return head.length === 1 ? { kind: 'addr', hex: head[0], dc } : { kind: 'invalid' };
  }
}
