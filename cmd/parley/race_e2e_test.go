//go:build race

package main

// raceBuild reports whether the tests run with the race detector; the
// binary the end-to-end tests build matches.
const raceBuild = true
