"""The project's own test and benchmark material.

* `feedcorpus`: a deterministic generator of feed corpora (RSS 2.0, Atom 1.0, JSON Feed).
* `feedserver`: a loopback HTTP server for such a corpus (validators, gzip, bad feeds).
* `hugefeed`: the large hostile feed (v07), written on demand instead of checked in.
* `paths`: where the hostile cases live (`tests/data/hostile`) and how to run the tools.

Everything here is standard library only, so `benchmarks/` can run the modules as scripts
with any Python 3.11. See `docs/testing.md`.
"""
