"""``python -m babelcast_client`` is the ``babelcast`` command."""

import sys

from babelcast_client.cli import main

sys.exit(main())
