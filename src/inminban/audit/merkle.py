"""RFC 6962 (RFC 9162 §2.1) Merkle tree hashes and consistency proofs over the audit log. Pure functions.

A leaf is an entry's chain hash (32 bytes); its leaf hash is SHA-256(0x00 ‖ leaf), an inner node SHA-256(0x01 ‖
left ‖ right), and a tree of n leaves splits at the largest power of two smaller than n."""

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The roots of the perfect subtrees a tree's leaves decompose into, biggest first: enough to know the tree's
    root at its current size in O(log n) memory, while the leaves stream past in order."""

    def __init__(self):
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (leaves in the subtree, its root)

    def append(self, leaf: bytes) -> None:
        self.size += 1
        self._stack.append((1, leaf_hash(leaf)))
        while len(self._stack) > 1 and self._stack[-1][0] == self._stack[-2][0]:
            (count, right), (_, left) = self._stack.pop(), self._stack.pop()
            self._stack.append((count * 2, node_hash(left, right)))

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root


def tree_root(leaves: Iterable[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    return tree_root(leaves[start:end])


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2: the nodes that show the tree of the first m leaves is a prefix of the
    tree of the first n."""
    if not 0 < old_size <= new_size <= len(leaves):
        raise ValueError(f"a consistency proof needs 0 < old ≤ new ≤ {len(leaves)}, not {old_size} and {new_size}")

    def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [_subtree_root(leaves, start, end)]
        k = _split(n)
        if m <= k:
            return subproof(m, start, start + k, whole) + [_subtree_root(leaves, start + k, end)]
        return subproof(m - k, start + k, end, False) + [_subtree_root(leaves, start, start + k)]

    return subproof(old_size, 0, new_size, True)


def consistency_holds(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Verify a consistency proof (RFC 9162 §2.1.4.2)."""
    if old_size < 1 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
