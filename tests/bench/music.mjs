// Real music for the browser benchmarks: tests/bench/real_music.py (a track
// of a Debian music package that no judgement rule was fitted on, looped or
// cut to length) called from Node. Python with numpy, scipy and soundfile
// runs it (the corpus builder it borrows the package fetch from needs them),
// the one that tests/bench/python.sh names.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../e2e/support.mjs';

function python() {
  return execFileSync('bash', [join(ROOT, 'tests', 'bench', 'python.sh')], { encoding: 'utf8' }).trim();
}

/** Writes `seconds` of the `track` ('target' or 'reference') to `path` as
 * stereo at `rate` in `format` (wav16, wav24, f32, flac, mp3); returns `path`. */
export function realMusic(path, seconds, { rate = 48000, track = 'target', format = 'wav16' } = {}) {
  execFileSync(python(), [join(ROOT, 'tests', 'bench', 'real_music.py'), path, String(seconds),
    '--rate', String(rate), '--track', track, '--format', format],
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return path;
}
