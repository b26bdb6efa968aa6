"""The `wangge` command line: `wangge GROUP VERB ...` runs the management command GROUP_VERB.

wangge demo load            wangge scene apply rural-town
wangge grids import FILE    wangge grids export CODE FILE    wangge grids locate LON LAT
wangge run                  wangge manage <any Django command>
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        if not argv:
            sys.exit(2)
        return
    if argv[0] == "manage":
        execute_from_command_line(["wangge manage", *argv[1:]])
        return
    if argv[0] == "run":
        execute_from_command_line(["wangge", "runserver", *argv[1:]])
        return
    if argv[0] == "worker":
        execute_from_command_line(["wangge", "worker", *argv[1:]])
        return
    if len(argv) < 2 or argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    command = f"{argv[0]}_{argv[1]}".replace("-", "_")
    execute_from_command_line([f"wangge {argv[0]} {argv[1]}", command, *argv[2:]])
