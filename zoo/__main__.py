"""``python -m zoo`` (what ``torchrun -m zoo`` runs)."""

import sys

from .cli import main

sys.exit(main())
