"""``python -m torchscope``: the command line (see :mod:`torchscope.cli`)."""

import sys

from torchscope.cli import main

sys.exit(main())
