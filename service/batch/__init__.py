"""Batch scoring of news feeds and document collections (``gravewatch score``).

- ``sources``: read JSONL, CSV, RSS/Atom, HTML, text files, directories, URLs and stdin as
  documents, in a fixed order, with rejected records kept apart;
- ``markup``: the text of feed entries' HTML, and a page's publication date from its markup;
- ``dates``: publication dates as ISO 8601, never guessing a numeric day and month order;
- ``fetch``: HTTP with a whole-download timeout, a size limit, retries and an on-disk copy;
- ``snapshot``: a content hash per input, so that a changed source is refused;
- ``lock``: one job at a time per output;
- ``dedup``: exact and near-duplicate detection (content hash, MinHash with LSH bands);
- ``journal``: the checkpoint that makes a job resumable and exactly-once;
- ``engines``: where batches are scored (this process, a process pool, a Dask cluster);
- ``output``: JSONL and CSV writers;
- ``job``: the run itself, and its summary.
"""
