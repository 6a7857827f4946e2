#!/usr/bin/env bash
# Regenerates the quickstart's small GPT (peft/src/main/resources/quickstart/model/): a 4-layer, width-128
# byte-level GPT-2 trained from scratch on procedurally generated list/string-operation text
# (dev.peft4j.peft.quickstart.PretrainTinyGpt). Deterministic: same seed and steps give the same weights.
# About 5 minutes on 2 cores. Extra arguments go to PretrainTinyGpt (--steps N --seed S --layers L --embd D --batch B).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/scripts/env.sh"
out="${PEFT4J_QUICKSTART_OUT:-$root/peft/src/main/resources/quickstart/model}"
(cd "$root" && mvn -q -B -ntp -DskipTests -Dbuild.out=target-quickstart -pl peft -am package)
java --add-modules jdk.incubator.vector -cp "$root/peft/target-quickstart/peft4j-peft-0.1.0-SNAPSHOT.jar:$root/peft/target-quickstart/lib/*" \
    dev.peft4j.peft.quickstart.PretrainTinyGpt "$out" "$@"
