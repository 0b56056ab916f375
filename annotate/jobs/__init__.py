"""Long work as jobs on a queue: browser proxies, overlay videos, clips and reels.

The web server and the CLI *submit* a job (:func:`annotate.jobs.queue.submit`): a row
in the store's ``jobs`` table (what to make, its output file) and the job's id on a
Huey queue. Workers (``annotate worker``, or the consumer ``annotate serve`` starts)
take ids off the queue and run them (:mod:`.kinds` says how each kind is made),
beating a heartbeat into the row; a job whose worker dies is queued again. The queue
is a SQLite file in the data directory by default, or Redis (``ANNOTATE_QUEUE``), so
workers on other machines that see the same data directory and database share the work.
"""
