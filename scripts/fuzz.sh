#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (-fsanitize=fuzzer,
# address,undefined) in their own build directory and runs each for a
# bounded time. `make fuzz` calls it; tests/fuzz/README.md says more.
#
#   FUZZ_SECONDS   run time per target (default 60)
#   FUZZ_TARGETS   which targets (default: ws_frame protocol jwt http)
#   FUZZ_BUILD_DIR build directory (default build-fuzz)
#   FUZZ_OPTIONAL  1: no usable clang is a skip, not a failure (CI)
#   FUZZ_CXX       the clang++ to use (default: the first of clang++-19,
#                  clang++ that has libFuzzer and can compile <expected>)
#   JOBS           parallel compile jobs (default 2)
#
# Each target fuzzes into FUZZ_BUILD_DIR/corpus/<target> (new inputs stay
# out of the repository) starting from tests/fuzz/corpus/<target>. A crash
# leaves its input in FUZZ_BUILD_DIR/artifacts/<target>/ and fails the run;
# copy it into tests/fuzz/corpus/<target>/ as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-"ws_frame protocol jwt http"}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
FUZZ_OPTIONAL=${FUZZ_OPTIONAL:-0}
JOBS=${JOBS:-2}

# Herald is C++23 with std::expected: clang 14's libstdc++ <expected> is
# disabled (it needs __cpp_concepts 202002L), clang 19 has it. Probe rather
# than trust a version number.
usable() {
  command -v "$1" >/dev/null 2>&1 || return 1
  local dir
  dir=$(mktemp -d)
  printf '#include <expected>\n#include <cstdint>\n#include <cstddef>\nstd::expected<int, int> f(int x) { return x; }\nextern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t n) { return *f(0) + 0 * static_cast<int>(n); }\n' >"$dir/probe.cpp"
  "$1" -std=c++23 -fsanitize=fuzzer,address,undefined "$dir/probe.cpp" -o "$dir/probe" >/dev/null 2>&1
  local rc=$?
  rm -rf "$dir"
  return $rc
}

CXX_FUZZ=""
for c in ${FUZZ_CXX:-} clang++-19 clang++; do
  if usable "$c"; then CXX_FUZZ=$(command -v "$c"); break; fi
done
if [ -z "$CXX_FUZZ" ]; then
  echo "fuzz: no clang++ with libFuzzer and std::expected (scripts/install-deps.sh installs clang-19)" >&2
  if [ "$FUZZ_OPTIONAL" = 1 ]; then echo "fuzz: skipped"; exit 0; fi
  exit 1
fi

echo "fuzz: $CXX_FUZZ, $FUZZ_SECONDS s per target, build in $FUZZ_BUILD_DIR"
if [ ! -f "$FUZZ_BUILD_DIR/build.ninja" ]; then
  # Assertions on (no NDEBUG), light optimisation: fast enough to fuzz,
  # still debuggable.
  cmake -S . -B "$FUZZ_BUILD_DIR" -G Ninja -DHERALD_FUZZ=ON -DHERALD_BENCH=OFF \
    -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -fno-omit-frame-pointer" >/dev/null
fi
bins=()
for t in $FUZZ_TARGETS; do bins+=("${t}_fuzz"); done
cmake --build "$FUZZ_BUILD_DIR" -j "$JOBS" --target "${bins[@]}"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# Stack traces with names and lines: the sanitizers' runtime does not follow
# Debian's /usr/bin/llvm-symbolizer symlink by itself; any LLVM's will do.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in llvm-symbolizer-19 llvm-symbolizer; do
    if command -v "$s" >/dev/null 2>&1; then
      export ASAN_SYMBOLIZER_PATH
      ASAN_SYMBOLIZER_PATH=$(readlink -f "$(command -v "$s")")
      break
    fi
  done
fi
failed=()
for t in $FUZZ_TARGETS; do
  work="$FUZZ_BUILD_DIR/corpus/$t"
  artifacts="$FUZZ_BUILD_DIR/artifacts/$t"
  log="$FUZZ_BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  if [ -f "tests/fuzz/dict/$t.dict" ]; then args+=(-dict="tests/fuzz/dict/$t.dict"); fi
  echo "fuzz: $t for $FUZZ_SECONDS s (log $log)"
  if "$FUZZ_BUILD_DIR/tests/fuzz/${t}_fuzz" "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $t ok: ${runs:-?} runs, $cov, corpus $(ls "$work" | wc -l) files"
  else
    failed+=("$t")
    echo "fuzz: $t FAILED; the end of its log:"
    tail -n 40 "$log" | sed 's/^/    /'
    echo "fuzz: reproducer(s) in $artifacts/: replay with"
    echo "      $FUZZ_BUILD_DIR/tests/fuzz/${t}_fuzz <file>, then add it to tests/fuzz/corpus/$t/"
  fi
done

total=$(echo $FUZZ_TARGETS | wc -w)
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
fi
# The closing line, in the plain form CI reads.
echo "fuzz: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
