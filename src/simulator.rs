//! An in-process fake Google (OAuth + Cloud Code `v1internal`) for `--demo`, tests and benchmarks.
