//! Shared helpers of the test suites: generated signals and WAV files.
