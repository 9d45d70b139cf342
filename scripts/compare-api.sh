#!/usr/bin/env bash
# Compares the public API of our runtime (build/java/simulator) with Oracle's api_classic.jar of a Java Card kit:
# every class, method and constant we provide must exist in the kit with the same signature, unless it is listed
# in simulator/api-3.0.5-only.txt. Needs a kit (see scripts/README.md); not run in CI.
#   JC_HOME=/path/to/jc304_kit scripts/compare-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JC_HOME:?set JC_HOME to a Java Card kit (e.g. jc304_kit) — see scripts/README.md}"
jar="$JC_HOME/lib/api_classic.jar"
[ -f "$jar" ] || { echo "no $jar: JC_HOME must name a Java Card classic kit"; exit 2; }
node scripts/build-java.mjs --quiet
allowed=$(grep -v '^#' simulator/api-3.0.5-only.txt | sed 's|/|.|g' | awk -F'#' '{print $1" "$2}')
# Signatures only: native modifiers, throws clauses and Object's own methods differ without mattering.
norm() { grep -v '^Compiled' | sed -e 's/ native / /' -e 's/ throws [^;]*;/;/' -e 's/ *$//' | grep -v 'hashCode()\|getMessage()' | sort; }
status=0
cd build/java/simulator
for f in $(find javacard javacardx -name '*.class' ! -name '*$*' | sed 's/\.class$//' | sort); do
  class=$(echo "$f" | tr / .)
  real=$(javap -public -constants -cp "$jar" "$class" 2>/dev/null | norm || true)
  if [ -z "$real" ]; then echo "not in the kit: $class"; status=1; continue; fi
  while IFS= read -r line; do
    member=$(echo "$line" | sed -E 's/.* ([A-Za-z_][A-Za-z0-9_]*)( =|\().*/\1/')
    if echo "$allowed" | grep -qx "$class $member"; then continue; fi
    echo "$class: not in the kit: $line"; status=1
  done < <(diff <(echo "$real") <(javap -public -constants -cp . "$class" | norm) | sed -n 's/^> //p' | grep -v '^ *}$\|^public\|^ *$' || true)
done
[ $status -eq 0 ] && echo "compare-api: every class and member of the runtime's API is in $(basename "$JC_HOME") (or listed as 3.0.5-only)"
exit $status
