"""Batch scoring of news feeds and document collections (``gravewatch score``).

- ``sources``: read JSONL, CSV, RSS/Atom, HTML, text files, directories, URLs and stdin as
  documents, in a fixed order, with rejected records kept apart;
- ``fetch``: HTTP with timeouts, a size limit, retries and an on-disk copy for resumed runs;
- ``dedup``: exact and near-duplicate detection (content hash, MinHash with LSH bands);
- ``journal``: the checkpoint that makes a job resumable and exactly-once;
- ``engines``: where batches are scored (this process, a process pool, a Dask cluster);
- ``output``: JSONL and CSV writers;
- ``job``: the run itself, and its summary.
"""
