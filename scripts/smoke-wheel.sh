#!/usr/bin/env bash
# The built wheel, not the source tree, in a bare virtual environment, as a user gets it from the
# package index (`make smoke-wheel`; `.ci/run` runs it). It checks that:
#   1. the wheel installs with only the runtime dependencies and imports without the source tree;
#   2. importing it loads none of the I/O modules (the sans-I/O promise holds for the wheel too);
#   3. `notifpolicy --version` prints the wheel's version and the CLI checks the bundled example;
#   4. with the `testing` extra, pytest finds the plugin's fixtures through its entry point and a
#      host's test that uses them passes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dist=${1:-dist}
wheels=("$dist"/notifpolicy-*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || { echo "expected one wheel in $dist" >&2; exit 1; }
wheel=$(cd "$(dirname "${wheels[0]}")" && pwd)/$(basename "${wheels[0]}")
version=$(basename "$wheel" | cut -d- -f2)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q -U pip
"$py" -m pip install -q "$wheel"

echo "== installed: $("$py" -m pip list --format=freeze --exclude pip --exclude setuptools | tr '\n' ' ')"
# Only the runtime dependencies (six comes with python-dateutil).
"$py" - <<'PY'
import importlib.metadata as md
names = {d.metadata["Name"].lower().replace("_", "-") for d in md.distributions()}
extra = names - {"notifpolicy", "attrs", "python-dateutil", "six", "tzdata", "pip", "setuptools"}
assert not extra, f"the wheel pulled in more than its runtime dependencies: {sorted(extra)}"
PY

cd "$work"  # away from the source tree: the import must come from the wheel
"$py" - <<'PY'
import sys
import notifpolicy
assert "site-packages" in notifpolicy.__file__, notifpolicy.__file__
io = {"socket", "ssl", "sqlite3", "smtplib", "urllib.request", "http.client", "asyncio"}
loaded = sorted(io & set(sys.modules))
assert not loaded, f"import notifpolicy loaded I/O modules: {loaded}"
print(f"== import notifpolicy {notifpolicy.__version__}: no I/O modules loaded")
PY
printed=$("$work/venv/bin/notifpolicy" --version)
[ "$printed" = "notifpolicy $version" ] || { echo "--version printed '$printed', expected 'notifpolicy $version'" >&2; exit 1; }
echo "== $printed"
"$work/venv/bin/notifpolicy" check "$root/examples/workspace.toml"

"$py" -m pip install -q "$wheel[testing]"
mkdir "$work/host"
cat > "$work/host/test_host_rule.py" <<'PY'
from notifpolicy import Channel, MemberMentioned, Role


def test_a_mention_reaches_the_member(notifpolicy_workspace):
    ws = notifpolicy_workspace
    ws.add_member("anna", role=Role.AGENT, channels=(Channel.IN_APP,))
    ws.handle(MemberMentioned(id="e1", conversation_id="c1", author_id="olga", mentioned=("anna",)))
    assert [d.item.kinds for d in ws.sent_to("anna")] == [("mention",)]
PY
cd "$work/host"
"$py" -m pytest -q -p no:cacheprovider test_host_rule.py
echo "== the wheel is ready: installed clean, imported, CLI and pytest plugin work"
