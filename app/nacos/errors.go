package nacos

import "gomicro/app/errs"

// Sentinels of the module; callers test them with errors.Is and the web edge
// maps their codes to HTTP statuses.
var (
	// ErrDisabled means nacos.host is empty: config is local only.
	ErrDisabled = errs.E(errs.Conflict, "nacos is off (nacos.host is empty); config is local")
	// ErrUnavailable means the Nacos server did not answer in time.
	ErrUnavailable = errs.E(errs.Unavailable, "nacos did not answer")
	// ErrRefused means the content in Nacos does not parse or validate; the
	// last good config stays in force.
	ErrRefused = errs.E(errs.Invalid, "nacos content refused; last good config kept")
)
