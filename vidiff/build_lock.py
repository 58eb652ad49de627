"""One process-wide lock for the steps that change torch's global state while they run.

diffusers' `from_pretrained` builds models on the meta device by patching `torch.nn.Module` for the whole
process (accelerate's `init_empty_weights`), and `torch.export` keeps global state while it traces: a
network built in another thread meanwhile came out with meta tensors ("Cannot copy out of meta tensor"),
and two exports at once broke each other. Threads of one process do run models side by side (the web app's
jobs, an API caller's threads), so building a model, loading weights into it and exporting it to ONNX take
this lock; running a built model does not.
"""

from __future__ import annotations

import threading

BUILD_LOCK = threading.RLock()
