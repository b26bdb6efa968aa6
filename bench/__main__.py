import importlib
import sys

BENCHES = [
    "locate", "scoped_list", "import_persons", "registry", "intake", "sweep", "due_visits", "address_match",
    "tree_import", "pages", "exports", "pages_scale", "emergency", "dashboard", "points", "city", "workers",
]  # fmt: skip


def main() -> None:
    names = sys.argv[1:] or BENCHES
    for name in names:
        if name not in BENCHES:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHES)}")
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        importlib.import_module(f"bench.{name}").main()


main()
