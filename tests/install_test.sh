#!/usr/bin/env bash
# install_test: nudge as a library. Installs the build into a temporary prefix and checks the layout
# (bin/nudge, lib/libnudge.so.1 with its SONAME and only nudge_* exported, lib/libnudge.a, the public
# headers only, lib/pkgconfig/nudge.pc, share/nudge/scenarios); builds examples/embed.c with
# `cc $(pkg-config --cflags --libs nudge)` (and statically) and runs it; runs the installed
# `nudge view --headless` from another folder (its checkpoint then feeds the example's prediction),
# the installed `nudge check` on the scenarios it ships, and all of it again from a moved prefix.
# Usage: install_test.sh BUILD_DIR SOURCE_ROOT
source "$(dirname "$0")/script_lib.sh" "$1/nudge" "$2"
build=$1
cflags=${NUDGE_EMBED_CFLAGS:-}        # -fsanitize=... under make sanitize
preload=${NUDGE_PRELOAD:-}            # the ASan runtime python3 needs then
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { bad "cmake --install: $(tail -3 "$tmp/install.log")"; finish install_test; }
ok "cmake --install into $prefix"

# the layout
for f in bin/nudge lib/libnudge.a lib/pkgconfig/nudge.pc share/nudge/scenarios/demo/glass_off_table.scn \
         share/nudge/scenarios/README.md share/nudge/python/nudge/__init__.py share/nudge/examples/embed.c; do
  if [ -e "$prefix/$f" ]; then ok "installed $f"; else bad "missing $f"; fi
done
so=$(readlink -f "$prefix/lib/libnudge.so")
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" = "libnudge.so.1" ] && [ -L "$prefix/lib/libnudge.so.1" ] && [ -L "$prefix/lib/libnudge.so" ]; then
  ok "libnudge.so -> libnudge.so.1 (SONAME $soname) -> $(basename "$so")"
else bad "SONAME '$soname' or the links are wrong: $(ls -l "$prefix/lib")"; fi
others=$(nm -D --defined-only "$so" | awk '$2 != "A" {print $3}' | grep -v '^nudge_' | head -5)
if [ -z "$others" ]; then ok "libnudge.so exports nudge_* only"; else bad "internal symbols exported: $others"; fi
headers=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
if [ "$headers" = "./nudge/dataset.h ./nudge/model.h ./nudge/nudge.h ./nudge/world.h " ]; then
  ok "include/ holds the public headers only"
