#!/usr/bin/env bash
# dockerfile-check.sh: what can be checked of the Dockerfile without building it (the build
# itself is tests/container-check.sh). Every package it installs must exist in Debian 12
# (`apt-cache show`); its meson commands must be the ones `make build` runs; the build stage
# installs the Makefile's RUN_PACKAGES; the runtime stage installs the package of every shared
# library the built binary links, and no compiler or -dev package; and the runtime stage keeps
# the contract of the README: non-root USER, EXPOSE 8080, bind 0.0.0.0, VOLUME /data,
# HEALTHCHECK on /readyz. Exits non-zero with one line per mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "dockerfile-check: $*" >&2; exit 1; }
[ -f Dockerfile ] || die "no Dockerfile at the top of the repository"

# apt-cache answers for this machine's sources: they must be Debian 12's.
# shellcheck disable=SC1091
version_id=$(. /etc/os-release 2>/dev/null && echo "${ID:-}-${VERSION_ID:-}")
[ "$version_id" = debian-12 ] ||
    die "apt-cache here answers for '$version_id', not Debian 12: run this check on Debian 12"
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "the apt lists are empty; run 'apt-get update' as root first"
    echo "dockerfile-check: apt lists are empty, running apt-get update"
    apt-get update -qq
fi

# What the Makefile runs and installs, asked of make itself rather than re-read from its text.
# -n prints the recipe of `build` without running it; -B includes the `meson setup` step even
# when build/ is already configured.
unset MAKEFLAGS MAKELEVEL MFLAGS
make_meson=$(make --no-print-directory -n -B build | grep -E '^meson ' || true)
[ -n "$make_meson" ] || die "'make -n build' shows no meson command"
# shellcheck disable=SC2016 # $($*) is make's, not the shell's
run_packages=$(make --no-print-directory -s --eval 'print-%: ; @echo $($*)' print-RUN_PACKAGES)
[ -n "$run_packages" ] || die "the Makefile has no RUN_PACKAGES"

binary=build/server/plenary
[ -x "$binary" ] || echo "dockerfile-check: $binary is not built: the check of the runtime libraries is skipped"

status=0
MAKE_MESON=$make_meson RUN_PACKAGES=$run_packages BINARY=$binary python3 - <<'PY' || status=$?
import os
import re
import shlex
import subprocess
import sys

problems = []


def problem(text):
    problems.append(text)
    print(f"dockerfile-check: {text}", file=sys.stderr)


def ok(text):
    print(f"dockerfile-check: ok: {text}")


# --- read the Dockerfile into instructions: (stage, keyword, arguments) ---------------------
# Continuation lines are joined; comment lines are dropped, also inside a continuation.
instructions = []
stage = -1
stage_names = {}
pending = ""
for raw in open("Dockerfile", encoding="utf-8"):
    line = raw.rstrip("\n")
    if line.lstrip().startswith("#"):
        continue
    if line.endswith("\\"):
        pending += line[:-1] + " "
        continue
    line = (pending + line).strip()
    pending = ""
    if not line:
        continue
    keyword, _, args = line.partition(" ")
    keyword = keyword.upper()
    args = args.strip()
    if keyword == "FROM":
        stage += 1
        parts = args.split()
        if len(parts) == 3 and parts[1].upper() == "AS":
            stage_names[parts[2]] = stage
    instructions.append((stage, keyword, args))

stages = stage + 1
last = stage


def of(keyword, in_stage=None):
    return [a for s, k, a in instructions if k == keyword and (in_stage is None or s == in_stage)]


# --- bases ---------------------------------------------------------------------------------
bases = [a.split()[0] for a in of("FROM")]
if stages < 2:
    problem(f"{stages} stage(s): want a build stage and a runtime stage")
for base in bases:
    if base not in ("debian:bookworm-slim", "docker.io/library/debian:bookworm-slim"):
        problem(f"FROM {base}: every stage starts from debian:bookworm-slim (Debian 12)")
if stages >= 2 and not problems:
    ok(f"{stages} stages, each FROM debian:bookworm-slim")

