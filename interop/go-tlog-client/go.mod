module ipledger.local/interop/go-tlog-client

go 1.19

require golang.org/x/mod v0.7.0

// Built fully offline against Debian's golang-golang-x-mod-dev sources
// (see scripts/build-go-tlog-client). No go.sum is needed for a directory replacement.
replace golang.org/x/mod => /usr/share/gocode/src/golang.org/x/mod
