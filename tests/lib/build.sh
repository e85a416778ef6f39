# Install what is missing and build vsmigrate: shared by tests/run and the demo.
# vsm_build TOP BUILDDIR LOGDIR [CONFIGURE-OPTION...]: returns non-zero with the
# failing step's log named. A build configured with other options is configured again.
vsm_build() {
    local top=$1 build=$2 logs=$3
    shift 3
    local opts="$*"
    mkdir -p "$build" "$logs"
    if [ "$(id -u)" -eq 0 ]; then
        "$top/tests/install-deps" >"$logs/install-deps.log" 2>&1 ||
            { vsm_build_failed="installing Debian packages (tests/install-deps)"; vsm_build_log=$logs/install-deps.log; return 1; }
        [ -s "$logs/install-deps.log" ] && cat "$logs/install-deps.log"
    fi
    if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] || [ "$top/Makefile.am" -nt "$top/configure" ]; then
        (cd "$top" && ./autogen.sh) >"$logs/autogen.log" 2>&1 ||
            { vsm_build_failed="autogen.sh"; vsm_build_log=$logs/autogen.log; return 1; }
    fi
    if [ ! -f "$build/Makefile" ] || [ "$top/configure" -nt "$build/Makefile" ] ||
       [ "$(cat "$build/.vsm-configure-options" 2>/dev/null)" != "$opts" ]; then
        (cd "$build" && "$top/configure" "$@") >"$logs/configure.log" 2>&1 ||
            { vsm_build_failed="configure"; vsm_build_log=$logs/configure.log; return 1; }
        # a new configure may change how objects are built (PIC, flags): rebuild all
        make -C "$build" clean >/dev/null 2>&1
        printf '%s' "$opts" >"$build/.vsm-configure-options"
    fi
    make -C "$build" -j"$(nproc)" >"$logs/build.log" 2>&1 ||
        { vsm_build_failed="build (make)"; vsm_build_log=$logs/build.log; return 1; }
    return 0
}
