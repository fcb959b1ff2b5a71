"""`ioc province init <code|name>` (a province's configuration folder) and `ioc province list`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contract.settings import PROJECT_ROOT, config_path, installation_root

TEMPLATE = Path("config") / "agency-template.csv"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="action")
    init = sub.add_parser(
        "init", help="write a province's folder: province.toml, communes.csv, agencies.csv, organs.csv"
    )
    init.add_argument("province", help="its code (12) or name (Lai Châu, lai-chau, Ha Noi...)")
    init.add_argument("--out", type=Path, help="the folder (default: config/provinces/<name>)")
    init.add_argument("--agencies", type=Path, help="agency template (default: config/agency-template.csv)")
    init.add_argument("--force", action="store_true", help="replace the files if they exist")
    sub.add_parser("list", help="the 34 provinces: code, name, communes and wards")


def organs_of(folder: Path) -> str:
    """The adapters' organs.csv for a written folder: generated names, no guessed organ codes."""
    from connectors.adapters.organs import default_organs
    from contract.units import load_units

    problems: list[str] = []
    units = load_units(folder, problems)
    if units is None or problems:
        raise ValueError("; ".join(problems) or f"{folder}: no units")
    return default_organs(folder, units)


def main(config: None, args: argparse.Namespace) -> int:
    """Needs no valid configuration (it writes one): only where the installation's config/ is."""
    from provinces.divisions import SOURCE, find_province, provinces
    from provinces.folder import province_files, read_agency_template, write_folder

    if args.action == "list":
        for p in provinces():
            print(f"{p.code}  {p.name_vi:<16} {len(p.communes):>4}  {p.slug}")
        print(f"{len(provinces())} provinces, {sum(len(p.communes) for p in provinces()):,} units ({SOURCE})")
        return 0
    path = config_path(args.config)
    root = installation_root(path)
    try:
        province = find_province(args.province)
        own = root / TEMPLATE
        template = read_agency_template(args.agencies or (own if own.exists() else PROJECT_ROOT / TEMPLATE))
        out = args.out or root / "config" / "provinces" / province.slug
        if (out / "organs.csv").exists() and not args.force:
            raise FileExistsError(f"{out / 'organs.csv'} exists: --force replaces it")
        written = write_folder(out, province_files(province, template), args.force)
        written += write_folder(out, {"organs.csv": organs_of(out)}, force=True)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{province.official} ({province.code}): {len(province.communes)} communes and wards, "
        f"{len(template)} agencies from the template -> {', '.join(map(str, written))}"
    )
    if out.parent.resolve() == (root / "config" / "provinces").resolve():
        print(f'To run it: province = "{out.name}" in {path}')
    else:
        print(
            f'To run it: put the folder under {root / "config" / "provinces"} and set province = "{out.name}"'
        )
    return 0
