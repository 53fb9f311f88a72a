#!/usr/bin/env bash
# make model's recipe (scripts/model.sh), tiny: the default (WIDEN 3: the third copy of each family
# template with widened bounds; the drops dataset from seesaws.scn, trained on with the family data;
# its options), the same bytes twice; the recipe before it (DROPS=0 WIDEN=0 and its options: each
# family template linked three times, the tasks once, no drops); bad DROPS or WIDEN, a template whose
# bounds cannot be widened, or a seesaws.scn without its n_drop line, is one line and exit 2 with
# nothing written.
source "$(dirname "$0")/script_lib.sh" "$1" "$2"
build=$(dirname "$nudge")
recipe=(env EPISODES=4 HELDOUT=2 SECONDS_PER_EPISODE=1 STEPS=4)
nfam=$(ls "$root"/scenarios/templates/family/*.scn | wc -l)
ntask=$(ls "$root"/scenarios/tasks/*.scn 2>/dev/null | wc -l)

# the recipe before 2026-12-05: every copy a link, no drops, its options
old=("${recipe[@]}" DROPS=0 WIDEN=0 TRAIN_ARGS="--support-inputs --clip-inputs --rest-gate 0.05 --break-weight 3 --ema 0.999")
expect_status 0 "the recipe before" -- "${old[@]}" WORK="$tmp/d" OUT="$tmp/d/out.wm" bash "$root/scripts/model.sh" "$build"
[ "$(find "$tmp/d/scenes" -type l -name 'family_*' | wc -l)" -eq $((3 * nfam)) ] && [ "$(ls "$tmp/d/scenes" | wc -l)" -eq $((3 * nfam + ntask)) ] &&
  [ ! -e "$tmp/d/drops" ] && [ -s "$tmp/d/out.wm" ] && cmp -s "$tmp/d/out.wm" "$tmp/d/default.wm" && grep -q "^all" "$tmp/d/eval.txt" &&
  ok "the recipe before: $nfam family templates linked 3 times, $ntask tasks, no drops; the model and its evaluation" || bad "the recipe before: $(ls "$tmp/d")"

# the default: WIDEN 3, the drops (3 here: the default 800 is the real recipe's) and its options
cand=("${recipe[@]}" DROPS=3)
expect_status 0 "the recipe" -- "${cand[@]}" WORK="$tmp/a" OUT="$tmp/a/out.wm" bash "$root/scripts/model.sh" "$build"
[ "$(ls "$tmp/a/scenes" | wc -l)" -eq $((3 * nfam + ntask)) ] && ok "the scene list: $nfam family templates x 3, $ntask tasks" ||
  bad "the scene list: $(ls "$tmp/a/scenes" | wc -l) files"
links=$(find "$tmp/a/scenes" -type l -name 'family_[ab]_*' | wc -l)
copies=$(find "$tmp/a/scenes" -type f -name 'family_c_*' | wc -l)
[ "$links" -eq $((2 * nfam)) ] && [ "$copies" -eq "$nfam" ] && ok "copies a and b are links, c is a copy" || bad "links $links, copies $copies"
# each copy c is its template but for the bounds: 3 m beyond at the sides and below, the top kept
wide=0
for f in "$root"/scenarios/templates/family/*.scn; do
  c="$tmp/a/scenes/family_c_$(basename "$f")"
  want=$(awk '$1 == "world" && $2 == "bounds" { printf "world bounds %g %g %g %g", $3 - 3, $4 - 3, $5 + 3, $6 }' "$f")
  [ "$(diff "$f" "$c" | grep -c '^[<>]')" -eq 2 ] && grep -qx "$want" "$c" && wide=$((wide + 1))
done
[ "$wide" -eq "$nfam" ] && ok "copy c: only the bounds differ, widened by 3 m" || bad "copy c: $wide of $nfam as wanted"
grep -qx 'param n_drop int 1 2' "$tmp/a/drops.scn" && [ "$(diff "$root/scenarios/templates/family/seesaws.scn" "$tmp/a/drops.scn" | grep -c '^[<>]')" -eq 2 ] &&
  ok "drops.scn: seesaws.scn with 1-2 drops" || bad "drops.scn"
grep -q '"episodes":[[:space:]]*3' "$tmp/a/drops/manifest.json" && ok "the drops dataset" || bad "the drops dataset: $(head -c 300 "$tmp/a/drops/manifest.json")"
[ -s "$tmp/a/out.wm" ] && grep -q "^all" "$tmp/a/eval.txt" && ! cmp -s "$tmp/a/out.wm" "$tmp/d/out.wm" && ok "the recipe's model: another file than the recipe before's" || bad "the recipe's model: $(tail -3 "$tmp/err")"
expect_status 0 "the recipe again, from fresh folders" -- "${cand[@]}" WORK="$tmp/b" OUT="$tmp/b/out.wm" bash "$root/scripts/model.sh" "$build"
cmp -s "$tmp/a/out.wm" "$tmp/b/out.wm" && ok "the same bytes twice" || bad "two runs of the recipe differ"
# the defaults are the options README.md gives (written out, the same bytes)
flags="--support-inputs --clip-inputs --rest-gate 0.05 --break-weight 5 --ema 0.999 --release --release-impact 0.5 --pair-inputs --collision-prior --collision-friction --contact-axis --edge-time --contact-anchor --prior-settle --contact-lift --impact-sweep"
expect_status 0 "the recipe written out" -- "${recipe[@]}" DROPS=3 WIDEN=3 TRAIN_ARGS="$flags" WORK="$tmp/e" OUT="$tmp/e/out.wm" bash "$root/scripts/model.sh" "$build"
cmp -s "$tmp/a/out.wm" "$tmp/e/out.wm" && ok "the defaults: WIDEN=3 and the README's options" || bad "the defaults differ from WIDEN=3 TRAIN_ARGS=\"$flags\""

# bad numbers
expect_status 2 "DROPS not a number" -- "${recipe[@]}" DROPS=many WORK="$tmp/x" OUT="$tmp/x/out.wm" bash "$root/scripts/model.sh" "$build"
one_line_err "DROPS must be a whole number"
expect_status 2 "WIDEN negative" -- "${recipe[@]}" WIDEN=-1 WORK="$tmp/x" OUT="$tmp/x/out.wm" bash "$root/scripts/model.sh" "$build"
one_line_err "WIDEN must be a number of metres"
[ ! -e "$tmp/x" ] && ok "nothing written" || bad "something was written"

# bad templates: a fake tree with the script, seesaws.scn and one template with bounds in an expression
mkdir -p "$tmp/r/scripts" "$tmp/r/scenarios/templates/family"
cp "$root/scripts/model.sh" "$tmp/r/scripts/"
cp "$root/scenarios/templates/family/seesaws.scn" "$tmp/r/scenarios/templates/family/"
sed 's/^world bounds .*/world bounds (-4 - 0) -1 4 5/' "$root/scenarios/templates/family/seesaws.scn" > "$tmp/r/scenarios/templates/family/zz.scn"
expect_status 2 "bounds that are not numbers" -- "${cand[@]}" WORK="$tmp/r/w" OUT="$tmp/r/out.wm" bash "$tmp/r/scripts/model.sh" "$build"
one_line_err "zz.scn:[0-9]*:1: world bounds must be four numbers"
[ ! -e "$tmp/r/out.wm" ] && [ ! -e "$tmp/r/w/train" ] && ok "nothing generated or written" || bad "something was written"
grep -v '^world bounds' "$root/scenarios/templates/family/seesaws.scn" > "$tmp/r/scenarios/templates/family/zz.scn"
expect_status 2 "a template without bounds" -- "${cand[@]}" WORK="$tmp/r/w" OUT="$tmp/r/out.wm" bash "$tmp/r/scripts/model.sh" "$build"
one_line_err "zz.scn: 0 world bounds lines, need 1"
rm "$tmp/r/scenarios/templates/family/zz.scn"
sed -i 's/^param n_drop int 0 2$/param n_drop int 0 3/' "$tmp/r/scenarios/templates/family/seesaws.scn"
expect_status 2 "seesaws.scn without its n_drop line" -- "${cand[@]}" WORK="$tmp/r/w" OUT="$tmp/r/out.wm" bash "$tmp/r/scripts/model.sh" "$build"
one_line_err "no 'param n_drop int 0 2' line"
[ ! -e "$tmp/r/out.wm" ] && [ ! -e "$tmp/r/w/train" ] && ok "nothing generated or written" || bad "something was written"
finish model_recipe
