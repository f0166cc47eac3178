"""`python -m pipeline` runs the yuqing command line."""

from pipeline.cli import main

main()
