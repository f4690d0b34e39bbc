package logging

import "github.com/rs/zerolog"

// setReporter makes reports carry lg's fields and hooks (an alert hook
// sends a failing disk to the robot). Reports are never sampled out.
func (l *Logging) setReporter(lg zerolog.Logger) {
	if l.reportTo == nil {
		return
	}
	r := lg.Output(l.reportTo).Sample(nil)
	l.report.Store(&r)
}

// reportOutput tells that an output started failing (err set) or takes
// lines again (err nil, lost lines counted). It runs on the writing
// goroutine and writes straight to the report stream, never through the
// async writer, so a failing output can neither swallow its own report nor
// feed it back to itself; a stdout that fails while it is also the report
// stream is not reported to.
func (l *Logging) reportOutput(s *sink, err error, lost int64) {
	r := l.report.Load()
	if r == nil || (l.reportIsStdout && s.name == "stdout") {
		return
	}
	var e *zerolog.Event
	if err != nil {
		e = r.Error().Err(err)
	} else {
		e = r.Warn().Int64("lost_lines", lost)
	}
	e = e.Str("output", s.name)
	if s.where != nil {
		e = e.Str("path", s.where())
	}
	if err != nil {
		e.Msg("log output failing: lines are lost until it recovers (counted in log_write_errors_total)")
		return
	}
	e.Msg("log output recovered")
}