else bad "include/ holds: $headers"; fi
# a public header includes nothing but the standard headers and its own
if grep -h '#include' "$prefix"/include/nudge/*.h | grep -vqE '<std(bool|def|int)\.h>|"nudge/(world|model|dataset)\.h"'; then
  bad "a public header includes an internal one: $(grep -h '#include' "$prefix"/include/nudge/*.h | sort -u | tr '\n' ' ')"
else ok "the public headers include only each other and the C library"; fi

# build the example against the prefix, from another folder
work="$tmp/elsewhere"
mkdir -p "$work"
cd "$work" || exit 1
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs nudge) || bad "pkg-config --cflags --libs nudge"
if cc $cflags -std=c11 -Wall -Wextra -Werror -o embed "$prefix/share/nudge/examples/embed.c" $flags 2>"$tmp/cc.err"; then
  ok "cc embed.c \$(pkg-config --cflags --libs nudge)"
else bad "the example does not build: $(head -5 "$tmp/cc.err")"; fi
if cc $cflags -std=c11 -o embed_static "$prefix/share/nudge/examples/embed.c" $(pkg-config --cflags nudge) -L"$prefix/lib" \
      -Wl,-Bstatic -lnudge -Wl,-Bdynamic $(pkg-config --static --libs-only-l nudge | sed 's/-lnudge//') 2>"$tmp/cc.err" &&
   ! ldd ./embed_static | grep -q libnudge; then
  ok "the example links libnudge.a statically"
else bad "static link: $(head -5 "$tmp/cc.err")"; fi
scene="$prefix/share/nudge/scenarios/demo/glass_off_table.scn"
LD_LIBRARY_PATH="$prefix/lib" ./embed "$scene" >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && grep -q "pushed body 2" "$tmp/out" && grep -q "after the push" "$tmp/out"; then
  ok "the example loads, steps, observes and pushes"
else bad "the example: $(cat "$tmp/out" "$tmp/err" | head -5)"; fi
./embed_static "$scene" >"$tmp/out_static" 2>&1
if cmp -s "$tmp/out" "$tmp/out_static"; then ok "the static example prints the same"; else bad "static and shared differ"; fi
LD_LIBRARY_PATH="$prefix/lib" ./embed /no/such.scn >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "no/such.scn" "$tmp/err"; then
  ok "a missing scenario: exit 2 and nudge's one line"
else bad "a missing scenario: exit $st, $(cat "$tmp/err")"; fi

# the installed command from another folder: the view's default scene comes from the prefix
if OPENBLAS_NUM_THREADS=1 "$prefix/bin/nudge" view --headless --seconds 3 --save model.bin >"$tmp/view.log" 2>&1 &&
   [ -s model.bin ]; then
  ok "installed nudge view --headless (default scene) from $work"
else bad "installed nudge view --headless: $(tail -3 "$tmp/view.log")"; fi
OPENBLAS_NUM_THREADS=1 LD_LIBRARY_PATH="$prefix/lib" ./embed "$scene" model.bin >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && grep -q "model ([0-9]* training steps): body 2 predicted at" "$tmp/out"; then
  ok "the example predicts with the checkpoint"
else bad "the example with a checkpoint: $(cat "$tmp/out" "$tmp/err" | tail -3)"; fi
if "$prefix/bin/nudge" check >"$tmp/check.log" 2>&1 && grep -q "$prefix/share/nudge/scenarios/demo/glass_off_table.scn" "$tmp/check.log" &&
   tail -1 "$tmp/check.log" | grep -q " 0 failed"; then
  ok "installed nudge check runs the scenarios it ships"
else bad "installed nudge check: $(tail -2 "$tmp/check.log")"; fi
expect_status 2 "NUDGE_DATA naming a folder without scenarios" -- env NUDGE_DATA="$work" "$prefix/bin/nudge" check
one_line_err "NUDGE_DATA=.*no scenarios/"

# a moved prefix still finds its data, its library (pkg-config's pcfiledir) and its Python package
mv "$prefix" "$tmp/moved"
prefix="$tmp/moved"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
if OPENBLAS_NUM_THREADS=1 "$prefix/bin/nudge" view --headless --seconds 1 >"$tmp/view.log" 2>&1; then
  ok "a moved prefix: nudge view finds its scenes"
else bad "a moved prefix: $(tail -2 "$tmp/view.log")"; fi
cc $cflags -std=c11 -o embed2 "$prefix/share/nudge/examples/embed.c" $(pkg-config --cflags --libs nudge) &&
  LD_LIBRARY_PATH="$prefix/lib" ./embed2 "$prefix/share/nudge/scenarios/demo/glass_off_table.scn" >/dev/null &&
  ok "a moved prefix: the example builds and runs" || bad "a moved prefix: the example"
if env -u NUDGE_LIB ${preload:+LD_PRELOAD=$preload} PYTHONPATH="$prefix/share/nudge/python" OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -c "
import nudge, sys
w = nudge.World('$prefix/share/nudge/scenarios/demo/glass_off_table.scn', seed=1)
w.step()
assert nudge.library_path().startswith('$prefix/lib/'), nudge.library_path()
print(w.observe()['mask'].sum())
" >"$tmp/py.out" 2>&1 && [ "$(cat "$tmp/py.out")" = "4" ]; then
  ok "the installed Python package finds libnudge in its prefix"
else bad "the installed Python package: $(tail -3 "$tmp/py.out")"; fi
finish install_test
