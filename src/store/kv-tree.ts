/**
 * The KV table's in-memory index: a compressed radix tree over key code units.
 *
 * Each node carries the entry stored at its path (if any), a tombstone index (if the key was
 * deleted and not yet reaped), the number of live entries below it and the highest index ever
 * written below it. Point reads, prefix scans, `keys`+`separator` and the prefix index are all
 * O(key length) to reach the covering node, never a scan of the whole table.
 */

/** ZERO_FLAGS is the shared flags value of most entries (saves one BigInt per entry). */
export const ZERO_FLAGS = 0n;

/** TreeNode is one node of {@link KvTree}; entry fields are inline to save an object per key. */
export class TreeNode {
  /** The edge label from the parent (the whole path is the concatenation of labels). */
  label: string;
  /** Children sorted by the first code unit of their label; null when a leaf. */
  children: TreeNode[] | null = null;
  /** Highest index ever written at or below this node; never decreases while the node lives. */
  maxIndex = 0;
  /** Live entries at or below this node. */
  live = 0;
  /** CreateIndex of the live entry here; 0 when there is none. */
  createIndex = 0;
  modifyIndex = 0;
  lockIndex = 0;
  /** Value bytes as a latin1 string (one byte per code unit); null for an empty value. */
  value: string | null = null;
  flags: bigint = ZERO_FLAGS;
  session: string | undefined = undefined;
  /** Index of the delete that left a tombstone here; 0 when there is none. */
  tomb = 0;

  constructor(label: string) {
    this.label = label;
  }

  /** hasEntry tells whether a live entry is stored at this node. */
  get hasEntry(): boolean {
    return this.createIndex > 0;
  }
}

/** EntryFields are the stored fields of one live entry. */
export interface EntryFields {
  createIndex: number;
  modifyIndex: number;
  lockIndex: number;
  value: string | null;
  flags: bigint;
  session: string | undefined;
}

/** Covering is the node whose subtree holds exactly the keys that start with a prefix. */
export interface Covering {
  readonly node: TreeNode;
  /** The full key path of `node`. */
  readonly path: string;
}

function childIndex(children: TreeNode[], code: number): number {
  let lo = 0;
  let hi = children.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = children[mid].label.charCodeAt(0);
    if (c === code) return mid;
    if (c < code) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1);
}

function insertChild(parent: TreeNode, child: TreeNode): void {
  const children = (parent.children ??= []);
  const at = childIndex(children, child.label.charCodeAt(0));
  if (at >= 0) throw new Error(`kv-tree: duplicate child edge ${JSON.stringify(child.label)}`);
  children.splice(-(at + 1), 0, child);
}

function commonPrefixLength(a: string, aFrom: number, b: string): number {
  const n = Math.min(a.length - aFrom, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(aFrom + i) === b.charCodeAt(i)) i++;
  return i;
}

/** KvTree is the radix tree of the KV table; the state machine is its only writer. */
export class KvTree {
  readonly root = new TreeNode('');

  /** get returns the node stored exactly at key, if any (it may hold only a tombstone). */
  get(key: string): TreeNode | undefined {
    let node = this.root;
    let pos = 0;
    while (pos < key.length) {
      const children = node.children;
      if (children === null) return undefined;
      const at = childIndex(children, key.charCodeAt(pos));
      if (at < 0) return undefined;
      const child = children[at];
      if (!key.startsWith(child.label, pos)) return undefined;
      pos += child.label.length;
      node = child;
    }
    return node;
  }

  /** cover returns the node covering prefix (all keys starting with it), if any key or tombstone matches. */
  cover(prefix: string): Covering | undefined {
    let node = this.root;
    let pos = 0;
    while (pos < prefix.length) {
      const children = node.children;
      if (children === null) return undefined;
      const at = childIndex(children, prefix.charCodeAt(pos));
      if (at < 0) return undefined;
      const child = children[at];
      const common = commonPrefixLength(prefix, pos, child.label);
      if (pos + common === prefix.length) {
        return { node: child, path: prefix.slice(0, pos) + child.label };
      }
      if (common < child.label.length) return undefined;
      pos += child.label.length;
      node = child;
    }
    return { node, path: prefix };
  }

  /**
   * upsert returns the node at key, creating (and splitting) nodes as needed; `path` receives the
   * nodes from the root to it, for {@link touch}, live counting and {@link prune}.
   */
  upsert(key: string, path: TreeNode[]): TreeNode {
    let node = this.root;
    path.push(node);
    let pos = 0;
    while (pos < key.length) {
      const children = node.children;
      const at = children === null ? -1 : childIndex(children, key.charCodeAt(pos));
      if (at < 0) {
        const leaf = new TreeNode(key.slice(pos));
        insertChild(node, leaf);
        path.push(leaf);
        return leaf;
      }
      const child = children![at];
      const common = commonPrefixLength(key, pos, child.label);
      if (common < child.label.length) {
        // Split the edge: a new middle node covers exactly the keys the old child covered.
        const mid = new TreeNode(child.label.slice(0, common));
        mid.maxIndex = child.maxIndex;
        mid.live = child.live;
        child.label = child.label.slice(common);
        mid.children = [child];
        children![at] = mid;
        pos += common;
        path.push(mid);
        if (pos === key.length) return mid;
        const leaf = new TreeNode(key.slice(pos));
        insertChild(mid, leaf);
        path.push(leaf);
        return leaf;
      }
      pos += common;
      node = child;
      path.push(node);
    }
    return node;
  }

  /** pathTo returns the nodes from the root to the node at key, or undefined when absent. */
  pathTo(key: string): TreeNode[] | undefined {
    const path: TreeNode[] = [this.root];
    let node = this.root;
    let pos = 0;
    while (pos < key.length) {
      const children = node.children;
      if (children === null) return undefined;
      const at = childIndex(children, key.charCodeAt(pos));
      if (at < 0) return undefined;
      const child = children[at];
      if (!key.startsWith(child.label, pos)) return undefined;
      pos += child.label.length;
      node = child;
      path.push(node);
    }
    return path;
  }

  /**
   * prune removes the last node of path when it holds nothing (no entry, tombstone or children)
   * and merges single-child nodes into their child, walking up. A merged node keeps the larger
   * maxIndex, so a prefix that still has matches never answers a smaller index than before.
   */
  prune(path: TreeNode[]): void {
    for (let i = path.length - 1; i > 0; i--) {
      const node = path[i];
      const parent = path[i - 1];
      if (node.hasEntry || node.tomb > 0) return;
      const children = node.children;
      if (children === null || children.length === 0) {
        const siblings = parent.children!;
        const at = childIndex(siblings, node.label.charCodeAt(0));
        siblings.splice(at, 1);
        if (siblings.length === 0) parent.children = null;
        continue;
      }
      if (children.length === 1) {
        const child = children[0];
        child.label = node.label + child.label;
        if (node.maxIndex > child.maxIndex) child.maxIndex = node.maxIndex;
        const siblings = parent.children!;
        siblings[childIndex(siblings, child.label.charCodeAt(0))] = child;
      }
      return;
    }
  }

  /**
   * walk visits the nodes below (and including) start in key order with their full paths;
   * returning false from visit skips that node's children.
   */
  walk(start: TreeNode, startPath: string, visit: (node: TreeNode, path: string) => boolean): void {
    const nodes: TreeNode[] = [start];
    const paths: string[] = [startPath];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const path = paths.pop()!;
      if (!visit(node, path)) continue;
      const children = node.children;
      if (children === null) continue;
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i];
        nodes.push(child);
        paths.push(path + child.label);
      }
    }
  }
}
