"""`studyapp`: start the app, validate the bank, export it, regenerate its JSON Schema."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from studyapp.app.hostguard import SHARE_FLAG

APP_SCRIPT = Path(__file__).resolve().parent / "app" / "serve.py"  # main.py behind the host guard
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "questions" / "schema.json"


def server_address(streamlit_args: list[str]) -> str:
    """The address Streamlit will bind to: `--server.address`, else its environment variable,
    else the app's config.toml (127.0.0.1)."""
    address = os.environ.get("STREAMLIT_SERVER_ADDRESS", "127.0.0.1")
    for i, arg in enumerate(streamlit_args):
        if arg == "--server.address" and i + 1 < len(streamlit_args):
            address = streamlit_args[i + 1]
        elif arg.startswith("--server.address="):
            address = arg.partition("=")[2]
    return address


def run_app(
    streamlit_args: list[str],
    bank: str | None,
    db: str | None = None,
    *,
    allow_hosts: list[str] | None = None,
    share: bool = False,
    corpus: list[str] | None = None,
) -> int:
    """Start Streamlit on the entry script; its own flags (--server.port ...) pass through.

    The app has no login: refuse to listen beyond this machine unless the user says so.
    `corpus` files join the demo models' training text (read and checked here, before the
    server starts, so a wrong file is told at once)."""
    from studyapp.app.hostguard import ALLOWED_HOSTS_ENV, SHARE_ENV, exposure_refusal
    from studyapp.progress.store import DB_ENV

    if why := exposure_refusal(server_address(streamlit_args), share):
        print(f"studyapp: {why}", file=sys.stderr)
        return 2
    if corpus:
        from minimodels.corpus import CORPUS_ENV, CorpusFileError, file_documents

        try:
            for path in corpus:
                file_documents(path)
        except CorpusFileError as error:
            print(f"studyapp: {error}", file=sys.stderr)
            return 2
        os.environ[CORPUS_ENV] = os.pathsep.join(str(Path(p).resolve()) for p in corpus)
    from streamlit import net_util
    from streamlit.web import cli as stcli

    # Streamlit asks checkip.amazonaws.com for an "External URL" when listening on every
    # interface; an empty cached answer skips the request (the app makes no third-party ones).
    net_util._external_ip = ""
    if allow_hosts:
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(allow_hosts)
    if share:
        os.environ[SHARE_ENV] = "1"
    if bank:
        os.environ["STUDYAPP_BANK"] = str(Path(bank).resolve())
    if db:
        os.environ[DB_ENV] = str(Path(db).expanduser().resolve())
    sys.argv = ["streamlit", "run", str(APP_SCRIPT), *streamlit_args]
    return stcli.main()


