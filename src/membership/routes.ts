/**
 * The membership endpoints of the cluster ports. Every agent's serf LAN port answers probes and
 * join requests; a server's RPC port also serves the member table (a blocking query) and leave and
 * force-leave requests of its clients, beside the whole HTTP API it serves there for forwarding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import type { AgentMembership, RouteAnswer } from './agent-membership.js';
import type { MembershipServer } from './server.js';
import { forceLeavePath, joinPath, leavePath, membersPath, pingPath } from './types.js';

/** Join and leave requests are small: a member record. */
const MAX_BODY = 64 * 1024;
/** The longest a member-table query may block, as Consul's max_query_time. */
const MAX_WAIT_MS = 600_000;

function send(res: ServerResponse, answer: RouteAnswer): void {
  const type = answer.json ? 'application/json' : 'text/plain; charset=utf-8';
  res.writeHead(answer.status, [
    'Content-Type',
    type,
    'Content-Length',
    String(Buffer.byteLength(answer.body)),
  ]);
  res.end(answer.body);
}

/** readBody reads a request body of at most MAX_BODY bytes; undefined (answered 413) if larger. */
async function readBody(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) {
      send(res, { status: 413, body: `request body over ${MAX_BODY} bytes` });
      req.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function notFound(res: ServerResponse): void {
  send(res, { status: 404, body: '404 page not found\n' });
}

/** serfPortHandler serves an agent's serf LAN port: `GET` ping, `POST` join. */
export function serfPortHandler(
  agent: AgentMembership,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === pingPath && req.method === 'GET') {
      send(res, {
        status: 200,
        body: JSON.stringify({ Node: agent.self.name, ID: agent.self.id }),
        json: true,
      });
      return;
    }
    if (path === joinPath && req.method === 'POST') {
      void (async () => {
        const body = await readBody(req, res);
        if (body === undefined) return;
        send(res, await agent.handleJoin(body));
      })().catch((err: unknown) => {
        if (!res.headersSent) send(res, { status: 500, body: errorMessage(err) });
        else res.destroy();
      });
      return;
    }
    notFound(res);
  };
}

/**
 * rpcMembershipRoutes serves the membership paths of a server's RPC port; it returns false for
 * any other path (the HTTP API answers those).
 */
export function rpcMembershipRoutes(
  agent: AgentMembership,
  server: MembershipServer,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const answer = (res: ServerResponse, work: () => Promise<RouteAnswer>) => {
    work().then(
      (a) => send(res, a),
      (err: unknown) => send(res, { status: 500, body: errorMessage(err) }),
    );
  };
  return (req, res) => {
    // The hot path: a forwarded API request is not a membership one; no URL parsing for it.
    if (!(req.url ?? '').startsWith('/v1/internal/')) return false;
    const url = new URL(req.url ?? '/', 'http://cluster');
    const path = url.pathname;
    if (path === joinPath && req.method === 'POST') {
      answer(res, async () => {
        const body = await readBody(req, res);
        return body === undefined ? { status: 413, body: '' } : agent.handleJoin(body);
      });
      return true;
    }
    if (path === membersPath && req.method === 'GET') {
      answer(res, () => membersQuery(server, url, res));
      return true;
    }
    if (path.startsWith(leavePath) && req.method === 'PUT') {
      const node = decodeURIComponent(path.slice(leavePath.length));
      answer(res, async () => {
        await server.leave(node);
        return { status: 200, body: '' };
      });
      return true;
    }
    if (path.startsWith(forceLeavePath) && req.method === 'PUT') {
      const node = decodeURIComponent(path.slice(forceLeavePath.length));
      answer(res, async () => {
        await server.forceLeave(node, url.searchParams.has('prune'));
        return { status: 200, body: '' };
      });
      return true;
    }
    return false;
  };
}

/** membersQuery answers the member table, blocking while `index` is current (up to `wait`). */
async function membersQuery(
  server: MembershipServer,
  url: URL,
  res: ServerResponse,
): Promise<RouteAnswer> {
  const index = Number(url.searchParams.get('index') ?? 0);
  const waitText = url.searchParams.get('wait') ?? '300s';
  const waitS = Number(/^(\d+)s$/.exec(waitText)?.[1] ?? 300);
  if (Number.isFinite(index) && index > 0 && index >= server.membersIndex) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), Math.min(waitS * 1000, MAX_WAIT_MS));
    const gone = () => stop.abort();
    res.once('close', gone);
    try {
      await server.waitForMembers(stop.signal);
    } catch {
      // Timed out, or the client went away: answer with the current table either way.
    } finally {
      clearTimeout(timer);
      res.off('close', gone);
    }
  }
  return {
    status: 200,
    body: JSON.stringify({ Index: server.membersIndex, Members: server.members() }),
    json: true,
  };
}
