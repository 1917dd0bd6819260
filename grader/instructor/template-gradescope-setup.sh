#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image: Python 3.11, the
# pinned packages in a venv, bubblewrap for the sandbox, and the user student code runs as.
set -euo pipefail
AUTOGRADER="${AUTOGRADER:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
# Python 3.11 from the system, not one in /root: student code runs as another user.
if ! /usr/bin/python3.11 -c "import ensurepip, venv" 2>/dev/null; then
    apt-get update
    apt-get install -y python3.11 python3.11-venv
fi
# bubblewrap, for --sandbox: run_autograder says in its output when the container cannot use it.
if ! command -v bwrap >/dev/null; then
    apt-get install -y bubblewrap || { apt-get update && apt-get install -y bubblewrap; } || true
fi
/usr/bin/python3.11 -m venv "$AUTOGRADER/venv"
"$AUTOGRADER/venv/bin/pip" install --no-cache-dir -r "$AUTOGRADER/source/requirements.txt"
id -u mnist-student >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin mnist-student
# With the sandbox, the model's compiled programs, made once here rather than once per submission.
bash "$AUTOGRADER/source/run_autograder" fill
