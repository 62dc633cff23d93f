"""``python -m notifpolicy`` runs the command line."""

import sys

from notifpolicy.cli import main

if __name__ == "__main__":
    sys.exit(main())
