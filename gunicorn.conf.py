"""gunicorn's settings for this project, read from the working directory (`make run`, the
load test `bench/load_fault.py`). Options given on the command line win over these.

Workers: gunicorn's own advice, two per core and one more (`WEB_CONCURRENCY` sets another
number). A sync worker serves one request at a time, and an export of a whole list holds one
for seconds at 100,000 cases, as a save does for a moment: with one worker per core, every
reader who asked for a page in the meantime waited behind it. The README ("Load and fault
test") has the measurements, and the price in requests per second when the server is
saturated.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
timeout = 120
