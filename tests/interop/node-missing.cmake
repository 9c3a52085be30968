# Run by the interop CTest entries when CMake found no `node` at configure time.
message(FATAL_ERROR
  "interop tests need Node.js (>= 18) on PATH at configure time, then "
  "`npm ci --prefix tests/interop`; re-run cmake after installing node.")
