package auth

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/module"
)

// Deps is what the accounts module is built from.
type Deps struct {
	Store *config.Store // the auth section, read per call
	DB    *gorm.DB      // auth_users and auth_tokens, set up by Migrations
	// Redis shares the failed sign-in counts across instances; nil counts
	// them per instance.
	Redis *redis.Client
}

// Module returns the accounts module's contributions over svc (from New):
// the REST operations and the MQTT gateway's Login/HD_Login. The same
// Service is what other modules authenticate callers with.
func Module(svc *Service) module.Spec {
	return module.Spec{
		Name:       "auth",
		Migrations: Migrations(),
		Gateway:    svc.handlers(),
		API: func(api huma.API) {
			NewController(svc).Register(api, svc.Protect(api))
		},
	}
}

// New builds the Service of d.
func New(d Deps) *Service { return NewService(NewStore(d.DB), d.Store, d.Redis) }
