package wecom

import (
	"gomicro/app/module"
	"gomicro/app/xxljob"
)

// Module returns what the robots contribute beyond the client every module
// may send through: the wecom_report_task task.
func Module(c *Client) module.Spec {
	return module.Spec{
		Name:  "wecom",
		Tasks: map[string]xxljob.Handler{"wecom_report_task": ReportTask(c)},
	}
}
