import sys

from portraitseg.cli import main

sys.exit(main())
