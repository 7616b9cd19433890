//go:build race

package version

// raceEnabled scales down the single-goroutine model runs under the race
// detector, which slows them tenfold and has nothing to find in them.
const raceEnabled = true