def validate(paths: list[str], show_rules: bool) -> int:
    from studyapp.bank.load import default_bank_dir, registered_demos
    from studyapp.bank.validate import RULES, question_files, validate_files

    if show_rules:
        for rule, text in RULES.items():
            print(f"{rule}  {text}")
        return 0
    targets = [Path(p) for p in paths] or [default_bank_dir()]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        print(f"studyapp validate: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    cwd = Path.cwd()
    report = validate_files(question_files(targets), registered_demos(), root=cwd)
    for problem in report.problems:
        print(problem)
    broken = len(report.broken_files)
    print(
        f"{report.files_checked} files checked, {len(report.questions)} valid, "
        f"{len(report.problems)} problems in {broken} files",
        file=sys.stderr,
    )
    return 1 if report.problems else 0


def export_bank(fmt: str, bank: str | None) -> int:
    from studyapp.bank.load import default_bank_dir, export_records, load_bank

    report = load_bank(bank or default_bank_dir())
    for problem in report.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    json.dump(export_records(report), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def export_deck(out: str | None, language: str, bank: str | None) -> int:
    """The bank as an Anki deck in `out` (see `studyapp.bank.anki`), units named as the app does."""
    from studyapp.app.widgets import unit_label
    from studyapp.bank.anki import export_apkg
    from studyapp.bank.load import default_bank_dir

    root = Path(bank) if bank else default_bank_dir()
    if not out or not root.is_dir():
        why = "--format apkg needs -o FILE" if not out else f"no such folder: {root}"
        print(f"studyapp bank export: {why}", file=sys.stderr)
        return 2
    try:
        report = export_apkg(root, out, language, unit_label)
    except OSError as err:
        print(f"studyapp bank export: cannot write {out}: {err}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    print(f"wrote {len(report.questions)} notes to {out}", file=sys.stderr)
    return 0


def similar_questions(bank: str | None, threshold: float | None, check: bool) -> int:
    """Print the pairs of questions at least `threshold` alike in meaning (score, both files);
    with `check`, exit 1 if a pair is not declared with `deepens` or a `deepens` id is unknown."""
    from studyapp import semantic
    from studyapp.bank.load import default_bank_dir, load_bank

    if not semantic.available():
        print(
            "studyapp bank similar: needs the optional extra: pip install 'studyapp[real]'",
            file=sys.stderr,
        )
        return 2
    threshold = semantic.DUPLICATE_THRESHOLD if threshold is None else threshold
    report = load_bank(bank or default_bank_dir())
    questions = report.questions
    texts = semantic.question_texts(questions, with_answer=True)
    print(
        f"comparing {len(texts)} questions (embeddings cached in {semantic.cache_dir()})",
        file=sys.stderr,
    )
    pairs = semantic.Embeddings.of(texts).similar_pairs(threshold)
    deepens = {qid: q.deepens for qid, q in questions.items()}
    cwd = Path.cwd()
    paths = {
        qid: path.resolve().relative_to(cwd) if path.resolve().is_relative_to(cwd) else path
        for qid, path in report.paths.items()
    }
    accepted = set(pairs) - set(semantic.undeclared(pairs, deepens))
    for a, b, score in pairs:
        note = "  (declared: deepens)" if (a, b, score) in accepted else ""
        print(f"{score:.3f}  {paths[a]}  {paths[b]}{note}")
    if not check:
        return 0
    # A `deepens` id that is not another question is the validator's rule B003; such a file is
    # left out of the bank, so the check repeats the validator's finding rather than pass.
    wrong_deepens = [p for p in report.problems if p.rule == "B003"]
    for problem in wrong_deepens:
        print(problem, file=sys.stderr)
    failed = len(wrong_deepens)
    for a, b, score in semantic.undeclared(pairs, deepens):
        failed += 1
        print(
            f"{paths[a]} and {paths[b]} are {score:.3f} alike (threshold "
            f"{threshold}): merge them, or add `deepens: [{a}]` to {paths[b]} if it "
            "deliberately goes deeper (or the other way round)",
            file=sys.stderr,
        )
    return 1 if failed else 0


def bank_sizes(bank: str | None) -> int:
    from studyapp.bank.load import default_bank_dir, load_bank, size_table

    print(size_table(load_bank(bank or default_bank_dir()).questions))
    return 0


def demo_catalogue() -> int:
    from collections import Counter

    from studyapp.bank.load import default_bank_dir, load_bank
    from studyapp.demos import catalogue

    questions = load_bank(default_bank_dir()).questions.values()
    print(catalogue(Counter(q.demo for q in questions if q.demo)))
    return 0


def demo_command(action: str, demo_id: str | None, params: list[str]) -> int:
    """List the demos, or run one headless and print its parts; exit 1 if a check fails."""
    from studyapp.demos import REGISTRY, DemoParamError, run_demo

    if action == "list":
        for demo in REGISTRY.values():
            print(f"{demo.id:20s} {demo.title['en']}")
        return 0
    if demo_id not in REGISTRY:
        print(f"studyapp demo: no demo {demo_id!r}; see `studyapp demo list`", file=sys.stderr)
        return 2
    values: dict = {}
    for item in params:
        name, _, raw = item.partition("=")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            values[name] = raw
    try:
        parts = run_demo(REGISTRY[demo_id], values, progress=_print_progress)
    except DemoParamError as err:
        print(f"studyapp demo: {err}", file=sys.stderr)
        return 2
    failed = 0
    for part in parts:
        kind = type(part).__name__
        if kind == "Check":
            failed += not part.passed
            print(f"[{'PASS' if part.passed else 'FAIL'}] {_en(part.claim)}  {_en(part.detail)}")
        elif kind == "Metric":
            print(f"{_en(part.label)}: {part.value}")
        elif kind == "Table":
            print(f"{_en(part.title)}\n  " + " | ".join(map(_en, part.columns)))
            for row in part.rows:
                print("  " + " | ".join(map(_en, row)))
        elif kind == "Text":
            print(_en(part.markdown))
        else:
            print(f"({kind}: {_en(part.title)})")
    return 1 if failed else 0


def _en(text) -> str:
    from minimodels.results import label

    return label(text, "en")


def _print_progress(done: float, text, curve=None) -> None:
    print(f"\r{done:6.1%} {_en(text)}", end="\n" if done >= 1 else "", file=sys.stderr, flush=True)


def write_schema(check: bool) -> int:
    from studyapp.bank.schema import json_schema_text

    wanted = json_schema_text()
    if check:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text(encoding="utf-8") != wanted:
            print(f"{SCHEMA_PATH} is stale: run `studyapp schema`", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(wanted, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


def exercise_command(args: argparse.Namespace) -> int:
    """`list`, or grade FILE exactly as the app does: exit 0 all passed, 1 any failed, 2 refused."""
    from studyapp.bank.load import default_bank_dir, load_bank
    from studyapp.exercises.runner import Runner, choose

    exercises = {
        q.id: q for q in load_bank(args.bank or default_bank_dir()).questions.values() if q.code
    }
    if args.action == "list":
        for q in sorted(exercises.values(), key=lambda q: (q.topic, q.id)):
            print(f"{q.id:40s} {q.topic:14s} {q.question.en.strip().splitlines()[0][:60]}")
        return 0
    if args.exercise_id not in exercises or not args.file:
        print(
            "studyapp exercise check: give an exercise id (see `studyapp exercise list`) and "
            "a file",
            file=sys.stderr,
        )
        return 2
    try:
        code = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        print(f"studyapp exercise check: cannot read {args.file}: {err}", file=sys.stderr)
        return 2
    runner = Runner(choose("127.0.0.1"))
    try:
        result = runner.grade(code, exercises[args.exercise_id].code.model_dump(mode="json"))
    finally:
        runner.close()
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sandbox = result.get("sandbox", {})
        print(f"sandbox: {sandbox.get('mode', 'refused')} ({sandbox.get('reason', '')})")
        for test in result["tests"]:
            print(f"[{test['status'].upper()}] {test['id']}  {test.get('message', '')}".rstrip())
            if test.get("mistake"):
                print(f"    looks like the known mistake: {test['mistake']}")
        if result.get("error"):
            print(result["error"])
        print(f"{result['status']} in {result.get('seconds', 0):.2f} s")
    if result["status"] == "refused":
        return 2
    return 0 if result["status"] == "passed" else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studyapp",
        description="Study how Transformers work. With no command, starts the app.",
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the web app (default); Streamlit flags pass through")
    run.add_argument("--bank", help="question folder (default: $STUDYAPP_BANK or ./questions)")
    run.add_argument(
        "--db",
        help="progress database (default: $STUDYAPP_DB or ~/.local/share/studyapp/progress.db)",
    )
    run.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="also answer requests for this host name (the app refuses unknown names)",
    )
    run.add_argument(
        SHARE_FLAG,
        action="store_true",
        dest="share",
        help="allow a non-loopback --server.address: no login, anyone who reaches it can "
        "read and change every profile",
    )
    run.add_argument(
        "--corpus",
        action="append",
        metavar="FILE",
        help="a UTF-8 text or Markdown file the demo models also learn from (repeatable)",
    )
    val = sub.add_parser("validate", help="check question files; exit 1 on any problem")
    val.add_argument("paths", nargs="*", help="files or folders (default: the bank)")
    val.add_argument("--rules", action="store_true", help="list the rules and exit")
    bank = sub.add_parser("bank", help="work with the whole bank")
    bank_sub = bank.add_subparsers(dest="bank_command", required=True)
    export = bank_sub.add_parser(
        "export", help="every valid question: as JSON on stdout, or as an Anki deck (apkg)"
    )
    export.add_argument("--format", choices=["json", "apkg"], default="json")
    export.add_argument(
        "-o", "--output", help="with apkg: the deck file to write (an Anki package)"
    )
    export.add_argument(
        "--language", choices=["both", "en", "zh"], default="both", help="with apkg: card language"
    )
    export.add_argument("--bank", help="question folder (default: the bank)")
    sizes = bank_sub.add_parser("sizes", help="print the size per topic as a Markdown table")
    sizes.add_argument("--bank", help="question folder (default: the bank)")
    similar = bank_sub.add_parser(
        "similar", help="list pairs of questions alike in meaning (needs the 'real' extra)"
    )
    similar.add_argument("--bank", help="question folder (default: the bank)")
    similar.add_argument("--threshold", type=float, help="cosine, default 0.89 (CONTRIBUTING)")
    similar.add_argument(
        "--check", action="store_true", help="exit 1 on a pair not declared with `deepens`"
    )
    demo = sub.add_parser("demo", help="list the live demos or run one in the terminal")
    demo.add_argument("action", choices=["list", "run"])
    demo.add_argument("demo_id", nargs="?", help="the demo to run")
    demo.add_argument("params", nargs="*", help="parameters as name=value, e.g. p=0.2")
    demo.add_argument(
        "--markdown", action="store_true", help="with list: the README's table of demos"
    )
    exercise = sub.add_parser("exercise", help="list the code exercises or grade a file")
    exercise.add_argument("action", choices=["list", "check"])
    exercise.add_argument("exercise_id", nargs="?", help="the exercise to grade against")
    exercise.add_argument("file", nargs="?", help="your solution, a Python file")
    exercise.add_argument("--json", action="store_true", help="print the result as JSON")
    exercise.add_argument("--bank", help="question folder (default: the bank)")
    schema = sub.add_parser(
        "schema", help="regenerate questions/schema.json from the pydantic model"
    )
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    return parser


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `studyapp bank export | head` ends quietly
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return run_app(
            rest,
            args.bank,
            args.db,
            allow_hosts=args.allow_host,
            share=args.share,
            corpus=args.corpus,
        )
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "validate":
        return validate(args.paths, args.rules)
    if args.command == "bank" and args.bank_command == "sizes":
        return bank_sizes(args.bank)
    if args.command == "bank" and args.bank_command == "similar":
        return similar_questions(args.bank, args.threshold, args.check)
    if args.command == "bank" and args.bank_command == "export" and args.format == "apkg":
        return export_deck(args.output, args.language, args.bank)
    if args.command == "bank":
        return export_bank(args.format, args.bank)
    if args.command == "demo":
        if args.action == "list" and args.markdown:
            return demo_catalogue()
        return demo_command(args.action, args.demo_id, args.params)
    if args.command == "exercise":
        return exercise_command(args)
    if args.command == "schema":
        return write_schema(args.check)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
