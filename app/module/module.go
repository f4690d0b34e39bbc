// Package module says what a module contributes to the binaries. A module
// package offers one constructor returning a Spec built from an explicit
// dependency struct of its own; app/modules lists every module once, and
// each binary takes from the list what it serves: cmd/server the routes,
// checks and background work, cmd/job the tasks, both the migrations.
package module

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gin-gonic/gin"

	"gomicro/app/db"
	"gomicro/app/xxljob"
)

// Spec is everything one module contributes. Every field is optional; a
// binary ignores what it does not serve.
type Spec struct {
	// Name identifies the module in logs and errors; unique in the list.
	Name string
	// Migrations are the module's schema steps, oldest first. IDs are
	// unique across modules and never edited once released.
	Migrations []db.Migration
	// API registers public operations; they appear in the OpenAPI document.
	API func(api huma.API)
	// Ops registers operator endpoints behind server.admin_token.
	Ops func(api huma.API)
	// Routes registers raw Gin routes that huma cannot describe: WebSocket
	// upgrades, XML callbacks, embedded pages. They share the middleware
	// (trace id, access log, body limit, panics) of every other route.
	Routes func(r gin.IRoutes)
	// Tasks are XXL-JOB tasks by executorHandler name.
	Tasks map[string]xxljob.Handler
	// Checks are probed by the server's /readyz.
	Checks []Check
	// Gateway are handlers the server's MQTT gateway routes to.
	Gateway []Handler
	// Commands are the chat bot's "/" commands this module answers; the
	// chat module collects them from every spec (see Commands).
	Commands []Command
	// Start begins the module's background work in the server (hubs,
	// consumers), once, before it listens; work started must end by Stop.
	Start func(ctx context.Context) error
	// Stop ends what Start began, within ctx, after the HTTP drain.
	Stop func(ctx context.Context) error
}

// Check is one dependency probed by /readyz. Probe returns a short detail
// (shown to ops) and an error when the dependency is down. A failing
// Required check turns /readyz into 503; an optional one only reports.
type Check struct {
	Name     string
	Required bool
	Probe    func(ctx context.Context) (detail string, err error)
}

// Migrations returns the schema steps of every spec, in list order.
func Migrations(specs []Spec) []db.Migration {
	var out []db.Migration
	for _, s := range specs {
		out = append(out, s.Migrations...)
	}
	return out
}

// Handlers returns the gateway handlers of every spec, in list order.
func Handlers(specs []Spec) []Handler {
	var out []Handler
	for _, s := range specs {
		out = append(out, s.Gateway...)
	}
	return out
}

// Command is one "/" command of the chat bot, contributed by any module
// without importing the chat package. Name is the word after the slash
// ("echo"), lower case, unique across modules; Usage shows its arguments
// ("/echo TEXT") and Summary says in a line what it answers.
type Command struct {
	Name    string
	Usage   string
	Summary string
	// Run answers one invocation with the text the bot posts. An error is
	// logged with the invocation's trace id and answered with a short
	// apology; its text is never posted.
	Run func(ctx context.Context, in Invocation) (string, error)
}

// Invocation is what a command is asked: who typed it, where, and the text
// after the command word (trimmed).
type Invocation struct {
	Chat string // the chat's uri
	User string // the username of the caller
	Args string
}

// Commands returns the bot commands of every spec, in list order.
func Commands(specs []Spec) []Command {
	var out []Command
	for _, s := range specs {
		out = append(out, s.Commands...)
	}
	return out
}
