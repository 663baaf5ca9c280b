"""Podcasts and enclosures (issue 18): safe file names, downloads, the queue, the player.

Core: no Textual, no Rich. `naming.py` (file names and the download folder),
`download.py` (one file over the feeds' fetch stack, resumable), `queue.py` (the jobs:
pause, resume, cancel, retry, the parallel limit, the library's records), `player.py`
(the configured player, argv only).
"""
