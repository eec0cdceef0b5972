"""raftviz: see Raft work, the way etcd does it."""

import time

IMPORTED_AT = time.perf_counter()
"""When the package was first imported: the start of `raftviz bench ui`'s first-frame clock,
so the figure includes loading Textual, Rich and Trio, as a user waits for them too."""
