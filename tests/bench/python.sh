#!/usr/bin/env bash
# Prints the Python that runs the corpus and real-music scripts: $PYTHON,
# else python3 when it has numpy, scipy and soundfile, else Debian's
# /usr/bin/python3 (where scripts/setup.sh installs them). One rule for
# judgement.sh, master_vs_peers.sh, analysis_vs_ffmpeg.sh and music.mjs.
if [[ -n "${PYTHON:-}" ]]; then
  echo "$PYTHON"
elif python3 -c 'import numpy, scipy, soundfile' 2>/dev/null || [[ ! -x /usr/bin/python3 ]]; then
  echo python3
else
  echo /usr/bin/python3
fi
