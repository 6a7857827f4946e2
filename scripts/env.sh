# Sourced by ./peft4j and ./run-tests: finds JDK 25 and Maven, and (when asked) the OpenCL runtime.
# Prints what it does to stderr; changes nothing outside the project except apt installs as root.

find_jdk25() {
    local candidate
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
        if "$candidate/bin/java" -version 2>&1 | grep -qE 'version "25'; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! PEFT4J_JDK=$(find_jdk25); then
    echo "peft4j needs JDK 25: set JAVA_HOME to a JDK 25 or install one under /usr/lib/jvm (e.g. Temurin 25)." >&2
    exit 1
fi
export JAVA_HOME="$PEFT4J_JDK"
export PATH="$JAVA_HOME/bin:$PATH"

if ! command -v mvn >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Maven with apt-get ..." >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null
    else
        echo "peft4j needs Apache Maven (mvn) on PATH." >&2
        exit 1
    fi
fi

# Installs PoCL (OpenCL on the CPU) and the ICD loader when missing, so the OpenCL backend and its tests run.
ensure_opencl() {
    if ldconfig -p 2>/dev/null | grep -q 'libOpenCL.so ' && ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing the OpenCL runtime (pocl-opencl-icd, ocl-icd-opencl-dev) with apt-get ..." >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pocl-opencl-icd ocl-icd-opencl-dev >/dev/null
    else
        echo "No OpenCL runtime found and not root: OpenCL tests will skip (install pocl-opencl-icd ocl-icd-opencl-dev)." >&2
    fi
}
