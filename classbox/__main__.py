"""python -m classbox: the same as the `classbox` command."""

from classbox.cli import main

main()
