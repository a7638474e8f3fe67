"""``python -m streaming.cli``: the ``callheat`` console script (``callheat run`` starts its
children this way)."""

import sys

from streaming.cli import main

sys.exit(main())
