import sys

from cargobay.cli import main

sys.exit(main())
