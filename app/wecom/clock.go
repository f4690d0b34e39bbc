package wecom

import "time"

// Clock is the time source of pacing, back-off and alert windows. Tests
// pass a fake one to run minutes of pacing in milliseconds.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has passed, like time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
