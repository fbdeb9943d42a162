// Builds lnd and lncli for the regtest test harness (see scripts/lnd-build.sh).
// lnd's own go.mod has replace directives, so `go install lnd@tag` refuses; this module requires
// lnd at a tag supported by lightning@11.1.0 and repeats lnd's replace lines (they only apply in
// the main module).
module github.com/peerpay/peerpay/test/lnd-harness

go 1.23.12

require github.com/lightningnetwork/lnd v0.19.3-beta

// Copied from lnd's go.mod at v0.19.3-beta.
replace github.com/ulikunitz/xz => github.com/ulikunitz/xz v0.5.11

replace github.com/gogo/protobuf => github.com/gogo/protobuf v1.3.2

replace google.golang.org/protobuf => github.com/lightninglabs/protobuf-go-hex-display v1.30.0-hex-display
