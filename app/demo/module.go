package demo

import (
	"github.com/danielgtaylor/huma/v2"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/module"
	"gomicro/app/xxljob"
)

// Deps is what the demo module is built from.
type Deps struct {
	Store *config.Store // app.timezone of /demo/hello
	DB    *gorm.DB      // the items table, set up by Migrations
}

// Module returns the demo's contributions: /demo/hello, the items API and
// its schema, and the two demo tasks.
func Module(d Deps) module.Spec {
	items := NewService(NewStore(d.DB))
	return module.Spec{
		Name:       "demo",
		Migrations: Migrations(),
		API: func(api huma.API) {
			RegisterHello(api, d.Store)
			NewController(items).Register(api)
		},
		Tasks: map[string]xxljob.Handler{
			"demo_task":              Task,
			"demo_items_report_task": ItemsReportTask(items),
		},
	}
}