# --- RUN commands, split into shell commands --------------------------------------------------
def commands(run):
    """The simple commands of one RUN line (split on && || ; and |), as token lists."""
    lexer = shlex.shlex(run, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    out, current = [], []
    for token in lexer:
        if token in ("&&", "||", ";", "|", "&"):
            if current:
                out.append(current)
            current = []
        else:
            current.append(token)
    if current:
        out.append(current)
    return out


installs = {}  # stage -> [package, ...]
meson = []  # meson commands of the Dockerfile, in order
for s, keyword, args in instructions:
    if keyword != "RUN":
        continue
    if args.startswith("["):
        problem(f"RUN in exec form is not checked: {args}")
        continue
    for cmd in commands(args):
        words = [w for w in cmd if not re.match(r"^[A-Z_]+=", w)]  # drop VAR=value prefixes
        if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
            if "--no-install-recommends" not in words:
                problem(f"apt-get install without --no-install-recommends: {' '.join(words)}")
            after = words[words.index("install") + 1:]
            for word in after:
                if word.startswith("-"):
                    continue
                if "$" in word or "*" in word:
                    problem(f"package '{word}' is not a plain name and cannot be checked")
                    continue
                installs.setdefault(s, []).append(word)
        if words and words[0] == "meson":
            meson.append(" ".join(words))

# --- every package exists in Debian 12 ---------------------------------------------------------
every = sorted({p for ps in installs.values() for p in ps})
if not every:
    problem("the Dockerfile installs no package with apt-get")
# One apt-cache call for all: it prints a record, with its own Package: line, for each real
# package, and none for a name that is unknown or only virtual (provided by others).
shown = subprocess.run(["apt-cache", "show", "--no-all-versions", *every],
                       capture_output=True, text=True).stdout if every else ""
real = set(re.findall(r"^Package: (\S+)$", shown, re.M))
missing = [p for p in every if p not in real]
for package in missing:
    problem(f"package '{package}' does not exist in Debian 12 (apt-cache show)")
if every and not missing:
    ok(f"all {len(every)} packages exist in Debian 12: {' '.join(every)}")

# --- the build commands are the Makefile's ------------------------------------------------------
make_meson = [" ".join(l.split()) for l in os.environ["MAKE_MESON"].splitlines() if l.strip()]
if meson != make_meson:
    problem("the Dockerfile's meson commands differ from the Makefile's:")
    for line in make_meson:
        print(f"  Makefile:   {line}", file=sys.stderr)
    for line in meson or ["(none)"]:
        print(f"  Dockerfile: {line}", file=sys.stderr)
else:
    ok("meson commands are the Makefile's: " + " && ".join(meson))

build_stage = stage_names.get("build", 0)
want = os.environ["RUN_PACKAGES"].split()
absent = [p for p in want if p not in installs.get(build_stage, [])]
if absent:
    problem(f"the build stage does not install the Makefile's RUN_PACKAGES {' '.join(absent)}")
else:
    ok("the build stage installs the Makefile's RUN_PACKAGES")

# --- the runtime stage: libraries, and nothing to build with ------------------------------------
runtime = installs.get(last, [])
tools = [p for p in runtime if p.endswith("-dev") or p in ("gcc", "meson", "ninja-build", "make",
                                                           "pkg-config", "cpp")]
if tools:
    problem(f"the runtime stage installs build tools: {' '.join(tools)}")

binary = os.environ["BINARY"]
if os.access(binary, os.X_OK):
    # The packages of the binary's direct NEEDED libraries; their own dependencies come with
    # them through apt. libc6 (libc, libm) and libgcc-s1 are in every Debian image.
    given = {"libc6", "libgcc-s1"}
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                             check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    uncovered = []
    for soname in needed:
        owners = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True)
        packages = {l.split(":")[0] for l in owners.stdout.splitlines() if ":" in l}
        if not packages:
            problem(f"{binary} needs {soname}, which no installed package holds (dpkg -S)")
        elif not packages & (set(runtime) | given):
            uncovered.append(soname)
            problem(f"{binary} needs {soname} ({' '.join(sorted(packages))}), "
                    f"which the runtime stage does not install")
    if needed and not uncovered:
        ok(f"the runtime stage installs every library the binary needs: {' '.join(needed)}")

# --- the runtime contract -----------------------------------------------------------------------
user = (of("USER", last) or [""])[-1].split(":")[0]
if user in ("", "root", "0"):
    problem("the runtime stage runs as root: want a non-root USER")
if not any("8080" in a.split() for a in of("EXPOSE", last)):
    problem("the runtime stage does not EXPOSE 8080")
if not any("/data" in a for a in of("VOLUME", last)):
    problem("the runtime stage declares no VOLUME /data")
env = " ".join(of("ENV", last))
if not re.search(r"\bPLENARY_BIND[= ]0\.0\.0\.0\b", env):
    problem("the runtime stage does not set PLENARY_BIND=0.0.0.0")
if not re.search(r"\bPLENARY_DB[= ]/data/", env):
    problem("the runtime stage does not keep PLENARY_DB on /data")
if not any("/readyz" in a for a in of("HEALTHCHECK", last)):
    problem("the runtime stage has no HEALTHCHECK on /readyz")
for args in of("COPY", last) + of("ADD", last):
    words = shlex.split(args)
    if any(w.startswith("--from") for w in words):
        continue
    for source in [w for w in words if not w.startswith("--")][:-1]:
        if not os.path.exists(source):
            problem(f"COPY source '{source}' is not in the repository")
        elif "entrypoint" in source and not os.access(source, os.X_OK):
            problem(f"{source} is not executable (chmod +x, and commit the mode)")
ignored = open(".dockerignore").read().split() if os.path.exists(".dockerignore") else []
if "build" not in ignored and "build/" not in ignored and "/build" not in ignored:
    problem(".dockerignore does not leave out build/ (the image's `meson setup build` would fail)")
if not problems:
    ok(f"runtime stage: USER {user}, EXPOSE 8080, VOLUME /data, PLENARY_BIND=0.0.0.0, "
       "HEALTHCHECK on /readyz")

sys.exit(1 if problems else 0)
PY

# The entry point is shell: hold it to shellcheck when it is installed.
if [ "$status" -eq 0 ] && [ -f docker-entrypoint.sh ] && command -v shellcheck >/dev/null 2>&1; then
    shellcheck docker-entrypoint.sh || die "shellcheck finds problems in docker-entrypoint.sh"
    echo "dockerfile-check: ok: shellcheck docker-entrypoint.sh"
fi
exit "$status"
