package nacos

import (
	"gomicro/app/module"
	"gomicro/app/xxljob"
)

// Module returns the config center's contributions: the ops endpoints
// /nacos/getConfig and /nacos/refresh, and refresh_nacos_config_task, which
// calls the same Refresh.
func Module(c *Client) module.Spec {
	return module.Spec{
		Name:  "nacos",
		Ops:   NewController(c).Register,
		Tasks: map[string]xxljob.Handler{"refresh_nacos_config_task": RefreshTask(c)},
	}
}
