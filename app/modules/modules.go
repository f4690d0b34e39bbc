// Package modules is the one list of the service's modules, read by every
// binary: each takes from it what it serves. Adding a module is one package
// and one line in All.
package modules

import (
	"gomicro/app/auth"
	"gomicro/app/boot"
	"gomicro/app/chat"
	"gomicro/app/demo"
	"gomicro/app/gateway"
	"gomicro/app/module"
	"gomicro/app/nacos"
	"gomicro/app/wechat"
	"gomicro/app/wecom"
)

// All returns every module, built from the shared parts of a started
// binary. Constructors are cheap and cannot fail: a module's work starts in
// its Spec.Start, and bad settings are refused when config is validated.
// The chat bot reads every module's commands, and the MQTT gateway every
// module's handlers, from the returned list.
func All(a *boot.App) (specs []module.Spec) {
	users := auth.New(auth.Deps{Store: a.Config, DB: a.DB, Redis: a.Redis})
	specs = []module.Spec{
		nacos.Module(a.Nacos),
		wecom.Module(a.Robots),
		demo.Module(demo.Deps{Store: a.Config, DB: a.DB}),
		WeChat(a).Spec(),
		auth.Module(users),
		chat.Module(chat.Deps{Store: a.Config, DB: a.DB, Users: users, Redis: a.Redis, Metrics: a.Metrics, Commands: func() []module.Command { return module.Commands(specs) }}),
	}
	// The MQTT gateway routes to every module's handlers, so it comes last.
	gw := gateway.New(gateway.Deps{Store: a.Config, Metrics: a.Metrics, Handlers: module.Handlers(specs)})
	return append(specs, gateway.Module(gw))
}

// WeChat builds the Official Account module, as the server serves it and
// `server wechat-worker` runs its chains: both take it from here, so the
// workers run the very units the server would.
func WeChat(a *boot.App) *wechat.Service {
	return wechat.New(wechat.Deps{Store: a.Config, DB: a.DB, Redis: a.Redis, Metrics: a.Metrics})
}
