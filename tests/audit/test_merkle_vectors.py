"""`merkle_root` against the RFC 6962 (Certificate Transparency) test vectors, so that a root we sign can be checked
by any RFC 6962 implementation (a witness, an outside office's tool) and not only by our own code.

The vectors are the Go reference data of the transparency-dev Merkle library, formerly in Trillian:
- https://github.com/transparency-dev/merkle/blob/main/testonly/constants.go (`LeafInputs`, `NodeHashes`,
  `RootHashes`, `EmptyRootHash`); the same data as google/trillian `merkle/testonly/constants.go`;
- https://github.com/google/trillian/blob/master/merkle/rfc6962/rfc6962_test.go (`TestRFC6962Hasher`: the empty
  tree, the empty leaf and the leaf "L123456").

`merkle_root` takes each leaf as hex text and hashes its bytes (`bytes.fromhex`), so the leaf inputs go in as they
are written in the Go source."""

import hashlib

import pytest

from inminban.audit.chain import merkle_root

# LeafInputs(): the leaves of the 8-leaf test tree, as hex.
LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]

# RootHashes(): the root of the tree of the first n leaves, for n = 0 … 8.
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# NodeHashes(): every complete subtree of the 8-leaf tree, by level (0: the leaves) and index within the level.
NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]


def test_the_empty_tree_is_the_hash_of_nothing():
    assert merkle_root([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()


def test_a_one_leaf_tree_is_its_leaf_hash_with_the_0x00_prefix():
    # TestRFC6962Hasher: "RFC6962 Empty Leaf" and "RFC6962 Leaf" ("L123456" is 4c313233343536).
    assert merkle_root([""]) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle_root(["4c313233343536"]) == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_of_the_first_leaves_matches_the_vector(size):
    """Sizes 3, 5, 6 and 7 are not powers of two: they check the split at the largest power of two below n."""
    assert merkle_root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(
    ("level", "index"), [(level, index) for level, row in enumerate(NODES) for index in range(len(row))]
)
def test_every_complete_subtree_matches_the_vector(level, index):
    width = 2**level
    assert merkle_root(LEAVES[index * width : (index + 1) * width]) == NODES[level][index]


def test_order_of_the_leaves_matters():
    assert merkle_root(LEAVES[:2]) != merkle_root(LEAVES[1::-1])
